import Foundation
import Testing
@testable import TangentPipeline

/// Writes `text` as p.yaml in a new folder and returns the folder.
private func sweepFolder(_ label: String, _ text: String) throws -> URL {
    let dir = try temporaryFolder(label)
    try text.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
    return dir
}

/// Points of a slow sweep: `a` shared, `b` sleeping `sleep` seconds at each point.
private func slowSweep(points: Int, sleep: Double) -> String {
    """
    pipeline: sw
    stages:
      a: { use: test.source, with: { size: 4, sleep: \(sleep) } }
      b: { use: test.scale, from: { data: a }, with: { sleep: \(sleep) } }
    sweep:
      grid: { b.factor: [\((1...points).map { "\($0).0" }.joined(separator: ", "))] }
    """
}

@Suite("Sweeps from the command line: --jobs, failures, kill and resume, tasks, Slurm scripts", .serialized)
struct SweepCommandLineTests {
    @Test("with --jobs 2 the points run as two processes and the shared stage is still computed once")
    func jobsShareOnce() throws {
        let dir = try sweepFolder("cli-sweep-jobs", slowSweep(points: 4, sleep: 0.3))
        let out = try CLI.run(["run", "p.yaml", "--jobs", "2", "--out", "out"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("4 points, 2 at a time"), "\(out.stderr)")
        let statuses = try stageStatuses(dir.appendingPathComponent("out"))
        #expect(statuses.count == 4)
        #expect(statuses.values.filter { $0["a"] == "computed" }.count == 1, "\(statuses)")
        #expect(statuses.values.filter { $0["a"] == "shared" }.count == 3)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/sweep.csv").path))
    }

    @Test("a failing point leaves the others finished, is listed with its error and log, and the exit status is 1")
    func failingPoint() throws {
        let dir = try sweepFolder("cli-sweep-fail", """
            pipeline: sw
            stages:
              a: { use: test.source }
              f: { use: test.fail, with: { message: "diverged at step 7" } }
            sweep:
              grid: { f.when: [false, true, false] }
            """)
        let out = try CLI.run(["run", "p.yaml", "--jobs", "2", "--out", "out"], in: dir)
        #expect(out.status == 1)
        #expect(out.stderr.contains("1 of 3 points failed"), "\(out.stderr)")
        #expect(out.stderr.contains("f.when=true: stage `f` failed: diverged at step 7"), "\(out.stderr)")
        #expect(out.stderr.contains("log: \(dir.path)/out/logs/f.when=true.log"), "\(out.stderr)")
        let sweep = SweepFolder(root: dir.appendingPathComponent("out"))
        #expect(sweep.status(ofPoint: "f.when=false") == .finished)
        #expect(sweep.status(ofPoint: "f.when=true") == .failed)
        #expect(out.stdout.contains("3 points, 2 finished, 1 failed"))
    }

    @Test("a sweep killed half way (SIGKILL) and run again recomputes only the unfinished points")
    func killAndResume() throws {
        let dir = try sweepFolder("cli-sweep-kill", slowSweep(points: 4, sleep: 0.4))
        let sweep = SweepFolder(root: dir.appendingPathComponent("out"))
        let names = (1...4).map { "b.factor=\($0).0" }
        let run = try LiveRun(["run", "p.yaml", "--out", "out"], in: dir)
        let twoDone = run.wait(timeout: 120) { names.filter { sweep.status(ofPoint: $0) == .finished }.count >= 2 }
        #expect(twoDone, "\(run.stderr)")
        kill(run.pid, SIGKILL)
        _ = run.finish()
        // The running point got SIGTERM from the kernel when the sweep died, and stopped.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, names.contains(where: { sweep.status(ofPoint: $0) == .running }) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let finished = names.filter { sweep.status(ofPoint: $0) == .finished }
        #expect(finished.count >= 2 && finished.count < 4, "\(names.map { sweep.status(ofPoint: $0) })")
        let before = try finished.map { try Data(contentsOf: sweep.pointURL($0).appendingPathComponent("manifest.json")) }

        let again = try CLI.run(["run", "p.yaml", "--out", "out"], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("(\(finished.count) already finished)"), "\(again.stderr)")
        #expect(names.allSatisfy { sweep.status(ofPoint: $0) == .finished })
        let after = try finished.map { try Data(contentsOf: sweep.pointURL($0).appendingPathComponent("manifest.json")) }
        #expect(before == after, "a finished point was run again")
        // The interrupted point kept its finished stages: `a` was not computed again anywhere.
        let statuses = try stageStatuses(sweep.root)
        #expect(statuses.values.filter { $0["a"] == "computed" }.count == 1, "\(statuses)")
    }

    @Test("SIGINT stops the sweep's running points and exits with 130; the same command resumes")
    func interruptSweep() throws {
        let dir = try sweepFolder("cli-sweep-int", slowSweep(points: 3, sleep: 1.0))
        let run = try LiveRun(["run", "p.yaml", "--jobs", "2", "--out", "out"], in: dir)
        #expect(run.wait(timeout: 60) { run.stderr.contains("2 at a time") })
        Thread.sleep(forTimeInterval: 0.5)
        kill(run.pid, SIGINT)
        let out = run.finish()
        #expect(out.status == 130, "\(out.stderr)")
        #expect(out.stderr.contains("interrupted"), "\(out.stderr)")
        let again = try CLI.run(["run", "p.yaml", "--jobs", "2", "--out", "out"], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
    }

    @Test("`sweep plan` prints the unfinished points as tasks, and `run --tasks --index --pack` runs them")
    func planAndTasks() throws {
        let dir = try sweepFolder("cli-sweep-plan", slowSweep(points: 3, sleep: 0))
        let plan = try CLI.run(["sweep", "plan", "p.yaml", "--sweep", "seed=0,1", "--out", "out"], in: dir)
        #expect(plan.status == 0, "\(plan.stderr)")
        let lines = plan.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        let first = try JSONReader.parse(lines[0])
        #expect(first["name"]?.stringValue == "b.factor=1.0,seed=0")
        #expect(first["overrides"]?.listValue == [.string("b.factor=1.0"), .string("seed=0")])
        #expect(first["run_folder"]?.stringValue == "\(dir.path)/out/points/b.factor=1.0,seed=0")
        try plan.stdout.write(to: dir.appendingPathComponent("tasks.jsonl"), atomically: true, encoding: .utf8)

        let packed = try CLI.run(["run", "--tasks", "tasks.jsonl", "--index", "1", "--pack", "2"], in: dir)
        #expect(packed.status == 0, "\(packed.stderr)")
        let sweep = SweepFolder(root: dir.appendingPathComponent("out"))
        #expect(sweep.status(ofPoint: "b.factor=2.0,seed=0") == .finished)
        #expect(sweep.status(ofPoint: "b.factor=2.0,seed=1") == .finished)
        #expect(sweep.status(ofPoint: "b.factor=1.0,seed=0") == .pending)
        // The plan now leaves out the two finished points.
        let replanned = try CLI.run(["sweep", "plan", "p.yaml", "--sweep", "seed=0,1", "--out", "out"], in: dir)
        #expect(replanned.stdout.split(separator: "\n").count == 4)
        let status = try CLI.run(["sweep", "status", "out"], in: dir)
        #expect(status.stdout.contains("6 points: 4 pending, 0 running, 2 finished"), "\(status.stdout)")
        let beyond = try CLI.run(["run", "--tasks", "tasks.jsonl", "--index", "9"], in: dir)
        #expect(beyond.status == 2 && beyond.stderr.contains("has no line 9"))
        let mixed = try CLI.run(["run", "p.yaml", "--tasks", "tasks.jsonl", "--index", "0"], in: dir)
        #expect(mixed.status != 0 && mixed.stderr.contains("give no pipeline file"))
    }

    @Test("`sweep submit --slurm --dry-run` writes the tasks and array scripts and prints the sbatch commands")
    func submitDryRun() throws {
        let dir = try sweepFolder("cli-sweep-slurm", slowSweep(points: 4, sleep: 0))
        let out = try CLI.run(["sweep", "submit", "--slurm", "p.yaml", "--out", "out", "--max-parallel", "2",
                               "--cpus-per-task", "1", "--time", "10", "--dry-run"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let script = try String(contentsOf: dir.appendingPathComponent("out/slurm/array.sbatch"), encoding: .utf8)
        #expect(script.contains("#SBATCH --array=0-3%2"))
        #expect(script.contains("#SBATCH --cpus-per-task=1"))
        #expect(script.contains("#SBATCH --time=10"))
        #expect(script.contains("#SBATCH --output=\(dir.path)/out/slurm/logs/%A_%a.out"))
        #expect(script.contains("run --tasks \(dir.path)/out/slurm/tasks.jsonl --index \"$index\" --pack 1"))
        #expect(try SweepTask.read(dir.appendingPathComponent("out/slurm/tasks.jsonl")).count == 4)
        #expect(out.stdout.contains("sbatch --parsable --array=0-3%2"), "\(out.stdout)")
        #expect(out.stdout.contains("--dependency=afterok:"))
        #expect(out.stdout.contains("dry run: nothing submitted"))
        let missing = try CLI.run(["sweep", "submit", "p.yaml", "--out", "out2"], in: dir)
        #expect(missing.status != 0 && missing.stderr.contains("--slurm"))
    }

    @Test("a sweep never writes into a folder it did not make, and two sweeps never run in one folder")
    func sweepFolderSafety() throws {
        let dir = try sweepFolder("cli-sweep-folder", slowSweep(points: 2, sleep: 1.0))
        let foreign = dir.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try "keep\n".write(to: foreign.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let refused = try CLI.run(["run", "p.yaml", "--out", "mine"], in: dir)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("is not a Tangent sweep folder"), "\(refused.stderr)")
        #expect(try FileSystem.entries(foreign.path) == ["notes.txt"])

        let first = try LiveRun(["run", "p.yaml", "--out", "out"], in: dir)
        #expect(first.wait(timeout: 60) { first.stderr.contains("1 at a time") })
        let second = try CLI.run(["run", "p.yaml", "--out", "out"], in: dir)
        #expect(second.status == 2)
        #expect(second.stderr.contains("sweep folder \(dir.path)/out is in use by another tangent run (pid \(first.pid))"),
                "\(second.stderr)")
        #expect(first.finish().status == 0)
    }

    @Test("a --sweep value that does not fit its parameter is refused with its place before anything runs")
    func invalidSweepOption() throws {
        let dir = try sweepFolder("cli-sweep-bad", slowSweep(points: 2, sleep: 0))
        let out = try CLI.run(["run", "p.yaml", "--sweep", "a.size=1,two", "--out", "out"], in: dir)
        #expect(out.status == 2)
        #expect(out.stderr.contains("<sweep 1>:1:10: error: a.size[1]: expected int"), "\(out.stderr)")
        #expect(FileSystem.kind(dir.appendingPathComponent("out").path) == .missing)
    }
}
