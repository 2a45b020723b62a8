import Foundation
import Testing
@testable import TangentCLI
@testable import TangentPipeline

/// A `tangent-testing` process whose output is collected as it comes, so a test can wait for a line.
final class LiveRun: @unchecked Sendable {
    let process: Process
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private var openStreams = 2

    init(_ arguments: [String], in directory: URL) throws {
        let (process, stdout, stderr) = try CLI.start(arguments, in: directory)
        self.process = process
        for (pipe, isError) in [(stdout, false), (stderr, true)] {
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    lock.withLock { if isError { err.append(chunk) } else { out.append(chunk) } }
                }
                lock.withLock { openStreams -= 1 }
            }
        }
    }

    var pid: Int32 { process.processIdentifier }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Polls `condition` every 20 ms until it holds, the process ends or `timeout` seconds pass; returns whether it
    /// held.
    func wait(timeout: Double = 120, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, process.isRunning {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    /// Waits for the process to end and its output to be read.
    func finish() -> CLI.Output {
        process.waitUntilExit()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, lock.withLock({ openStreams > 0 }) { Thread.sleep(forTimeInterval: 0.01) }
        return lock.withLock {
            CLI.Output(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                       stderr: String(decoding: err, as: UTF8.self))
        }
    }
}

/// Three stages; `slow` sleeps in its `run` (reporting progress), long enough to be interrupted.
func slowPipeline(sleep: Double) -> String {
    """
    pipeline: rf
    seed: 3
    stages:
      fast: { use: test.source, with: { size: 6, noise: true } }
      slow: { use: test.scale, from: { data: fast }, with: { factor: 1.5, sleep: \(sleep) } }
      last: { use: test.sum, from: { parts: [slow, fast] } }
    """
}

/// Every regular file under `dir` (relative path → bytes).
func contents(_ dir: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for name in try FileSystem.regularFiles(under: dir.path) {
        files[name] = try Data(contentsOf: dir.appendingPathComponent(name))
    }
    return files
}

func manifest(_ runFolder: URL) throws -> Value {
    try JSONReader.parse(String(contentsOf: runFolder.appendingPathComponent("manifest.json"), encoding: .utf8))
}

@Suite("The run folder from the command line: refusals, lock, integrity, interrupts", .serialized)
struct RunFolderCommandLineTests {
    @Test("`tangent run p.yaml --out .` in a folder holding the user's data/ folder refuses and deletes nothing")
    func userDataFolder() throws {
        let dir = try temporaryFolder("cli-data")
        try "pipeline: p\nstages:\n  data: { use: test.source }\n  twice: { use: test.scale, from: { data: data } }\n"
            .write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data/raw"), withIntermediateDirectories: true)
        try "a,b\n1,2\n".write(to: dir.appendingPathComponent("data/raw/table.csv"), atomically: true, encoding: .utf8)
        try "mine\n".write(to: dir.appendingPathComponent("data/README"), atomically: true, encoding: .utf8)
        let before = try contents(dir)

        let out = try CLI.run(["run", "p.yaml", "--out", "."], in: dir)
        #expect(out.status == 2)
        #expect(out.stderr.contains("\(dir.path) is not empty and is not a Tangent run folder (it has no .tangent-run marker)"),
                "\(out.stderr)")
        #expect(out.stderr.contains("choose a new or empty folder with --out"))
        #expect(try contents(dir) == before)
        #expect(try FileSystem.entries(dir.path) == ["data", "p.yaml"])

        // In a folder that is a run folder, the user's `data/` is still never replaced.
        let runFolder = dir.appendingPathComponent("out")
        try "pipeline: q\nstages:\n  other: { use: test.source }\n"
            .write(to: dir.appendingPathComponent("q.yaml"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["run", "q.yaml", "--out", "out"], in: dir).status == 0)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("data"), to: runFolder.appendingPathComponent("data"))
        let inRunFolder = try contents(runFolder.appendingPathComponent("data"))
        let again = try CLI.run(["run", "p.yaml", "--out", "out"], in: dir)
        #expect(again.status == 2)
        #expect(again.stderr.contains("\(runFolder.path)/data was not written by Tangent (it has no .complete marker), but "
                                      + "stage `data` stores its results there"), "\(again.stderr)")
        #expect(again.stderr.contains("move or rename it, or choose another run folder with --out"))
        #expect(try contents(runFolder.appendingPathComponent("data")) == inRunFolder)
        #expect(try contents(dir.appendingPathComponent("data")) == before.filter { $0.key.hasPrefix("data/") }
            .reduce(into: [:]) { $0[String($1.key.dropFirst(5))] = $1.value })
    }

    @Test("--out naming a non-empty folder that is not a run folder is refused and left untouched")
    func foreignOut() throws {
        let dir = try temporaryFolder("cli-foreign")
        try slowPipeline(sleep: 0).write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let results = dir.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results.appendingPathComponent("fast"), withIntermediateDirectories: true)
        try "keep\n".write(to: results.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try "x\n".write(to: results.appendingPathComponent("fast/x.npy"), atomically: true, encoding: .utf8)
        let before = try contents(results)
        let out = try CLI.run(["run", "p.yaml", "--out", "results"], in: dir)
        #expect(out.status == 2)
        #expect(out.stderr.contains("\(results.path) is not empty and is not a Tangent run folder"), "\(out.stderr)")
        #expect(out.stderr.contains("choose a new or empty folder with --out, or leave out --out to use runs/<pipeline>/…"))
        #expect(try contents(results) == before)
        #expect(try FileSystem.entries(results.path) == ["fast", "notes.txt"])
        // An empty folder is fine.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
        #expect(try CLI.run(["run", "p.yaml", "--out", "empty"], in: dir).status == 0)
    }

    @Test("a second run on a folder in use exits 2 naming the holder's pid; with --wait it waits, then reuses its results")
    func concurrentRuns() throws {
        let dir = try temporaryFolder("cli-lock")
        try slowPipeline(sleep: 8).write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let folder = dir.appendingPathComponent("shared")
        let first = try LiveRun(["run", "p.yaml", "--out", folder.path], in: dir)
        #expect(first.wait { first.stderr.contains("sleeping: 0/") }, "the first run never reached the slow stage")

        let second = try CLI.run(["run", "p.yaml", "--out", folder.path], in: dir)
        #expect(second.status == 2)
        #expect(second.stderr.contains("run folder \(folder.path) is in use by another tangent run (pid \(first.pid))"),
                "\(second.stderr)")
        #expect(first.process.isRunning, "the slow stage ended before the second run was refused; the test proves nothing")

        let waiting = try LiveRun(["run", "p.yaml", "--out", folder.path, "--wait"], in: dir)
        #expect(waiting.wait { waiting.stderr.contains("waiting for run folder") })
        #expect(first.process.isRunning)
        let firstOut = first.finish()
        #expect(firstOut.status == 0, "\(firstOut.stderr)")
        let waited = waiting.finish()
        #expect(waited.status == 0, "\(waited.stderr)")
        let waitLines = waited.stderr.split(separator: "\n").filter { $0.contains("waiting for run folder") }
        #expect(waitLines == ["waiting for run folder \(folder.path): in use by another tangent run (pid \(first.pid))"])
        #expect(waited.stdout.contains("0 computed, 3 cached"))
        #expect(try manifest(folder)["status"]?.stringValue == "finished")
    }

    @Test("an output corrupted in place is recomputed with a warning: found by a changed mtime, or by --verify")
    func corruptedOutput() throws {
        let dir = try temporaryFolder("cli-corrupt")
        try slowPipeline(sleep: 0).write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let folder = dir.appendingPathComponent("r")
        #expect(try CLI.run(["run", "p.yaml", "--out", "r"], in: dir).status == 0)
        let x = folder.appendingPathComponent("slow/x.npy")
        let original = try Data(contentsOf: x)
        let warning = "stage `slow`: x.npy changed since it was written (content); recomputing"

        // Rewritten in place, same size: the modification time moved, so the hash is checked.
        let written = modificationTime(x)
        try flipLastByte(x)
        if modificationTime(x).tv_sec == written.tv_sec, modificationTime(x).tv_nsec == written.tv_nsec { setModificationTime(x, timespec(tv_sec: written.tv_sec + 2, tv_nsec: 0)) }
        let changed = try CLI.run(["run", "p.yaml", "--out", "r"], in: dir)
        #expect(changed.status == 0)
        #expect(changed.stderr.contains(warning), "\(changed.stderr)")
        #expect(changed.stdout.contains("1 computed, 2 cached"))
        #expect(try Data(contentsOf: x) == original)

        // Rewritten in place with its modification time put back: only --verify finds it.
        let rewritten = modificationTime(x)
        try flipLastByte(x)
        setModificationTime(x, rewritten)
        let unverified = try CLI.run(["run", "p.yaml", "--out", "r"], in: dir)
        #expect(unverified.status == 0 && unverified.stdout.contains("0 computed, 3 cached"))
        let verified = try CLI.run(["run", "p.yaml", "--out", "r", "--verify"], in: dir)
        #expect(verified.status == 0)
        #expect(verified.stderr.contains(warning), "\(verified.stderr)")
        #expect(verified.stdout.contains("1 computed, 2 cached"))
        #expect(try Data(contentsOf: x) == original)
    }

    @Test("a truncated summary.json of a finished stage is recomputed with a warning")
    func truncatedSummary() throws {
        let dir = try temporaryFolder("cli-summary")
        try slowPipeline(sleep: 0).write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["run", "p.yaml", "--out", "r"], in: dir).status == 0)
        let summary = dir.appendingPathComponent("r/last/summary.json")
        let original = try Data(contentsOf: summary)
        let handle = try FileHandle(forUpdating: summary)
        try handle.truncate(atOffset: UInt64(original.count / 2))
        try handle.close()
        let again = try CLI.run(["run", "p.yaml", "--out", "r"], in: dir)
        #expect(again.status == 0)
        #expect(again.stderr.contains("stage `last`: summary.json changed since it was written (size); recomputing"),
                "\(again.stderr)")
        #expect(again.stdout.contains("1 computed, 2 cached"))
        #expect(try Data(contentsOf: summary) == original)
    }

    @Test("SIGINT or SIGTERM mid-stage: exit 130, manifest `interrupted` with the stage, no temporary folder, one resume line; the re-run completes with the same bytes",
          arguments: [SIGINT, SIGTERM])
    func interrupt(signal: Int32) throws {
        let dir = try temporaryFolder("cli-signal")
        try slowPipeline(sleep: 4).write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let folder = dir.appendingPathComponent("interrupted")
        let clean = dir.appendingPathComponent("uninterrupted")
        let reference = try LiveRun(["run", "p.yaml", "--out", clean.path], in: dir)
        let run = try LiveRun(["run", "p.yaml", "--out", folder.path], in: dir)
        let temporary = { (try? FileSystem.entries(folder.path))?.contains { $0.hasPrefix(".slow.tmp-") } == true }
        #expect(run.wait { run.stderr.contains("sleeping: 0/") && temporary() }, "the run never reached the slow stage")
        kill(run.pid, signal)
        let out = run.finish()
        #expect(run.process.terminationReason == .exit)
        #expect(out.status == 130, "\(out.stderr)")
        let lines = out.stderr.split(separator: "\n").filter { $0.contains("interrupted") || $0.contains("resume") }
        #expect(lines == ["interrupted during stage `slow`; finished stages are kept; to resume, run: "
                          + "tangent-testing run p.yaml --out \(folder.path)"], "\(out.stderr)")
        let record = try manifest(folder)
        #expect(record["status"]?.stringValue == "interrupted")
        #expect(record["interrupted_stage"]?.stringValue == "slow")
        #expect(try manifestStatuses(folder) == ["fast": "computed", "slow": "interrupted", "last": "pending"])
        #expect(try FileSystem.entries(folder.path).filter { $0.contains(".tmp-") }.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("slow").path))

        let resumed = try CLI.run(["run", "p.yaml", "--out", folder.path], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("2 computed, 1 cached"))
        #expect(try manifestStatuses(folder) == ["fast": "cached", "slow": "computed", "last": "computed"])
        #expect(try manifest(folder)["status"]?.stringValue == "finished")

        #expect(reference.finish().status == 0)
        for id in ["fast", "slow", "last"] {
            let a = try contents(folder.appendingPathComponent(id)).filter { $0.key != ".complete" }
            let b = try contents(clean.appendingPathComponent(id)).filter { $0.key != ".complete" }
            #expect(a == b, "\(id) differs from the uninterrupted run")
        }
    }

    @Test("the resume command keeps the arguments but drops --force and --rerun, rerunning what was unfinished")
    func resumeCommand() {
        let args = ["/x/bin/tangent", "run", "my file.yaml", "a.b=1", "--force", "--rerun", "s", "--rerun=t", "--out", "o"]
        #expect(RunCommand.resumeInvocation(rerun: [], arguments: args) == "tangent run 'my file.yaml' a.b=1 --out o")
        #expect(RunCommand.resumeInvocation(rerun: ["slow"], arguments: args)
                == "tangent run 'my file.yaml' a.b=1 --out o --rerun slow")
        #expect(shellQuoted("it's") == "'it'\\''s'")
    }
}
