import Foundation
import TangentPipeline

/// What a run folder yields for its report: key facts from the manifest, the claims, one section of plots per kind
/// of result (chosen by the stage types in the manifest), every stage's summary values, the timings, and the
/// resolved config.
public enum RunReport {
    public static func document(folder: URL) throws -> ReportDocument {
        let run = try RunContents(root: folder)
        let manifest = run.manifest
        var doc = ReportDocument(title: "Tangent run: " + (manifest["pipeline"]?.stringValue ?? folder.lastPathComponent))
        doc.facts = facts(manifest, folder: folder)
        do { doc.claims = try ClaimsFile.read(in: folder) } catch { doc.claimsProblem = "\(error)" }

        var training = ReportSection(id: "training", title: "Training")
        for stage in run.stages where RunStagePlots.training.contains(stage.use) {
            if let plot = RunStagePlots.loss(run, stage) { training.plots.append(plot.from(stage)) }
        }

        var silent = ReportSection(id: "silent-alignment", title: "Silent alignment")
        var verdictsShown: Set<String> = []
        for stage in run.stages(using: ["analysis.alignment"]) {
            let (plot, paragraphs) = RunStagePlots.silentAlignment(run, stage)
            if let plot { silent.plots.append(plot.from(stage)) }
            for p in paragraphs where !verdictsShown.contains(p) {
                verdictsShown.insert(p)
                silent.paragraphs.append(p)
            }
        }
        let aligned = Set(run.stages(using: ["analysis.alignment"]).compactMap { $0.from["kernels"]?.first })
        for stage in run.stages(using: ["analysis.timescales"]) {
            // Time scales of kernels without an alignment stage: the figure from the losses and the eigenvalues.
            if let kernels = stage.from["kernels"]?.first, !aligned.contains(kernels),
               let plot = RunStagePlots.silentAlignmentFromTimescales(run, stage) {
                silent.plots.append(plot.from(stage))
            }
            let p = RunStagePlots.verdict(run.summary(stage), stage: stage)
            if !verdictsShown.contains(p) {
                verdictsShown.insert(p)
                silent.paragraphs.append(p)
            }
        }

        var spectrum = ReportSection(id: "spectrum", title: "Spectrum of the NTK")
        for stage in run.stages(using: ["analysis.eigen"]) {
            spectrum.plots += [RunStagePlots.eigenvalues(run, stage), RunStagePlots.cumulativePower(run, stage)].compactMap { $0?.from(stage) }
        }

        var specialization = ReportSection(id: "specialization", title: "Kernel specialization")
        for stage in run.stages(using: ["analysis.specialization"]) {
            let (plots, paragraphs) = RunStagePlots.specialization(run, stage)
            specialization.plots += plots.map { $0.from(stage) }
            specialization.paragraphs += paragraphs
        }

        var regression = ReportSection(id: "kernel-regression", title: "Kernel regression")
        for stage in run.stages(using: ["analysis.kernel_regression"]) {
            regression.plots += RunStagePlots.kernelRegression(run, stage).map { $0.from(stage) }
        }

        var spectral = ReportSection(id: "spectral", title: "Spectral norms")
        for stage in run.stages(using: ["analysis.spectral"]) {
            if let plot = RunStagePlots.spectral(run, stage) { spectral.plots.append(plot.from(stage)) }
        }

        var coord = ReportSection(id: "coord-check", title: "Coordinate check")
        for stage in run.stages(using: ["analysis.coord_check"]) {
            let (plots, table) = RunStagePlots.coordCheck(run, stage)
            coord.plots += plots.map { $0.from(stage) }
            if let table { coord.tables.append(table) }
        }

        var predictors = ReportSection(id: "predictors", title: "Kernel predictors and networks")
        for stage in run.stages(using: ["analysis.compare_predictors"]) {
            if let plot = RunStagePlots.comparePredictors(run, stage) { predictors.plots.append(plot.from(stage)) }
        }
        for stage in run.stages(using: ["kernel.adaptive_ntk", "kernel.adaptive_nngp"]) {
            if let plot = RunStagePlots.convergence(run, stage) { predictors.morePlots.append(plot.from(stage)) }
        }
        predictors.moreTitle = "Convergence of the adaptive kernels"

        var phases = ReportSection(id: "loss-phases", title: "Loss phases")
        for stage in run.stages(using: ["analysis.loss_phases"]) {
            if let plot = RunStagePlots.lossPhases(run, stage) { phases.plots.append(plot.from(stage)) }
        }

        var summaries = ReportSection(id: "summaries", title: "Stage summaries")
        summaries.collapsed = true
        var rows: [[String]] = []
        for stage in run.stages where stage.finished && rows.count < 600 {
            rows += flatten(run.summary(stage)).map { [stage.id, $0.0, $0.1] }
        }
        if !rows.isEmpty {
            summaries.tables.append(ReportTable(columns: ["stage", "key", "value"], rows: Array(rows.prefix(600)),
                                                caption: rows.count > 600 ? "The first 600 values." : nil))
        }

        var timings = ReportSection(id: "timings", title: "Stages and timings")
        let listed = run.stages.prefix(1000)
        timings.tables.append(ReportTable(
            columns: ["stage", "type", "version", "status", "seconds", "error"],
            rows: listed.map { s in
                [s.id, s.use, s.version.map(String.init) ?? "", s.status, s.seconds.map { String(format: "%.3f", $0) } ?? "",
                 s.error ?? ""]
            },
            caption: (listed.count < run.stages.count ? "The first \(listed.count) of \(run.stages.count) stages. " : "")
                + "Total: " + String(format: "%.2f", run.stages.compactMap(\.seconds).reduce(0, +))
                + " s in stages (cached and shared stages take no time)."))

        var config = ReportSection(id: "config", title: "Resolved configuration")
        config.collapsed = true
        if let text = ReportFiles.text(folder.appendingPathComponent("config.resolved.yaml"), limit: 4 << 20) {
            config.preformatted = text
        }

        doc.sections = [training, silent, spectrum, specialization, regression, spectral, coord, predictors, phases,
                        summaries, timings, config]
        doc.notes = run.notes
        doc.finish()
        return doc
    }

