import Foundation
import Testing
@testable import TangentPipeline

/// Runs `tangent-testing` (the `tangent` CLI with the engine's test stages), built next to this test bundle.
struct CLI {
    static var executable: URL {
        // The test bundle and the package's executables share one build folder.
        var dir = Bundle.module.bundleURL.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("tangent-testing")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("tangent-testing")
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut = false
    }

    static func start(_ arguments: [String], in directory: URL,
                      environment: [String: String]? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Runs to completion; a process still running after `timeout` seconds is killed and reported as timed out.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String]? = nil,
                    timeout: Double = 300) throws -> Output {
        let (process, out, err) = try start(arguments, in: directory, environment: environment)
        let timedOut = TimeoutFlag()
        let watchdog = DispatchWorkItem {
            if process.isRunning {
                timedOut.set()
                kill(process.processIdentifier, SIGKILL)
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self), timedOut: timedOut.value)
    }
}

final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.withLock { flag = true } }
    var value: Bool { lock.withLock { flag } }
}

func manifestStatuses(_ runFolder: URL) throws -> [String: String] {
    let text = try String(contentsOf: runFolder.appendingPathComponent("manifest.json"), encoding: .utf8)
    let stages = try JSONReader.parse(text)["stages"]?.listValue ?? []
    return Dictionary(uniqueKeysWithValues: stages.map { ($0["id"]!.stringValue!, $0["status"]!.stringValue!) })
}

@Suite("The tangent command line", .serialized)
struct CommandLineTests {
    @Test("validate reports every problem with file:line:column and exits with status 2")
    func validateErrors() throws {
        let dir = try temporaryFolder("cli")
        try "pipeline: p\nstages:\n  a: { use: test.sourse }\n  b: { use: test.scale, from: { data: a }, with: { factr: 2 } }\n"
            .write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let out = try CLI.run(["validate", "bad.yaml"], in: dir)
        #expect(out.status == 2)
        #expect(out.stderr.contains("bad.yaml:3:13: error: stages.a.use: unknown stage `test.sourse`; did you mean `test.source`?"))
        #expect(out.stderr.contains("bad.yaml:4:52: error: stages.b.with.factr: unknown parameter `factr`"))
        #expect(out.stderr.contains("2 problems found."))
        // `run` validates the same way before doing any work.
        let run = try CLI.run(["run", "bad.yaml"], in: dir)
        #expect(run.status == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs").path))
    }

    @Test("validate accepts a good pipeline with overrides and a profile")
    func validateOK() throws {
        let dir = try temporaryFolder("cli")
        try "pipeline: p\nstages:\n  a: { use: test.source }\nprofiles:\n  quick: { a.size: 2 }\n"
            .write(to: dir.appendingPathComponent("ok.yaml"), atomically: true, encoding: .utf8)
        let out = try CLI.run(["validate", "ok.yaml", "a.value=3", "--profile", "quick"], in: dir)
        #expect(out.status == 0)
        #expect(out.stdout.contains("ok (1 stages: a; largest stage needs about"))
    }

    @Test("validate names a directory, a FIFO, /dev/zero and a Latin-1 file for what they are, at once, without Foundation's text")
    func validateHostileFiles() throws {
        let dir = try temporaryFolder("cli")
        #expect(mkfifo(dir.appendingPathComponent("pipe.yaml").path, 0o600) == 0)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("folder.yaml"), withIntermediateDirectories: true)
        try Data("pipeline: p\nstages:\n  caf\u{e9}: { use: test.source }\n".utf8.map { $0 == 0xC3 ? 0xE9 : $0 }.filter { $0 != 0xA9 })
            .write(to: dir.appendingPathComponent("latin1.yaml"))
        let cases = [
            ("folder.yaml", "error: \(dir.path)/folder.yaml is a directory, not a pipeline file; name a .yaml file"),
            ("pipe.yaml", "error: \(dir.path)/pipe.yaml is not a regular file (it is a FIFO); a pipeline file is read whole"),
            ("/dev/zero", "error: /dev/zero is not a regular file (it is a character device)"),
            ("latin1.yaml", "latin1.yaml:3:6: error: the pipeline file is not UTF-8 text (invalid byte 0xE9 at line 3, column 6); save it as UTF-8"),
        ]
        for (file, message) in cases {
            let start = Date()
            let out = try CLI.run(["validate", file], in: dir)
            #expect(Date().timeIntervalSince(start) < 5)
            #expect(out.status == 2)
            #expect(out.stderr.contains(message), "\(out.stderr)")
            #expect(out.stderr.hasSuffix("1 problem found.\n"))
            #expect(!out.stderr.contains("NSCocoaErrorDomain") && !out.stderr.contains("Error Domain"))
        }
    }

