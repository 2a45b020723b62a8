import Foundation
import Testing
import TangentPipeline
@testable import TangentReport

@Suite("Reports of sweep folders", .serialized)
struct SweepReportTests {
    static let pipeline = """
        pipeline: sw
        stages:
          data:  { use: data.synthetic, with: { train: 16, test: 8, input_dim: 4, teacher: linear } }
          model: { use: model.mlp, from: { data: data }, with: { hidden: [8], activation: linear, parametrization: standard, init_scale: 0.01 } }
          train: { use: train.gd, from: { data: data, model: model }, with: { learning_rate: 0.3, steps: 30, snapshots: { log_spaced: 6 }, log_points: 20 } }
          ntk:   { use: ntk.snapshots, from: { trajectory: train, data: data } }
          align: { use: analysis.alignment, from: { kernels: ntk, data: data } }
          times: { use: analysis.timescales, from: { kernels: ntk, data: data, trajectory: train } }
        """

    /// A sweep folder as `tangent run --sweep` leaves it: marker, sweep.json, points/, the aggregate tables.
    func sweep(seeds: [Int], rates: [String]) throws -> URL {
        let root = try temporaryFolder("sweep")
        try "".write(to: root.appendingPathComponent(".tangent-sweep"), atomically: true, encoding: .utf8)
        var axes = ["seed"]
        if !rates.isEmpty { axes.append("train.learning_rate") }
        var points: [Value] = []
        for seed in seeds {
            for rate in rates.isEmpty ? [nil] : rates.map(Optional.some) {
                var overrides = ["seed=\(seed)"]
                var values: [String: Value] = ["seed": .string("\(seed)")]
                if let rate {
                    overrides.append("train.learning_rate=\(rate)")
                    values["train.learning_rate"] = .string(rate)
                }
                let name = overrides.joined(separator: ",")
                let folder = root.appendingPathComponent("points").appendingPathComponent(name)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try runPipeline(Self.pipeline, overrides: overrides, in: folder)
                points.append(.object(["name": .string(name), "values": .object(values)]))
            }
        }
        let record = Value.object(["format": .string("tangent-sweep/1"), "pipeline": .string("sw"), "file": .string("sw.yaml"),
                                   "profile": .null, "overrides": .list([]), "axes": .list(axes.map(Value.string)),
                                   "toolkit_version": .string("0.2.0"), "points": .list(points)])
        try record.prettyJSON().write(to: root.appendingPathComponent("sweep.json"), atomically: true, encoding: .utf8)
        _ = try SweepRunner.aggregate(SweepFolder(root: root))
        return root
    }

    @Test("metrics against the swept parameter with error bars, curves per group with bands, the points linked")
    func grid() throws {
        let root = try sweep(seeds: [0, 1], rates: ["0.1", "0.4"])
        // One point has its own report: the sweep's table links to it.
        let point = root.appendingPathComponent("points/seed=0,train.learning_rate=0.1")
        try ReportWriter.write(folder: point)
        try """
            {"claims": [{"that": "larger steps halve the loss sooner", "check": "t_half(0.4) < t_half(0.1)", "holds": true,
                         "values": {"a": 1.5, "b": "x"}, "error": null}], "total": 1, "held": 1, "failed": 0, "all_hold": true}
            """.write(to: root.appendingPathComponent("claims.json"), atomically: true, encoding: .utf8)
        let outcome = try ReportWriter.write(folder: root)
        #expect(outcome.kind == .sweep)
        let ids = outcome.plots
        #expect(ids.contains("metric-times-t-half-vs-train-learning-rate"), "\(ids)")
        #expect(ids.contains("metric-train-final-train-loss-vs-train-learning-rate"))
        #expect(ids.contains("curve-train-train-loss") && ids.contains("curve-align-alignment"))
        let html = try read(outcome.report)
        #expect(plotIDs(html) == ids)
        let svgs = html.components(separatedBy: "<svg class=\"plot\"").dropFirst()
        #expect(svgs.count == ids.count && svgs.allSatisfy { $0.components(separatedBy: "</svg>")[0].contains("class=\"data\"") })
        // Key plots first, the others collapsed.
        #expect(html.contains("<details class=\"more\"><summary>Other metrics ("))
        #expect(html.contains("<a href=\"points/seed%3D0%2Ctrain.learning_rate%3D0.1/report.html\">"))
        #expect(html.contains("4: 4 finished"))
        #expect(html.contains("<section id=\"claims\" class=\"claims ok\">") && html.contains("✓ 1 of 1 claim holds"))
        #expect(html.contains("<code>t_half(0.4) &lt; t_half(0.1)</code>") && html.contains("a = 1.5 · b = x"))
        #expect(html.contains("<pre>pipeline: sw"))
        let csv = try read(root.appendingPathComponent("report-data/metric-times-t-half-vs-train-learning-rate.csv"))
        #expect(csv.hasPrefix("series,train.learning_rate,times.t_half,lower,upper\n"))
        let curve = try read(root.appendingPathComponent("report-data/curve-train-train-loss.csv"))
        #expect(curve.hasPrefix("series,step,train_loss,lower,upper\ntrain.learning_rate=0.1,0,"))
        for id in ids { #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("report-data/\(id).csv").path)) }
        #expect(try ReportWriter.write(folder: root).plots == ids)
    }

    @Test("a sweep over seeds only: no axis to plot against, a table of mean ± stderr, the curves over seeds")
    func seedsOnly() throws {
        let root = try sweep(seeds: [0, 1, 2], rates: [])
        let outcome = try ReportWriter.write(folder: root)
        let html = try read(outcome.report)
        #expect(!outcome.plots.contains { $0.hasPrefix("metric-") })
        #expect(outcome.plots.contains("curve-train-train-loss"))
        #expect(html.contains("Only the seed is swept"))
        #expect(html.contains("<th>times.t_half</th>") && html.contains(" ± "))
        #expect(html.contains(">all points</text>"))
    }
}