    /// Key facts of a run from its manifest.
    static func facts(_ m: [String: Value], folder: URL) -> [(String, String)] {
        var facts: [(String, String)] = [("folder", folder.path)]
        func add(_ label: String, _ key: String) {
            guard let v = m[key], !v.isNull else { return }
            facts.append((label, text(v)))
        }
        add("status", "status")
        if let d = m["config"]?["description"]?.stringValue {
            facts.append(("description", d.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        add("pipeline file", "file")
        add("profile", "profile")
        if let o = m["overrides"]?.listValue, !o.isEmpty {
            facts.append(("overrides", o.compactMap(\.stringValue).joined(separator: " ")))
        }
        add("seed", "seed")
        add("precision", "precision")
        add("threads", "threads")
        add("Tangent version", "toolkit_version")
        add("host", "host")
        add("started", "started")
        add("ended", "ended")
        if let mb = m["peak_resident_mb"]?.doubleValue { facts.append(("peak memory", Ticks.short(mb) + " MB")) }
        if let s = m["interrupted_stage"]?.stringValue { facts.append(("interrupted in", s)) }
        return facts
    }

    /// A value as one line of text.
    static func text(_ v: Value) -> String {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return Ticks.short(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        default: return v.canonicalJSON
        }
    }

    /// A summary's scalars, and the scalars of its objects one level down (`final.test_mse`), sorted by key;
    /// lists are shown when short.
    static func flatten(_ summary: [String: Value]) -> [(String, String)] {
        var out: [(String, String)] = []
        for key in summary.keys.sorted() {
            let v = summary[key]!
            switch v {
            case .object(let members):
                for member in members.keys.sorted() {
                    let inner = members[member]!
                    switch inner {
                    case .object, .list: continue
                    default: out.append(("\(key).\(member)", text(inner)))
                    }
                }
            case .list(let items):
                let text = v.canonicalJSON
                if items.count <= 12, text.count <= 200 { out.append((key, text)) }
            default:
                out.append((key, text(v)))
            }
        }
        return out
    }
}

extension Plot {
    /// The plot with its stage named at the start of the caption.
    func from(_ stage: RunContents.Stage) -> Plot {
        var plot = self
        plot.caption = "Stage \(stage.id) (\(stage.use))." + (caption.map { " " + $0 } ?? "")
        return plot
    }
}