    @Test("validate prints warnings, which leave a pipeline valid; --json gives each diagnostic's severity")
    func validateWarningsAndJSON() throws {
        let dir = try temporaryFolder("cli")
        try "pipeline: p\nstages:\n  a: { use: test.source }\n"
            .write(to: dir.appendingPathComponent("ok.yaml"), atomically: true, encoding: .utf8)
        let out = try CLI.run(["validate", "ok.yaml", "seed=1", "seed=2"], in: dir)
        #expect(out.status == 0)
        #expect(out.stderr == "<override 1>:1:1: warning: seed: `seed=1` has no effect: `seed=2` (<override 2>) sets `seed` again; drop one of them; the last one wins\n")
        #expect(out.stdout.contains("ok (1 stages: a; largest stage needs about"))
        let json = try CLI.run(["validate", "--json", "ok.yaml", "seed=1", "seed=2", "a.size=x"], in: dir)
        #expect(json.status == 2)
        let list = try JSONReader.parse(json.stdout).listValue ?? []
        #expect(list.map { $0["severity"]?.stringValue } == ["warning", "error"])
        #expect(list.map { $0["code"]?.stringValue } == ["badOverride", "wrongType"])
        let valid = try CLI.run(["validate", "--json", "ok.yaml", "seed=1", "seed=2"], in: dir)
        #expect(valid.status == 0)
        #expect((try JSONReader.parse(valid.stdout).listValue ?? []).map { $0["severity"]?.stringValue } == ["warning"])
    }

    @Test("stages lists names and summaries; describe shows slots and parameters")
    func stagesAndDescribe() throws {
        let dir = try temporaryFolder("cli")
        let stages = try CLI.run(["stages"], in: dir)
        #expect(stages.stdout.contains("test.scale") && stages.stdout.contains("Multiplies an upstream dataset"))
        let describe = try CLI.run(["describe", "test.all_types"], in: dir)
        #expect(describe.stdout.contains("count: int, required, in [1, 100] — a required bounded int"))
        #expect(describe.stdout.contains("mode: fast | exact, default fast — a choice"))
        let unknown = try CLI.run(["describe", "test.scal"], in: dir)
        #expect(unknown.status == 2 && unknown.stderr.contains("did you mean `test.scale`?"))
    }

    @Test("run writes the run folder named after the overrides, and a re-run is all cached")
    func runAndRerun() throws {
        let dir = try temporaryFolder("cli")
        try chain.write(to: dir.appendingPathComponent("chain.yaml"), atomically: true, encoding: .utf8)
        let first = try CLI.run(["run", "chain.yaml", "twice.factor=3"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let folder = dir.appendingPathComponent("runs/chain/twice.factor=3")
        #expect(first.stdout.contains("4 computed, 0 cached"))
        #expect(Set(try manifestStatuses(folder).values) == ["computed"])
        let second = try CLI.run(["run", "chain.yaml", "twice.factor=3"], in: dir)
        #expect(second.stdout.contains("0 computed, 4 cached"))
        let rerun = try CLI.run(["run", "chain.yaml", "twice.factor=3", "--rerun", "twice"], in: dir)
        #expect(rerun.stdout.contains("2 computed, 2 cached"))
    }

    @Test("a run killed with SIGKILL mid-stage resumes: finished stages are reused, the killed one recomputed, outputs equal an uninterrupted run")
    func killAndResume() throws {
        let dir = try temporaryFolder("kill")
        let pipeline = """
        pipeline: kill
        seed: 3
        stages:
          fast: { use: test.source, with: { size: 6, noise: true } }
          slow: { use: test.scale, from: { data: fast }, with: { factor: 1.5, sleep: 2.0 } }
          last: { use: test.sum, from: { parts: [slow, fast] } }
        """
        try pipeline.write(to: dir.appendingPathComponent("kill.yaml"), atomically: true, encoding: .utf8)
        let folder = dir.appendingPathComponent("interrupted")
        let (process, _, _) = try CLI.start(["run", "kill.yaml", "--out", folder.path], in: dir)
        // Wait until `slow` is running (its temporary folder exists), then kill -9.
        let deadline = Date().addingTimeInterval(60)
        var sawSlow = false
        while Date() < deadline, process.isRunning {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            if names.contains(where: { $0.hasPrefix(".slow.tmp-") }) { sawSlow = true; break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(sawSlow, "the run never reached the slow stage")
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let killed = try manifestStatuses(folder)
        #expect(killed == ["fast": "computed", "slow": "pending", "last": "pending"])
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("slow").path))
        // SIGKILL cannot be handled: the temporary folder stays until the next run cleans it under the lock.
        let stale = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".slow.tmp-") }
        #expect(stale.count == 1)

        let resumed = try CLI.run(["run", "kill.yaml", "--out", folder.path], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("2 computed, 1 cached"))
        #expect(try manifestStatuses(folder) == ["fast": "cached", "slow": "computed", "last": "computed"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)

        let clean = dir.appendingPathComponent("uninterrupted")
        #expect(try CLI.run(["run", "kill.yaml", "--out", clean.path], in: dir).status == 0)
        for file in ["fast/x.npy", "slow/x.npy", "slow/metrics.csv", "last/totals.npz", "last/summary.json"] {
            let a = try Data(contentsOf: folder.appendingPathComponent(file))
            let b = try Data(contentsOf: clean.appendingPathComponent(file))
            #expect(a == b, "\(file) differs from the uninterrupted run")
        }
    }
}
