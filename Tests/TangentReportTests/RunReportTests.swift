import Foundation
import Testing
@testable import TangentReport

@Suite("Reports of run folders", .serialized)
struct RunReportTests {
    static let expectedPlots = [
        "loss-train", "silent-alignment-align", "eigenvalues-eigen", "cumulative-power-eigen", "ksm-spec",
        "specialization-index-spec", "kr-scatter-kr", "kgd-kr", "spectral-norms", "coord-delta-coord", "coord-rms-coord",
        "compare-compare", "loss-phases-phases",
    ]

    @Test("a run with a stage of every kind: the expected plots, each with data and its CSV; claims at the top")
    func everyKind() throws {
        let folder = try runPipeline(everyStage)
        try """
            {"claims": [{"that": "the kernel aligns <before> it grows", "check": "times.t_align < times.t_norm", "holds": true,
                         "values": {"times.t_align": 3, "times.t_norm": 11}, "error": null},
                        {"that": "loss halves late", "check": "times.t_half > 1000", "holds": false,
                         "values": {"times.t_half": 11}, "error": null},
                        {"that": "unknown", "check": "nope.x > 1", "holds": null, "values": {}, "error": "no stage `nope`"}],
             "total": 3, "held": 1, "failed": 2, "all_hold": false}
            """.write(to: folder.appendingPathComponent("claims.json"), atomically: true, encoding: .utf8)
        let outcome = try ReportWriter.write(folder: folder)
        #expect(outcome.kind == .run)
        #expect(outcome.report == folder.appendingPathComponent("report.html"))
        #expect(outcome.plots == Self.expectedPlots, "\(outcome.plots)")
        #expect(outcome.notes.isEmpty, "\(outcome.notes)")
        let html = try read(outcome.report)
        #expect(plotIDs(html) == Self.expectedPlots)
        // Every svg.plot holds data marks.
        let svgs = html.components(separatedBy: "<svg class=\"plot\"").dropFirst()
        #expect(svgs.count == Self.expectedPlots.count)
        #expect(svgs.allSatisfy { $0.components(separatedBy: "</svg>")[0].contains("class=\"data\"") })
        // The data beside it, linked under each plot.
        let data = folder.appendingPathComponent("report-data")
        let files = try FileManager.default.contentsOfDirectory(atPath: data.path).sorted()
        #expect(files == (Self.expectedPlots.map { $0 + ".csv" } + [".tangent-report-data"]).sorted())
        for id in Self.expectedPlots { #expect(html.contains("<a href=\"report-data/\(id).csv\">Data (CSV)</a>")) }
        let loss = try read(data.appendingPathComponent("loss-train.csv"))
        #expect(loss.hasPrefix("series,step,loss\ntrain loss,0,"))
        // The claims, escaped, with ✓/✗ and their values and errors.
        #expect(html.contains("<section id=\"claims\" class=\"claims fail\">"))
        #expect(html.contains("✗ 1 of 3 claims holds · 2 failed"))
        #expect(html.contains("the kernel aligns &lt;before&gt; it grows") && !html.contains("<before>"))
        #expect(html.contains("<code>times.t_align &lt; times.t_norm</code>"))
        #expect(html.contains("times.t_align = 3 · times.t_norm = 11"))
        #expect(html.contains("class=\"claim failed\"") && html.contains("class=\"claim unknown\""))
        #expect(html.contains("<span class=\"error\">no stage `nope`</span>"))
        // Silent-alignment markers and the verdict; the config, versions and timings.
        #expect(html.contains("t_align = ") && html.contains("Silent alignment: "))
        #expect(html.contains("<pre>pipeline: every"))
        #expect(html.contains("<dt>Tangent version</dt>") && html.contains("<td>analysis.kernel_regression</td>"))
        // Self-contained: no script, no external resource.
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))
        #expect(!html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"))
    }

    @Test("the same folder gives the same bytes; a second report replaces the first and only the data files it listed")
    func deterministicAndOwned() throws {
        let folder = try runPipeline(everyStage, overrides: ["train.steps=20"])
        let first = try ReportWriter.write(folder: folder)
        let bytes = try Data(contentsOf: first.report)
        let data = folder.appendingPathComponent("report-data")
        let csv = try Data(contentsOf: data.appendingPathComponent("loss-train.csv"))
        // A file of an earlier report that this one does not write is removed; the user's own file is kept.
        let index = data.appendingPathComponent(".tangent-report-data")
        var listed = try read(index)
        listed = listed.replacingOccurrences(of: "\"files\": [", with: "\"files\": [\n    \"old-plot.csv\",")
        try listed.write(to: index, atomically: true, encoding: .utf8)
        try "old\n".write(to: data.appendingPathComponent("old-plot.csv"), atomically: true, encoding: .utf8)
        try "mine\n".write(to: data.appendingPathComponent("mine.csv"), atomically: true, encoding: .utf8)
        let second = try ReportWriter.write(folder: folder)
        #expect(try Data(contentsOf: second.report) == bytes)
        #expect(try Data(contentsOf: data.appendingPathComponent("loss-train.csv")) == csv)
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("old-plot.csv").path))
        #expect(try read(data.appendingPathComponent("mine.csv")) == "mine\n")
        #expect(!(try read(index)).contains("old-plot.csv"))
    }

    @Test("a report.html or report-data/ that Tangent did not write is never replaced")
    func foreignFiles() throws {
        let folder = try runPipeline("pipeline: p\nstages:\n  data: { use: data.synthetic, with: { train: 8, test: 0, input_dim: 2 } }\n")
        try "<html>mine</html>".write(to: folder.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        #expect { try ReportWriter.write(folder: folder) } throws: { error in
            "\(error)".contains("report.html exists and was not written by Tangent")
        }
        #expect(try read(folder.appendingPathComponent("report.html")) == "<html>mine</html>")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("report.html"))
        let data = folder.appendingPathComponent("report-data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: false)
        try "x\n".write(to: data.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        #expect { try ReportWriter.write(folder: folder) } throws: { error in
            "\(error)".contains("report-data exists and was not written by a Tangent report")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.path) == ["notes.txt"])
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.html").path))
    }

    @Test("a folder that is neither a run nor a sweep is refused with what to give instead")
    func notAFolder() throws {
        let empty = try temporaryFolder("empty")
        #expect { try ReportWriter.write(folder: empty) } throws: { error in
            "\(error)".contains("is neither a run folder") && "\(error)".contains("--out folder of `tangent run`")
        }
        #expect { try ReportWriter.write(folder: empty.appendingPathComponent("missing")) } throws: { error in
            "\(error)".contains("there is no folder at")
        }
        try "x".write(to: empty.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        #expect { try ReportWriter.write(folder: empty.appendingPathComponent("file")) } throws: { error in
            "\(error)".contains("is a file, not a folder")
        }
        try "{".write(to: empty.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        #expect { try ReportWriter.write(folder: empty) } throws: { error in
            "\(error)".contains("manifest.json is missing or is not a JSON object")
        }
    }

    @Test("time scales without an alignment stage: the figure from the losses and the eigenvalues, with the markers")
    func timescalesWithoutAlignment() throws {
        let text = everyStage.components(separatedBy: "\n").filter { !$0.contains("align:") }.joined(separator: "\n")
        let folder = try runPipeline(text, overrides: ["train.steps=30"])
        let outcome = try ReportWriter.write(folder: folder)
        #expect(outcome.plots.contains("silent-alignment-times"), "\(outcome.plots)")
        let csv = try read(folder.appendingPathComponent("report-data/silent-alignment-times.csv"))
        #expect(csv.contains("‖K(t)‖ / ‖K(T)‖,") && csv.contains("L(t) / L(0),") && csv.contains("marker: t_half = "))
    }

    @Test("damaged outputs and a damaged claims.json are notes, not failures")
    func damaged() throws {
        let folder = try runPipeline(everyStage, overrides: ["train.steps=20"])
        try "not,a,metrics\nfile".write(to: folder.appendingPathComponent("train/metrics.csv"), atomically: true, encoding: .utf8)
        try Data([1, 2, 3]).write(to: folder.appendingPathComponent("spec/ksm.npy"))
        try "{\"claims\": 3".write(to: folder.appendingPathComponent("claims.json"), atomically: true, encoding: .utf8)
        let outcome = try ReportWriter.write(folder: folder)
        #expect(!outcome.plots.contains("loss-train") && !outcome.plots.contains("ksm-spec"))
        #expect(outcome.plots.contains("eigenvalues-eigen"))
        #expect(outcome.notes.contains { $0.contains("metrics.csv of stage `train`") })
        #expect(outcome.notes.contains { $0.contains("spec/ksm.npy could not be read") })
        let html = try read(outcome.report)
        #expect(html.contains("claims.json is not valid JSON"))
    }
}
