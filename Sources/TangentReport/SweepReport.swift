import Foundation
import TangentCore
import TangentPipeline

/// What a sweep folder yields for its report: the sweep's axes and points, the claims, each metric of
/// aggregate.csv against each swept axis (mean ± standard error over seeds, one line per combination of the other
/// axes), the mean curves per group from curves/, and a table of the points with links to their own reports.
/// Key metrics and curves are shown; the others are in collapsed lists, and past a cap only counted.
public enum SweepReport {
    static let keyPlotCap = 12
    static let morePlotCap = 48
    static let curveCap = 40
    static let seriesCap = 10
    static let pointRowCap = 300
    /// Past this many points, their statuses come from sweep.csv rather than from each manifest.
    static let manifestReadCap = 2000

    /// The summary keys and metrics.csv keys worth showing first, by stage type.
    static let keyMetrics: [String: Set<String>] = [
        "train.gd": ["final_train_loss", "final_test_loss"], "train.langevin": ["final_train_loss", "final_test_loss"],
        "analysis.alignment": ["final_alignment"],
        "analysis.timescales": ["t_align", "t_norm", "t_norm_90", "t_half", "silent_alignment"],
        "analysis.kernel_regression": ["final.test_mse", "nn_test_mse"],
        "analysis.loss_phases": ["alpha"], "analysis.specialization": ["final_specialization_index"],
        "kernel.nngp": ["test_mse"], "kernel.ntk_limit": ["test_mse"], "kernel.adaptive_ntk": ["test_mse"],
        "kernel.adaptive_nngp": ["test_mse"],
    ]
    static let keyCurves: [String: Set<String>] = [
        "train.gd": ["train_loss", "test_loss"], "train.langevin": ["train_loss", "test_loss"],
        "analysis.alignment": ["alignment", "kernel_norm"], "analysis.specialization": ["specialization_index"],
    ]

    public static func document(folder: URL) throws -> ReportDocument {
        let sweep = SweepFolder(root: folder)
        let record: SweepFolder.Record
        do { record = try sweep.record() } catch {
            throw ReportError("\(TangentError.userText(error) ?? "sweep.json cannot be read")")
        }
        let raw = ReportFiles.jsonObject(sweep.recordURL) ?? [:]
        var doc = ReportDocument(title: "Tangent sweep: " + record.pipeline)
        do { doc.claims = try ClaimsFile.read(in: folder) } catch { doc.claimsProblem = "\(error)" }
        var notes: [String] = []

        let stageTypes = self.stageTypes(sweep, record)
        // Each point's status from its manifest; for a large sweep from sweep.csv (written with the aggregate, in the
        // record's order), so that a report never reads a hundred thousand manifests.
        var statuses: [String]
        let table = record.points.count > manifestReadCap
            ? ReportFiles.csv(folder.appendingPathComponent(SweepResults.sweepFileName)) : nil
        if let table, table.rows.count == record.points.count, let column = table.column("status") {
            statuses = column
        } else {
            statuses = record.points.prefix(manifestReadCap).map { pointStatus($0.name, sweep: sweep) }
            statuses += Array(repeating: "unknown", count: record.points.count - statuses.count)
        }
        var statusCounts: [String: Int] = [:]
        for status in statuses { statusCounts[status, default: 0] += 1 }
        doc.facts = [("folder", folder.path), ("pipeline file", record.file)]
        if let profile = record.profile { doc.facts.append(("profile", profile)) }
        if !record.overrides.isEmpty { doc.facts.append(("overrides", record.overrides.joined(separator: " "))) }
        doc.facts.append(("axes", record.axes.joined(separator: " × ")))
        doc.facts.append(("points", "\(record.points.count): " + statusCounts.keys.sorted().map { "\(statusCounts[$0]!) \($0)" }
            .joined(separator: ", ")))
        if let version = raw["toolkit_version"]?.stringValue { doc.facts.append(("Tangent version", version)) }

        var metrics = ReportSection(id: "metrics", title: "Metrics against the swept parameters")
        metrics.moreTitle = "Other metrics"
        var results = ReportSection(id: "results", title: "Results (mean ± standard error over seeds)")
        let tables: SweepTables?
        do { tables = try SweepTables.readAggregate(at: folder) } catch {
            tables = nil
            notes.append("aggregate.csv could not be read (\(TangentError.userText(error) ?? "unreadable")); run "
                         + "`tangent sweep aggregate \(folder.path)` to write it")
        }
        if let tables {
            metricPlots(tables, stageTypes: stageTypes, into: &metrics, notes: &notes)
            results.tables.append(aggregateTable(tables, stageTypes: stageTypes))
            results.collapsed = !tables.groupColumns.isEmpty
        }

        var curves = ReportSection(id: "curves", title: "Curves per group")
        curves.moreTitle = "Other curves"
        let curveFiles = tables?.curveFiles.isEmpty == false ? tables!.curveFiles : listCurves(folder)
        curvePlots(folder, files: curveFiles, stageTypes: stageTypes, into: &curves, notes: &notes)

        var pointSection = ReportSection(id: "points", title: "Points")
        pointSection.collapsed = record.points.count > 24
        var rows: [[String]] = [], links: [String?] = []
        for (i, p) in record.points.prefix(pointRowCap).enumerated() {
            let manifest = ReportFiles.jsonObject(sweep.pointURL(p.name).appendingPathComponent("manifest.json"))
            let seconds = (manifest?["stages"]?.listValue ?? []).compactMap { $0["seconds"]?.doubleValue }.reduce(0, +)
            rows.append([p.name, statuses[i]] + record.axes.map { p.values[$0] ?? "" }
                        + [manifest == nil ? "" : String(format: "%.2f", seconds), sweep.failure(ofPoint: p.name) ?? ""])
            let report = sweep.pointURL(p.name).appendingPathComponent(ReportWriter.fileName)
            links.append(ReportFiles.exists(report) ? Escape.href(["points", p.name, ReportWriter.fileName]) : nil)
        }
        pointSection.tables.append(ReportTable(
            columns: ["point", "status"] + record.axes + ["seconds in stages", "error"], rows: rows, links: links,
            caption: record.points.count > pointRowCap ? "The first \(pointRowCap) of \(record.points.count) points." : nil))

        var config = ReportSection(id: "config", title: "Resolved configuration of the first point")
        config.collapsed = true
        if !record.points.isEmpty, case let first = record.points[statuses.firstIndex(of: "finished") ?? 0],
           let text = ReportFiles.text(sweep.pointURL(first.name).appendingPathComponent("config.resolved.yaml"), limit: 4 << 20) {
            config.paragraphs.append("Point \(first.name); the others differ in the swept parameters only.")
            config.preformatted = text
        }

        doc.sections = [metrics, curves, results, pointSection, config]
        doc.notes = notes
        doc.finish()
        return doc
    }

