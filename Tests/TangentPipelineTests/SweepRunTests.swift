import Foundation
import Testing
import TangentCore
@testable import TangentPipeline

/// A source stage `a` that every point shares, and `b` that the sweep varies.
let sharedSourceSweep = """
    pipeline: sw
    seed: 1
    stages:
      a: { use: test.source, with: { size: 5, noise: true } }
      b: { use: test.scale, from: { data: a } }
    sweep:
      grid: { b.factor: [1.0, 2.0, 3.0] }
    """

/// Each point's manifest stage statuses, by point name.
func stageStatuses(_ sweep: URL) throws -> [String: [String: String]] {
    var out: [String: [String: String]] = [:]
    let points = sweep.appendingPathComponent("points")
    for name in try FileSystem.entries(points.path) {
        let m = try manifest(points.appendingPathComponent(name))
        var statuses: [String: String] = [:]
        for stage in m["stages"]?.listValue ?? [] {
            statuses[stage["id"]?.stringValue ?? ""] = stage["status"]?.stringValue
        }
        out[name] = statuses
    }
    return out
}

extension Result where Failure == any Error {
    /// The message of a Tangent error, nil on success.
    var failureMessage: String? {
        if case .failure(let error) = self { return (error as? TangentError)?.message ?? "\(error)" }
        return nil
    }
}

