import Foundation
import Testing
@testable import TangentPipeline

/// A fake sweep output folder: point run folders with hand-written manifests, summaries and metrics.
private struct SweepFixture {
    let out: URL
    var points: [SweepPointResult] = []

    init() throws { out = try temporaryFolder("sweep") }

    /// Adds a point. `status` nil writes no manifest; `summaries` and `metrics` are the raw text of each stage's
    /// summary.json and metrics.csv (written whatever the status, so that an unfinished point's files are there to
    /// be wrongly read).
    mutating func add(_ name: String, _ overrides: [(key: String, value: String)], status: String?,
                      stages: [String] = ["train", "align"], summaries: [String: String] = [:],
                      metrics: [String: String] = [:]) throws {
        let folder = out.appendingPathComponent("points").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if let status {
            let list = stages.map { #"{"id": "\#($0)", "status": "ran"}"# }.joined(separator: ", ")
            try write(#"{"status": "\#(status)", "stages": [\#(list)]}"#, to: folder.appendingPathComponent("manifest.json"))
        }
        for (stage, text) in summaries {
            try write(text, to: folder.appendingPathComponent(stage).appendingPathComponent("summary.json"))
        }
        for (stage, text) in metrics {
            try write(text, to: folder.appendingPathComponent(stage).appendingPathComponent("metrics.csv"))
        }
        points.append(SweepPointResult(name: name, overrides: overrides, folder: folder))
    }

    func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func text(_ file: String) throws -> String {
        try String(contentsOf: out.appendingPathComponent(file), encoding: .utf8)
    }

    func table(_ file: String) throws -> CSVTable { try CSVTable(csv: text(file)) }
}

/// Mean, sample standard deviation (ddof = 1) and standard error by the two-pass formula, independent of the
/// one-pass (Welford) update in the code.
private func twoPass(_ xs: [Double]) -> (mean: Double, std: Double, stderr: Double) {
    let mean = xs.reduce(0, +) / Double(xs.count)
    let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count - 1)
    return (mean, variance.squareRoot(), variance.squareRoot() / Double(xs.count).squareRoot())
}

private func number(_ cell: String?, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Double {
    guard let cell, let value = Double(cell) else {
        Issue.record("not a number: \(String(describing: cell))", sourceLocation: sourceLocation)
        return .nan
    }
    return value
}

/// The aggregate's columns of `metrics`: `.mean`, `.std`, `.stderr` of each.
private func statisticColumns(_ metrics: [String]) -> [String] {
    var columns: [String] = []
    for metric in metrics { columns += [metric + ".mean", metric + ".std", metric + ".stderr"] }
    return columns
}

private func near(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }

/// The standard sweep of these tests: model.hidden × seed, six points.
///   [64]     seeds 1, 2, 3: finished
///   [64, 64] seed 1 finished, seed 2 failed (its files are there but must not be read), seed 3 has no manifest
private func standardSweep() throws -> SweepFixture {
    var f = try SweepFixture()
    let losses: [Double] = [0.5, 0.7, 0.9]
    let tAlign = [100, 120, 140]
    let silent = [true, false, true]
    for seed in 1...3 {
        let i = seed - 1
        // align.final_alignment only in seeds 1 and 2: the mean is over those two, n stays 3.
        let align = seed < 3 ? #"{"final_alignment": \#(0.9 + 0.01 * Double(seed))}"# : #"{"other": 1}"#
        // train_loss at steps 0, 10, 20 (seed 3 stops at 10): value = 1/(step+1) + seed/100.
        let steps = seed < 3 ? [0, 10, 20] : [0, 10]
        let metrics = "step,key,value\n" + steps.map { "\($0),train_loss,\(1 / Double($0 + 1) + Double(seed) / 100)\n" }
            .joined() + "5,lr,0.1\n"
        try f.add("h64-s\(seed)", [("model.hidden", "[64]"), ("seed", "\(seed)")], status: "finished",
                  summaries: ["train": """
                      {"final_loss": \(losses[i]), "t_align": \(tAlign[i]), "silent": \(silent[i]),
                       "optimizer": "sgd", "eig": {"top": \(Double(seed) * 2), "ratio": 0.5, "name": "x", "deep": {"a": 1}},
                       "history": [1, 2], "nothing": null}
                      """, "align": align],
                  metrics: ["train": metrics])
    }
    try f.add("h64x64-s1", [("model.hidden", "[64, 64]"), ("seed", "1")], status: "finished",
              summaries: ["train": #"{"final_loss": 0.30000000000000004, "t_align": 80, "silent": false}"#],
              metrics: ["train": "step,key,value\n0,train_loss,2\n10,train_loss,1.5\n"])
    try f.add("h64x64-s2", [("model.hidden", "[64, 64]"), ("seed", "2")], status: "failed",
              summaries: ["train": #"{"final_loss": 99, "never_read": 1}"#],
              metrics: ["train": "step,key,value\n0,train_loss,99\n"])
    try f.add("h64x64-s3", [("model.hidden", "[64, 64]"), ("seed", "3")], status: nil)
    return f
}

@Suite("Sweep results: sweep.csv, aggregate.csv and curves")
struct SweepResultsTests {
    @Test("sweep.csv has a row per point: axes, status, then each stage's summary keys sorted, in stage order")
    func sweepTableColumnsAndCells() throws {
        let f = try standardSweep()
        let tables = try SweepResults.write(points: f.points, axes: ["model.hidden", "seed"], to: f.out)
        let sweep = try f.table("sweep.csv")
        #expect(sweep == tables.sweep)
        #expect(sweep.columns == ["model.hidden", "seed", "status",
                                  "train.eig.ratio", "train.eig.top", "train.final_loss", "train.optimizer",
                                  "train.silent", "train.t_align", "align.final_alignment", "align.other"])
        #expect(sweep.rows.count == 6)
        #expect(sweep.column("status") == ["finished", "finished", "finished", "finished", "failed", "missing"])
        #expect(sweep.column("model.hidden") == ["[64]", "[64]", "[64]", "[64, 64]", "[64, 64]", "[64, 64]"])
        #expect(sweep.rows[0] == ["[64]", "1", "finished", "0.5", "2.0", "0.5", "sgd", "1", "100", "0.91", ""])
        #expect(sweep.rows[1][sweep.columnIndex("train.silent")!] == "0")  // false → 0
        #expect(sweep.rows[2][sweep.columnIndex("align.other")!] == "1")
        // Full precision, shortest round-trip.
        #expect(sweep[3, "train.final_loss"] == "0.30000000000000004")
        #expect(sweep[3, "train.t_align"] == "80")
        // Unfinished points: axis values and status, nothing else (the failed point's files are not read).
        let empty = [String](repeating: "", count: 8)
        #expect(sweep.rows[4] == ["[64, 64]", "2", "failed"] + empty)
        #expect(sweep.rows[5] == ["[64, 64]", "3", "missing"] + empty)
        #expect(!sweep.columns.contains("train.never_read"))
        #expect(tables.warnings.isEmpty)
    }

    @Test("aggregate.csv: mean, ddof-1 std and stderr per group over finished points, as the two-pass formula gives")
    func aggregateStatistics() throws {
        let f = try standardSweep()
        let tables = try SweepResults.write(points: f.points, axes: ["model.hidden", "seed"], to: f.out)
        let aggregate = try f.table("aggregate.csv")
        #expect(aggregate == tables.aggregate)
        #expect(tables.groupColumns == ["model.hidden"])
        let metrics = ["train.eig.ratio", "train.eig.top", "train.final_loss", "train.silent", "train.t_align",
                       "align.final_alignment", "align.other"]
        let expectedColumns: [String] = ["model.hidden", "n"] + statisticColumns(metrics)
        #expect(aggregate.columns == expectedColumns)
        #expect(aggregate.column("model.hidden") == ["[64]", "[64, 64]"])
        // n counts finished points only: [64, 64] has one finished of three.
        #expect(aggregate.column("n") == ["3", "1"])

        // final_loss 0.5, 0.7, 0.9: mean 0.7; deviations ∓0.2, 0 → squares 0.04 + 0 + 0.04 = 0.08, / (3 − 1) = 0.04,
        // std = 0.2, stderr = 0.2 / √3 = 0.11547005383792516.
        #expect(near(number(aggregate[0, "train.final_loss.mean"]), 0.7))
        #expect(near(number(aggregate[0, "train.final_loss.std"]), 0.2))
        #expect(near(number(aggregate[0, "train.final_loss.stderr"]), 0.11547005383792516))
        // silent true, false, true → 1, 0, 1: mean 2/3; squares 1/9 + 4/9 + 1/9 = 6/9, / 2 = 1/3, std = √(1/3),
        // stderr = √(1/3) / √3 = 1/3.
        #expect(near(number(aggregate[0, "train.silent.mean"]), 2.0 / 3))
        #expect(near(number(aggregate[0, "train.silent.stderr"]), 1.0 / 3))
        for (metric, values) in [("train.t_align", [100.0, 120, 140]), ("train.eig.top", [2.0, 4, 6]),
                                 ("train.silent", [1.0, 0, 1])] {
            let expected = twoPass(values)
            #expect(near(number(aggregate[0, metric + ".mean"]), expected.mean), "\(metric)")
            #expect(near(number(aggregate[0, metric + ".std"]), expected.std), "\(metric)")
            #expect(near(number(aggregate[0, metric + ".stderr"]), expected.stderr), "\(metric)")
        }
        // A metric only two of the three points have: averaged over those two (0.91, 0.92), n is still 3.
        let alignment = twoPass([0.91, 0.92])
        #expect(near(number(aggregate[0, "align.final_alignment.mean"]), alignment.mean))
        #expect(near(number(aggregate[0, "align.final_alignment.stderr"]), alignment.stderr))
        // One value: the mean, no std or stderr (n < 2).
        #expect(aggregate[0, "align.other.mean"] == "1.0")
        #expect(aggregate[0, "align.other.std"] == "")
        // The group with a single finished point.
        #expect(aggregate[1, "train.final_loss.mean"] == "0.30000000000000004")
        #expect(aggregate[1, "train.final_loss.std"] == "")
        #expect(aggregate[1, "train.final_loss.stderr"] == "")
        #expect(aggregate[1, "train.eig.top.mean"] == "")
        // Text is no metric of the aggregate.
        #expect(!aggregate.columns.contains { $0.hasPrefix("train.optimizer") })
    }

    @Test("curves: one file per (stage, key), mean and stderr per group and step over the points that have the step")
    func curves() throws {
        let f = try standardSweep()
        let tables = try SweepResults.write(points: f.points, axes: ["model.hidden", "seed"], to: f.out)
        #expect(tables.curveFiles == ["train.lr.csv", "train.train_loss.csv"])
        let names = try FileManager.default.contentsOfDirectory(atPath: f.out.appendingPathComponent("curves").path)
        #expect(Set(names.filter { $0.hasSuffix(".csv") }) == ["train.lr.csv", "train.train_loss.csv"])

        let curve = try f.table("curves/train.train_loss.csv")
        #expect(curve.columns == ["step", "model.hidden", "mean", "stderr", "n"])
        #expect(curve.column("step") == ["0", "10", "20", "0", "10"])
        #expect(curve.column("model.hidden") == ["[64]", "[64]", "[64]", "[64, 64]", "[64, 64]"])
        #expect(curve.column("n") == ["3", "3", "2", "1", "1"])
        // Step 0: 1 + 0.01, 1 + 0.02, 1 + 0.03.
        let step0 = twoPass([1.01, 1.02, 1.03])
        #expect(near(number(curve[0, "mean"]), step0.mean))
        #expect(near(number(curve[0, "stderr"]), step0.stderr))
        // Step 20, seeds 1 and 2 only: for two values stderr = |a − b| / 2 = 0.01 / 2.
        #expect(near(number(curve[2, "mean"]), 1.0 / 21 + 0.015))
        #expect(near(number(curve[2, "stderr"]), 0.005))
        // The failed point's 99 is not in the [64, 64] curve; one point: no stderr.
        #expect(curve.rows[3] == ["0", "[64, 64]", "2.0", "", "1"])
        #expect(curve.rows[4] == ["10", "[64, 64]", "1.5", "", "1"])
    }

    @Test("a malformed summary.json or metrics.csv leaves out that point's file with a warning naming it")
    func malformedFilesAreSkippedWithWarnings() throws {
        var f = try SweepFixture()
        try f.add("a", [("seed", "1")], status: "finished", summaries: ["train": #"{"loss": 1.0}"#],
                  metrics: ["train": "step,key,value\n0,loss,1\n"])
        try f.add("b", [("seed", "2")], status: "finished", summaries: ["train": #"{"loss": 2.0,"#],
                  metrics: ["train": "step,key,value\n0,loss,not-a-number\n"])
        try f.add("c", [("seed", "3")], status: "finished", summaries: ["train": #"[1, 2]"#],
                  metrics: ["train": "wrong,header\n0,1\n"])
        try f.add("d", [("seed", "4")], status: "finished", summaries: ["train": #"{"loss": 4.0}"#],
                  metrics: ["train": "step,key,value\n0,loss,3\n"])
        try f.add("e", [("seed", "5")], status: nil)
        try f.write("{ not json", to: f.points[4].folder.appendingPathComponent("manifest.json"))
        let tables = try SweepResults.write(points: f.points, axes: ["seed"], to: f.out)

        #expect(tables.sweep.column("train.loss") == ["1.0", "", "", "4.0", ""])
        #expect(tables.sweep.column("status") == ["finished", "finished", "finished", "finished", "unreadable"])
        // Four finished points; the loss of two of them: 1 and 4.
        #expect(tables.aggregate.column("n") == ["4"])
        #expect(tables.aggregate[0, "train.loss.mean"] == "2.5")
        #expect(try f.table("curves/train.loss.csv").rows == [["0", "2.0", "1.0", "2"]])

        #expect(tables.warnings.count == 5, "\(tables.warnings)")
        for file in ["b/train/summary.json", "b/train/metrics.csv", "c/train/summary.json", "c/train/metrics.csv",
                     "e/manifest.json"] {
            #expect(tables.warnings.contains { $0.contains("points/" + file) }, "no warning names \(file)")
        }
    }

    @Test("a value like [64, 64] is quoted in the CSV and reads back whole")
    func listValuesAreQuoted() throws {
        var f = try SweepFixture()
        try f.add("p", [("model.hidden", "[64, 64]"), ("name", #"say "hi""#), ("note", "two\nlines")],
                  status: "finished", summaries: ["train": #"{"loss": 1}"#])
        let tables = try SweepResults.write(points: f.points, axes: ["model.hidden", "name", "note"], to: f.out)
        let text = try f.text("sweep.csv")
        #expect(text == "model.hidden,name,note,status,train.loss\n\"[64, 64]\",\"say \"\"hi\"\"\",\"two\nlines\",finished,1\n")
        #expect(try f.table("sweep.csv") == tables.sweep)
        #expect(tables.sweep.rows[0][0...2] == ["[64, 64]", #"say "hi""#, "two\nlines"])
        #expect(try f.text("aggregate.csv").hasPrefix("model.hidden,name,note,n,"))
        #expect(try f.text("aggregate.csv").contains("\n\"[64, 64]\",\"say \"\"hi\"\"\",\"two\nlines\",1,1.0,,\n"))
    }

    @Test("without a seed axis every point is its own group")
    func groupsWithoutSeed() throws {
        var f = try SweepFixture()
        for (i, lr) in ["0.1", "0.01", "0.1"].enumerated() {
            try f.add("p\(i)", [("train.lr", lr)], status: "finished", summaries: ["train": #"{"loss": \#(i)}"#],
                      metrics: ["train": "step,key,value\n0,loss,\(i)\n"])
        }
        let tables = try SweepResults.write(points: f.points, axes: ["train.lr"], to: f.out)
        #expect(tables.groupColumns == ["train.lr"])
        // Three groups, even though two points share lr = 0.1.
        #expect(tables.aggregate.rows == [["0.1", "1", "0.0", "", ""], ["0.01", "1", "1.0", "", ""],
                                          ["0.1", "1", "2.0", "", ""]])
        #expect(try f.table("curves/train.loss.csv").rows == [["0", "0.1", "0.0", "", "1"], ["0", "0.01", "1.0", "", "1"],
                                                              ["0", "0.1", "2.0", "", "1"]])
    }

    @Test("groupOver names the pooled axis; groups keep the order of their first point; empty groups have n = 0")
    func groupOverAnotherAxis() throws {
        var f = try SweepFixture()
        try f.add("a", [("width", "8"), ("rep", "1")], status: "running", summaries: ["train": #"{"loss": 5}"#])
        try f.add("b", [("width", "4"), ("rep", "1")], status: "finished", summaries: ["train": #"{"loss": 1}"#])
        try f.add("c", [("width", "4"), ("rep", "2")], status: "finished", summaries: ["train": #"{"loss": 3}"#])
        try f.add("d", [("width", "8"), ("rep", "2")], status: "interrupted")
        let tables = try SweepResults.write(points: f.points, axes: ["width", "rep"], groupOver: "rep", to: f.out)
        // loss 1, 3: mean 2; squares 1 + 1 = 2, / 1 → std √2; stderr √2 / √2 = 1.
        #expect(tables.aggregate.columns == ["width", "n", "train.loss.mean", "train.loss.std", "train.loss.stderr"])
        #expect(tables.aggregate.rows == [["8", "0", "", "", ""], ["4", "2", "2.0", "\(2.0.squareRoot())", "1.0"]])
        #expect(tables.sweep.column("status") == ["running", "finished", "finished", "interrupted"])
    }

    @Test("NaN and infinite values are empty cells and are left out of means")
    func nonFiniteValues() throws {
        var f = try SweepFixture()
        try f.add("a", [("seed", "1")], status: "finished", summaries: ["train": #"{"x": "nan", "y": {"z": "-inf"}}"#],
                  metrics: ["train": "step,key,value\n0,m,nan\n1,m,2\n"])
        try f.add("b", [("seed", "2")], status: "finished", summaries: ["train": #"{"x": 3.5, "y": {"z": 1}}"#],
                  metrics: ["train": "step,key,value\n0,m,4\n1,m,inf\n"])
        let tables = try SweepResults.write(points: f.points, axes: ["seed"], to: f.out)
        #expect(tables.sweep.column("train.x") == ["", "3.5"])
        #expect(tables.sweep.column("train.y.z") == ["", "1"])
        #expect(tables.aggregate.rows == [["2", "3.5", "", "", "1.0", "", ""]])
        #expect(try f.table("curves/train.m.csv").rows == [["0", "4.0", "", "1"], ["1", "2.0", "", "1"]])
    }

    @Test("a new aggregation replaces the curve files Tangent wrote before and keeps other files")
    func staleCurvesReplaced() throws {
        var f = try SweepFixture()
        try f.add("a", [("seed", "1")], status: "finished", metrics: ["train": "step,key,value\n0,old,1\n0,kept,1\n"])
        _ = try SweepResults.write(points: f.points, axes: ["seed"], to: f.out)
        let curves = f.out.appendingPathComponent("curves")
        try f.write("mine", to: curves.appendingPathComponent("notes.csv"))
        #expect(FileManager.default.fileExists(atPath: curves.appendingPathComponent("train.old.csv").path))

        try f.write("step,key,value\n0,kept,2\n0,new,3\n",
                    to: f.points[0].folder.appendingPathComponent("train/metrics.csv"))
        let tables = try SweepResults.write(points: f.points, axes: ["seed"], to: f.out)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: curves.path))
        #expect(names == ["train.kept.csv", "train.new.csv", "notes.csv", CurveFolder.indexName])
        #expect(tables.curveFiles == ["train.kept.csv", "train.new.csv"])
        #expect(try f.table("curves/train.kept.csv").rows == [["0", "2.0", "", "1"]])
        #expect(try f.text("curves/notes.csv") == "mine")
    }

    @Test("curve file names escape anything but letters, digits, _ and -")
    func curveFileNames() {
        #expect(CurveSet.ID(stage: "train", key: "train_loss").fileName == "train.train_loss.csv")
        #expect(CurveSet.ID(stage: "a.b", key: "x/y z").fileName == "a%2Eb.x%2Fy%20z.csv")
        #expect(CurveSet.ID(stage: "s", key: "..").fileName == "s.%2E%2E.csv")
        let long = CurveSet.ID(stage: "s", key: String(repeating: "é", count: 200)).fileName
        #expect(long.utf8.count < 255 && long.contains("~") && long.hasSuffix(".csv"))
    }

    @Test("the CSV reader takes RFC 4180: quoted commas, quotes, line breaks, CRLF; and refuses stray quotes")
    func csvReader() throws {
        let table = try CSVTable(csv: "a,b\r\n\"1,2\",\"x\"\"y\"\r\n\"line\r\nbreak\",\r\n\r\n")
        #expect(table.columns == ["a", "b"])
        #expect(table.rows == [["1,2", #"x"y"#], ["line\r\nbreak", ""]])
        #expect(try CSVTable(csv: table.csvText) == table)
        #expect(throws: CSVReader.Failure.self) { try CSVTable(csv: "a,b\n1\n") }
        #expect(throws: CSVReader.Failure.self) { try CSVTable(csv: "a\nx\"y\n") }
        #expect(throws: CSVReader.Failure.self) { try CSVTable(csv: "a\n\"open\n") }
        #expect(throws: CSVReader.Failure.self) { try CSVTable(csv: "") }
    }

    @Test("the aggregate reads back and renders as text, CSV and JSON")
    func summaryFormats() throws {
        let f = try standardSweep()
        let written = try SweepResults.write(points: f.points, axes: ["model.hidden", "seed"], to: f.out)
        let read = try SweepTables.readAggregate(at: f.out)
        #expect(read.aggregate == written.aggregate)
        #expect(read.groupColumns == ["model.hidden"])
        #expect(read.curveFiles == written.curveFiles)
        #expect(read.aggregateMetrics.first == "train.eig.ratio" && read.aggregateMetrics.count == 7)

        #expect(read.renderAggregate(as: .csv) == (try f.text("aggregate.csv")))

        let json = try JSONReader.parse(read.renderAggregate(as: .json))
        let rows = try #require(json.listValue)
        #expect(rows.count == 2)
        #expect(rows[0]["model.hidden"] == .string("[64]"))
        #expect(rows[0]["n"] == .int(3))
        #expect(rows[0]["train.final_loss.mean"]?.doubleValue.map { near($0, 0.7) } == true)
        #expect(rows[1]["train.final_loss.std"] == .null)

        // Wide enough: every column, 4 significant digits.
        let full = read.renderAggregate(as: .table, width: 10_000)
        let fullLines = full.split(separator: "\n")
        #expect(fullLines.count == 4)
        #expect(fullLines[0].hasPrefix("model.hidden  n  train.eig.ratio.mean"))
        #expect(fullLines[2].hasPrefix("[64]          3"))
        #expect(full.contains("0.1155") && !full.contains("0.11547"))
    }

    @Test("a wide text table folds to group columns, n and mean ± stderr, in blocks that fit the width")
    func textTableFolds() throws {
        let f = try standardSweep()
        let tables = try SweepResults.write(points: f.points, axes: ["model.hidden", "seed"], to: f.out)
        let folded = tables.renderAggregate(as: .table, width: 80)
        let lines = folded.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(folded)")
        #expect(!folded.contains(".std") && !folded.contains(".mean"))
        #expect(folded.contains("0.7 ± 0.1155"))
        // Each block repeats the group columns and n.
        let headers = lines.filter { $0.hasPrefix("model.hidden") }
        #expect(headers.count >= 2)
        #expect(headers.allSatisfy { $0.hasPrefix("model.hidden  n") })
        for metric in tables.aggregateMetrics { #expect(headers.contains { $0.contains(metric) }, "\(metric)") }
    }

    @Test("reading the aggregate of a folder without one is an io error that says what to do")
    func readAggregateMissing() throws {
        let out = try temporaryFolder("sweep")
        let error = try #require(throws: PipelineError.self) { try SweepTables.readAggregate(at: out) }
        #expect(error.code == .io)
        #expect(error.description.contains("aggregate.csv") && error.description.contains("sweep"))
    }

    @Test("Python's csv module (and pandas, when installed) reads the three tables as written",
          .enabled(if: Python.available, "python3 is not on PATH, so the Python reading check cannot run"))
    func pythonReadsTables() throws {
        let f = try standardSweep()
        _ = try SweepResults.write(points: f.points, axes: ["model.hidden", "seed"], to: f.out)
        let metrics = ["train.eig.ratio", "train.eig.top", "train.final_loss", "train.optimizer", "train.silent",
                       "train.t_align", "align.final_alignment", "align.other"]
        let numeric = metrics.filter { $0 != "train.optimizer" }
        func json(_ list: [String]) -> String { "[" + list.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        let result = try Python.run(Python.script("check_sweep_csv.py"), [
            f.out.path,
            "--sweep-columns", json(["model.hidden", "seed", "status"] + metrics), "--sweep-rows", "6",
            "--aggregate-columns", json(["model.hidden", "n"] + statisticColumns(numeric)),
            "--aggregate-rows", "2",
            "--curve", "train.train_loss.csv", "--curve-columns", json(["step", "model.hidden", "mean", "stderr", "n"]),
            "--curve-rows", "5",
            "--cell", "sweep.csv", "3", "model.hidden", "[64, 64]",
            "--cell", "aggregate.csv", "1", "model.hidden", "[64, 64]",
            "--cell", "sweep.csv", "5", "status", "missing",
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ok:"), "\(result.output)")
    }
}

/// Running the repository's Python tools.
private enum Python {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func script(_ name: String) -> String { repository.appendingPathComponent("tools").appendingPathComponent(name).path }

    static let available: Bool = (try? run(nil, ["--version"]).status) == 0

    /// Runs `python3 [script] arguments`, returning its exit status and its stdout and stderr together.
    static func run(_ script: String?, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + (script.map { [$0] } ?? []) + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