    // MARK: - Stages and points

    /// Stage id → stage type, from the first point whose manifest can be read.
    static func stageTypes(_ sweep: SweepFolder, _ record: SweepFolder.Record) -> [String: String] {
        for p in record.points.prefix(50) {
            guard let stages = ReportFiles.jsonObject(sweep.pointURL(p.name).appendingPathComponent("manifest.json"))?["stages"]?
                .listValue else { continue }
            var types: [String: String] = [:]
            for s in stages {
                if let id = s["id"]?.stringValue, let use = s["use"]?.stringValue { types[id] = use }
            }
            return types
        }
        return [:]
    }

    /// A point's status from its manifest (`pending` without one).
    static func pointStatus(_ name: String, sweep: SweepFolder) -> String {
        let manifest = ReportFiles.jsonObject(sweep.pointURL(name).appendingPathComponent("manifest.json"))
        return manifest?["status"]?.stringValue ?? "pending"
    }

    /// Whether `column` (`<stage>.<key>`) is a key metric of its stage's type.
    static func isKey(_ column: String, _ types: [String: String], _ table: [String: Set<String>]) -> Bool {
        guard let dot = column.firstIndex(of: ".") else { return false }
        let stage = String(column[..<dot]), key = String(column[column.index(after: dot)...])
        return types[stage].flatMap { table[$0] }?.contains(key) ?? false
    }

    // MARK: - Metrics against axes

    static func numbers(_ cells: [String]) -> [Double] { cells.map { RunContents.number($0) ?? .nan } }

    static func metricPlots(_ tables: SweepTables, stageTypes: [String: String], into section: inout ReportSection,
                            notes: inout [String]) {
        let agg = tables.aggregate
        let axes = tables.groupColumns
        guard !axes.isEmpty else {
            section.paragraphs.append("Only the seed is swept, so there is no parameter to plot the metrics against: see "
                                      + "the table of results below.")
            return
        }
        var key: [Plot] = [], more: [Plot] = []
        var constant = 0, leftOut = 0
        var varying: [String] = []
        for metric in tables.aggregateMetrics {
            let means = numbers(agg.column(metric + ".mean") ?? [])
            let errors = numbers(agg.column(metric + ".stderr") ?? [])
            let finite = means.filter(\.isFinite)
            guard let lo = finite.min(), let hi = finite.max() else { continue }
            if hi - lo <= 1e-12 * max(abs(hi), abs(lo)), errors.allSatisfy({ !$0.isFinite || $0 == 0 }) {
                constant += 1
                continue
            }
            varying.append(metric)
        }
        let keys = varying.filter { isKey($0, stageTypes, Self.keyMetrics) }
        let chosen = Set(keys.isEmpty ? Array(varying.prefix(4)) : keys)
        for metric in varying {
            for axis in axes {
                guard let plot = metricPlot(agg, metric: metric, axis: axis, axes: axes) else { continue }
                if chosen.contains(metric), key.count < keyPlotCap {
                    key.append(plot)
                } else if more.count < morePlotCap {
                    more.append(plot)
                } else {
                    leftOut += 1
                }
            }
        }
        section.plots = key
        section.morePlots = more
        section.paragraphs.append("Each point is the mean over the seeds of a group, with its standard error as an error "
                                  + "bar; one line per combination of the other swept parameters.")
        if constant > 0 {
            section.paragraphs.append("\(constant) metric\(constant == 1 ? " is" : "s are") the same in every group and "
                                      + "not plotted (see aggregate.csv).")
        }
        if leftOut > 0 { notes.append("\(leftOut) more metric plots are not drawn, to keep the report small; see aggregate.csv") }
    }

