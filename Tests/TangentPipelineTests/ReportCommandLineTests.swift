import Foundation
import Testing
@testable import TangentPipeline

@Suite("report.html from the command line", .serialized)
struct ReportCommandLineTests {
    static let tiny = """
        pipeline: tiny
        stages:
          data:  { use: data.synthetic, with: { train: 16, test: 8, input_dim: 3 } }
          model: { use: model.mlp, from: { data: data }, with: { hidden: [4] } }
          train: { use: train.gd, from: { data: data, model: model }, with: { steps: 20, snapshots: { log_spaced: 3 } } }
        """

    func exists(_ url: URL, _ path: String) -> Bool { FileManager.default.fileExists(atPath: url.appendingPathComponent(path).path) }

    @Test("`tangent run` writes report.html and report-data/ at the end (not with --no-report); `tangent report DIR` too")
    func runAndReport() throws {
        let dir = try temporaryFolder("cli-report")
        try Self.tiny.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let out = try CLI.run(["run", "p.yaml", "--out", "a"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let a = dir.appendingPathComponent("a")
        #expect(out.stderr.contains("report: \(a.path)/report.html (1 plot)"), "\(out.stderr)")
        #expect(exists(a, "report.html") && exists(a, "report-data/loss-train.csv"))
        let html = try String(contentsOf: a.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg class=\"plot\"") && html.contains("Tangent run: tiny"))

        let quiet = try CLI.run(["run", "p.yaml", "--out", "b", "--no-report"], in: dir)
        #expect(quiet.status == 0 && !quiet.stderr.contains("report:"))
        let b = dir.appendingPathComponent("b")
        #expect(!exists(b, "report.html") && !exists(b, "report-data"))
        let report = try CLI.run(["report", "b"], in: dir)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout == b.appendingPathComponent("report.html").path + "\n")
        #expect(try Data(contentsOf: b.appendingPathComponent("report.html")).count > 1000)
    }

    @Test("`tangent report` on a folder that is neither a run nor a sweep exits 2 saying what to give")
    func notAFolder() throws {
        let dir = try temporaryFolder("cli-report-none")
        let out = try CLI.run(["report", "."], in: dir)
        #expect(out.status == 2)
        #expect(out.stderr.contains("is neither a run folder") && out.stderr.contains("--out folder of `tangent run`"),
                "\(out.stderr)")
        let missing = try CLI.run(["report", "nowhere"], in: dir)
        #expect(missing.status == 2 && missing.stderr.contains("there is no folder at"))
    }

    @Test("a report that cannot be written is a warning: the run still succeeds and the foreign file is kept")
    func reportFailureWarns() throws {
        let dir = try temporaryFolder("cli-report-foreign")
        try Self.tiny.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["run", "p.yaml", "--out", "a", "--no-report"], in: dir).status == 0)
        try "mine".write(to: dir.appendingPathComponent("a/report.html"), atomically: true, encoding: .utf8)
        let out = try CLI.run(["run", "p.yaml", "--out", "a"], in: dir)
        #expect(out.status == 0)
        #expect(out.stderr.contains("warning: the report was not written: ") && out.stderr.contains("was not written by Tangent"),
                "\(out.stderr)")
        #expect(try String(contentsOf: dir.appendingPathComponent("a/report.html"), encoding: .utf8) == "mine")
    }

    @Test("a failed run still gets a report of what finished; the exit status stays 1")
    func failedRun() throws {
        let dir = try temporaryFolder("cli-report-failed")
        try (Self.tiny + "\n  bad: { use: test.fail, from: {} }\n").write(to: dir.appendingPathComponent("p.yaml"),
                                                                          atomically: true, encoding: .utf8)
        let out = try CLI.run(["run", "p.yaml", "--out", "a"], in: dir)
        #expect(out.status == 1)
        let html = try String(contentsOf: dir.appendingPathComponent("a/report.html"), encoding: .utf8)
        #expect(html.contains("<dd>failed</dd>") && html.contains("<td>test.fail</td>") && html.contains("boom"))
        #expect(html.contains("id=\"plot-loss-train\""))
    }

    @Test("a sweep writes its report after the aggregate, and each point its own; --no-report skips them all")
    func sweep() throws {
        let dir = try temporaryFolder("cli-report-sweep")
        try Self.tiny.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let out = try CLI.run(["run", "p.yaml", "--sweep", "seed=0,1", "--sweep", "train.learning_rate=0.05,0.5",
                               "--out", "sw", "--jobs", "2"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let sw = dir.appendingPathComponent("sw")
        #expect(exists(sw, "report.html") && exists(sw, "aggregate.csv"))
        #expect(exists(sw, "points/seed=0,train.learning_rate=0.05/report.html"))
        let html = try String(contentsOf: sw.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("id=\"plot-curve-train-train-loss\"") && html.contains("against train.learning_rate"))
        #expect(out.stderr.contains("report: \(sw.path)/report.html"))

        let quiet = try CLI.run(["run", "p.yaml", "--sweep", "seed=0,1", "--out", "q", "--jobs", "2", "--no-report"], in: dir)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        let q = dir.appendingPathComponent("q")
        #expect(!exists(q, "report.html") && !exists(q, "points/seed=0/report.html"))
        // `sweep aggregate` (the Slurm aggregation job) writes it.
        let aggregate = try CLI.run(["sweep", "aggregate", "q"], in: dir)
        #expect(aggregate.status == 0 && exists(q, "report.html"), "\(aggregate.stderr)")
    }
}