@Suite("Sweeps: every point validated first, shared stages computed once, tasks files")
struct SweepRunTests {
    func plan(_ text: String, sweep: [String] = [], in dir: URL) throws -> SweepPlan {
        let file = dir.appendingPathComponent("p.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let base = try PipelineLoader.load(file: file.path, sweep: sweep, registry: testRegistry)
        return try SweepPlan.make(base: base, overrides: [], out: dir.appendingPathComponent("out"), registry: testRegistry)
    }

    @Test("a stage whose cache key is the same at every point is computed once and hard-linked into the others")
    func sharedStageComputedOnce() throws {
        let dir = try temporaryFolder("sweep-shared")
        let plan = try plan(sharedSourceSweep, in: dir)
        #expect(plan.points.map(\.name) == ["b.factor=1.0", "b.factor=2.0", "b.factor=3.0"])
        for task in plan.tasks(threads: 1) {
            _ = try SweepTaskRunner.run(task, registry: testRegistry, options: RunOptions(progress: SilentProgress()))
        }
        let statuses = try stageStatuses(plan.directory)
        #expect(statuses.values.filter { $0["a"] == "computed" }.count == 1)
        #expect(statuses.values.filter { $0["a"] == "shared" }.count == 2)
        #expect(statuses.values.allSatisfy { $0["b"] == "computed" })
        // One inode for the three points' x.npy, plus the store's: hard links, not copies.
        let inodes = try plan.points.map { point -> UInt64 in
            let attributes = try FileManager.default.attributesOfItem(atPath: plan.pointURL(point).appendingPathComponent("a/x.npy").path)
            return (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
        }
        #expect(Set(inodes).count == 1)
        // The scaled values follow each point's factor from the one shared source.
        let x = try NPY.read(contentsOf: plan.pointURL(plan.points[0]).appendingPathComponent("b/x.npy")).asDoubles()
        let x3 = try NPY.read(contentsOf: plan.pointURL(plan.points[2]).appendingPathComponent("b/x.npy")).asDoubles()
        #expect(x.count == 5)
        #expect(zip(x, x3).allSatisfy { abs($0 * 3 - $1) < 1e-12 })
    }

    @Test("a damaged stored stage is not shared: the next point computes it again")
    func damagedStoreEntry() throws {
        let dir = try temporaryFolder("sweep-damaged")
        let plan = try plan(sharedSourceSweep, in: dir)
        let tasks = plan.tasks(threads: 1)
        _ = try SweepTaskRunner.run(tasks[0], registry: testRegistry, options: RunOptions(progress: SilentProgress()))
        let key = try #require(SweepFolder(root: plan.directory).recordedKeys(plan.points[0].name)?["a"])
        let stored = plan.directory.appendingPathComponent("store/\(key)/x.npy")
        // Replace (not modify) the stored file: the point's hard link keeps the good bytes.
        try FileManager.default.removeItem(at: stored)
        try Data("garbage".utf8).write(to: stored)
        _ = try SweepTaskRunner.run(tasks[1], registry: testRegistry, options: RunOptions(progress: SilentProgress()))
        #expect(try stageStatuses(plan.directory)[plan.points[1].name]?["a"] == "computed")
    }

    @Test("validation covers every point: a problem of one point is reported under its name before anything runs")
    func everyPointValidated() throws {
        let dir = try temporaryFolder("sweep-invalid")
        let text = """
            pipeline: sw
            stages:
              m: { use: test.memory, with: { high: 5 } }
            """
        let result = Result { try plan(text, sweep: ["m.low=1,9,3"], in: dir) }
        guard case .failure(let failure) = result, let error = failure as? TangentError else {
            Issue.record("a point with low > high was accepted")
            return
        }
        do {
            let errors = error.diagnostics.filter { $0.severity == .error }
            #expect(errors.count == 1)
            #expect(errors.first?.message.contains("point m.low=9") == true, "\(errors)")
            #expect(errors.first?.field == "stages.m.with.low")
        }
        #expect(FileSystem.kind(dir.appendingPathComponent("out").path) == .missing)
    }

    @Test("point names are injective and safe file names")
    func pointNames() throws {
        let dir = try temporaryFolder("sweep-names")
        let text = "pipeline: sw\nstages:\n  a: { use: test.all_types, with: { count: 2 } }\n"
        let plan = try plan(text, sweep: ["a.label=x/y,x%2Fy,'a,b',..,\"\""], in: dir)
        let names = plan.points.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { !$0.contains("/") && $0 != "." && $0 != ".." && !$0.isEmpty })
    }

    @Test("a file's remembered digest is its SHA-256, and a changed file is hashed again")
    func fileDigestMemo() throws {
        let dir = try temporaryFolder("sweep-digests")
        let file = dir.appendingPathComponent("data.csv")
        try "1,2\n".write(to: file, atomically: true, encoding: .utf8)
        let memo = FileDigests()
        #expect(try memo.digest(file.path) == SHA256Sum.hex(of: "1,2\n"))
        try "1,2,3\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try memo.digest(file.path) == SHA256Sum.hex(of: "1,2,3\n"))
    }

    @Test("a tasks file that is not a regular file, or is absurdly large, is refused with the reason")
    func hostileTasksFile() throws {
        for path in ["/dev/zero", "/nonexistent/tasks.jsonl"] {
            let message = Result { try SweepTask.read(URL(fileURLWithPath: path)) }.failureMessage
            #expect(message?.contains("cannot read the tasks file") == true, "\(message ?? "")")
        }
        let dir = try temporaryFolder("sweep-huge-tasks")
        let huge = dir.appendingPathComponent("tasks.jsonl")
        #expect(FileManager.default.createFile(atPath: huge.path, contents: nil))
        let handle = try FileHandle(forWritingTo: huge)
        try handle.truncate(atOffset: UInt64(SweepTask.maxFileBytes) + 1)  // sparse: no disk used
        try handle.close()
        let message = Result { try SweepTask.read(huge) }.failureMessage
        #expect(message?.contains("too large for a tasks file") == true, "\(message ?? "")")
    }

    @Test("a tasks file round-trips, and a damaged line is an error naming it")
    func tasksFile() throws {
        let dir = try temporaryFolder("sweep-tasks")
        let plan = try plan(sharedSourceSweep, in: dir)
        let url = dir.appendingPathComponent("tasks.jsonl")
        let tasks = plan.tasks(threads: 3)
        try SweepTask.write(tasks, to: url)
        #expect(try SweepTask.read(url) == tasks)
        #expect(try SweepTask.read(url, lines: 1..<5) == Array(tasks[1...]))
        try (String(contentsOf: url, encoding: .utf8) + "{\"index\": 1}\n").write(to: url, atomically: true, encoding: .utf8)
        let message = Result { try SweepTask.read(url) }.failureMessage
        #expect(message?.contains("line 4 of") == true, "\(message ?? "no error")")
    }
}