    /// `metric` (mean ± stderr) against `axis`, one series per combination of the other axes.
    static func metricPlot(_ agg: CSVTable, metric: String, axis: String, axes: [String]) -> Plot? {
        guard let axisCells = agg.column(axis) else { return nil }
        let distinct = axisCells.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        guard distinct.count >= 2 else { return nil }
        let others = axes.filter { $0 != axis }
        let parsed = distinct.map { Double($0) }
        let numeric = parsed.allSatisfy { $0?.isFinite == true }
        let values = parsed.compactMap { $0 }
        let xKind: Scale.Kind = numeric && values.allSatisfy({ $0 > 0 }) && (values.max()! / values.min()! >= 10 * (1 - 1e-9)) ? .log : .linear
        let means = numbers(agg.column(metric + ".mean") ?? [])
        let errors = agg.column(metric + ".stderr").map(numbers) ?? Array(repeating: .nan, count: agg.rows.count)
        let counts = agg.column("n") ?? []
        var order: [String] = []
        var rowsOf: [String: [Int]] = [:]
        for r in agg.rows.indices {
            let label = others.map { "\($0)=\(agg[r, $0] ?? "")" }.joined(separator: ", ")
            if rowsOf[label] == nil { order.append(label) }
            rowsOf[label, default: []].append(r)
        }
        var series: [PlotSeries] = []
        for (i, label) in order.prefix(seriesCap).enumerated() {
            var rows = rowsOf[label]!
            if numeric { rows.sort { Double(axisCells[$0])! < Double(axisCells[$1])! } }
            let x = rows.map { numeric ? Double(axisCells[$0])! : Double(distinct.firstIndex(of: axisCells[$0])!) }
            let y = rows.map { means[$0] }
            let e = rows.map { errors[$0] }
            series.append(PlotSeries(name: label.isEmpty ? metric : label, x: x, y: y,
                                     lower: zip(y, e).map { $1.isFinite ? $0 - $1 : .nan },
                                     upper: zip(y, e).map { $1.isFinite ? $0 + $1 : .nan },
                                     style: .lineAndPoints, color: i, dash: Palette.dash(i)))
        }
        let finite = means.filter(\.isFinite)
        let yKind: Scale.Kind = finite.allSatisfy { $0 > 0 } && (finite.max() ?? 1) / (finite.min() ?? 1) > 100 ? .log : .linear
        let seeds = Set(counts).sorted().joined(separator: ", ")
        return Plot(id: "metric-\(metric)-vs-\(axis)", title: "\(metric) against \(axis)", xLabel: axis, yLabel: metric,
                    xKind: xKind, yKind: yKind, xCategories: numeric ? nil : distinct, uncertainty: .errorBars,
                    caption: "Mean ± standard error over the points of each group (n = \(seeds))."
                        + (order.count > seriesCap ? " The first \(seriesCap) of \(order.count) combinations." : ""),
                    content: .xy(series: series, markers: [], diagonal: false))
    }

    /// The aggregate's group columns, `n`, and `mean ± stderr` of the key metrics (else the first ones that vary).
    static func aggregateTable(_ tables: SweepTables, stageTypes: [String: String]) -> ReportTable {
        let agg = tables.aggregate
        let metrics = tables.aggregateMetrics
        let varying = metrics.filter { m in
            let v = numbers(agg.column(m + ".mean") ?? []).filter(\.isFinite)
            let e = numbers(agg.column(m + ".stderr") ?? []).filter(\.isFinite)
            return Set(v).count > 1 || e.contains { $0 != 0 }
        }
        let keys = metrics.filter { isKey($0, stageTypes, keyMetrics) }
        let shown = Array((keys + varying.filter { !keys.contains($0) }).prefix(14))
        let rows = agg.rows.indices.map { r in
            tables.groupColumns.map { agg[r, $0] ?? "" } + [agg[r, "n"] ?? ""] + shown.map { m in
                let mean = RunContents.number(agg[r, m + ".mean"] ?? "") ?? .nan
                let err = RunContents.number(agg[r, m + ".stderr"] ?? "") ?? .nan
                return Ticks.short(mean) + (err.isFinite ? " ± " + Ticks.short(err) : "")
            }
        }
        return ReportTable(columns: tables.groupColumns + ["n"] + shown, rows: rows,
                           caption: "Key metrics and the first that vary (all of them: aggregate.csv).")
    }

    // MARK: - Curves

    static func listCurves(_ folder: URL) -> [String] {
        let curves = folder.appendingPathComponent(SweepResults.curvesFolderName)
        return ((try? FileManager.default.contentsOfDirectory(atPath: curves.path)) ?? [])
            .filter { $0.hasSuffix(".csv") && !$0.hasPrefix(".") }.sorted()
    }

    static func curvePlots(_ folder: URL, files: [String], stageTypes: [String: String], into section: inout ReportSection,
                           notes: inout [String]) {
        var key: [Plot] = [], more: [Plot] = []
        var leftOut = 0
        for file in files {
            let name = String(file.dropLast(4))
            guard let dot = name.firstIndex(of: ".") else { continue }
            let stage = String(name[..<dot]).removingPercentEncoding ?? String(name[..<dot])
            let metric = String(name[name.index(after: dot)...]).removingPercentEncoding ?? String(name[name.index(after: dot)...])
            let isKey = stageTypes[stage].flatMap { keyCurves[$0] }?.contains(metric) ?? false
            guard isKey ? key.count < curveCap : more.count < curveCap else {
                leftOut += 1
                continue
            }
            let url = folder.appendingPathComponent(SweepResults.curvesFolderName).appendingPathComponent(file)
            guard let table = ReportFiles.csv(url) else {
                notes.append("curves/\(file) could not be read as CSV; its plot is left out")
                continue
            }
            guard let plot = curvePlot(table, stage: stage, metric: metric, use: stageTypes[stage]) else { continue }
            if isKey { key.append(plot) } else { more.append(plot) }
        }
        section.plots = key
        section.morePlots = more
        if !key.isEmpty || !more.isEmpty {
            section.paragraphs.append("The mean of each metrics.csv key over the points of each group, with its standard "
                                      + "error as a band.")
        }
        if leftOut > 0 { notes.append("\(leftOut) more curves are not drawn, to keep the report small; see curves/") }
    }

    static func curvePlot(_ table: CSVTable, stage: String, metric: String, use: String?) -> Plot? {
        guard let s = table.columnIndex("step"), let m = table.columnIndex("mean"), let e = table.columnIndex("stderr"),
              s == 0, m > s else { return nil }
        let groupColumns = Array(table.columns[(s + 1)..<m])
        var order: [String] = []
        var rowsOf: [String: [Int]] = [:]
        for (r, row) in table.rows.enumerated() {
            let label = groupColumns.enumerated().map { "\($0.element)=\(row[s + 1 + $0.offset])" }.joined(separator: ", ")
            if rowsOf[label] == nil { order.append(label) }
            rowsOf[label, default: []].append(r)
        }
        var series: [PlotSeries] = []
        var means: [Double] = []
        for (i, label) in order.prefix(seriesCap).enumerated() {
            let rows = rowsOf[label]!.map { table.rows[$0] }
            let x = rows.map { RunContents.number($0[s]) ?? .nan }
            let y = rows.map { RunContents.number($0[m]) ?? .nan }
            let err = rows.map { RunContents.number($0[e]) ?? .nan }
            means += y
            series.append(PlotSeries(name: label.isEmpty ? "all points" : label, x: x, y: y,
                                     lower: zip(y, err).map { $1.isFinite ? $0 - $1 : .nan },
                                     upper: zip(y, err).map { $1.isFinite ? $0 + $1 : .nan },
                                     color: i, dash: Palette.dash(i)))
        }
        let finite = means.filter(\.isFinite)
        let yKind: Scale.Kind = !finite.isEmpty && finite.allSatisfy { $0 > 0 }
            && (finite.max()! / finite.min()! > 100 || metric.hasSuffix("loss")) ? .log : .linear
        let xLabel = use == "analysis.coord_check" ? "width" : "step"
        return Plot(id: "curve-\(stage)-\(metric)", title: "\(metric) — \(stage)" + (use.map { " (\($0))" } ?? ""),
                    xLabel: xLabel, yLabel: metric, xKind: .log, yKind: yKind,
                    caption: "Mean ± standard error per group." + (order.count > seriesCap
                        ? " The first \(seriesCap) of \(order.count) groups." : "") + " " + RunStagePlots.stepZeroCaption,
                    content: .xy(series: series, markers: [], diagonal: false))
    }
}
