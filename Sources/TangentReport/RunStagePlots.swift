import Foundation
import TangentPipeline

/// The plots each stage type yields, from its output files (docs/stages.md). Every builder returns no plot when
/// its files are missing; `Plot.hasData` drops plots whose data cannot be drawn.
enum RunStagePlots {
    static let training: Set<String> = ["train.gd", "train.langevin"]

    static func title(_ what: String, _ stage: RunContents.Stage) -> String { "\(what) — \(stage.id)" }

    /// Series of metric `key` (x = step).
    static func series(_ metrics: RunContents.Metrics, _ key: String, name: String, color: Int, dash: String = "",
                       style: PlotSeries.Style = .line) -> PlotSeries? {
        guard metrics.has(key) else { return nil }
        return PlotSeries(name: name, x: metrics.steps(key), y: metrics.values(key), style: style, color: color, dash: dash)
    }

    /// Positive values spanning more than a decade read best on a log axis.
    static func logKind(_ values: [Double], ratio: Double = 10) -> Scale.Kind {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max(), lo > 0 else { return .linear }
        return hi / lo > ratio ? .log : .linear
    }

    static let stepZeroCaption = "Step 0 has no place on the logarithmic step axis and is not drawn."

    // MARK: - Training

    static func loss(_ run: RunContents, _ stage: RunContents.Stage) -> Plot? {
        let partial = stage.status == "failed"
        let metrics = run.metrics(stage, partial: partial)
        let series = [self.series(metrics, "train_loss", name: "train loss", color: 0),
                      self.series(metrics, "test_loss", name: "test loss", color: 1, dash: "6 3")].compactMap { $0 }
        guard !series.isEmpty else { return nil }
        let values = series.flatMap(\.y)
        return Plot(id: "loss-\(stage.id)", title: title("Training loss", stage), xLabel: "step", yLabel: "loss",
                    xKind: .log, yKind: values.filter(\.isFinite).allSatisfy { $0 > 0 } ? .log : .linear,
                    caption: (partial ? "The stage failed: the curve is its partial output (\(stage.id).failed/). " : "")
                        + stepZeroCaption,
                    content: .xy(series: series, markers: [], diagonal: false))
    }

    // MARK: - Silent alignment

    /// A(t), ‖K(t)‖/‖K(T)‖ and L(t)/L(0) on one log time axis, with t_align, t_norm (t_norm_90) and t_half.
    static func silentAlignment(_ run: RunContents, _ align: RunContents.Stage) -> (Plot?, [String]) {
        guard let steps = run.array(align, "steps")?.values, steps.count >= 2 else { return (nil, []) }
        var series: [PlotSeries] = []
        if let a = run.array(align, "alignment")?.values, a.count == steps.count {
            series.append(PlotSeries(name: "alignment A(t)", x: steps, y: a, style: .lineAndPoints, color: 0))
        }
        if let norm = run.array(align, "kernel_norm")?.values, norm.count == steps.count, let last = norm.last,
           last.isFinite, last != 0 {
            series.append(PlotSeries(name: "‖K(t)‖ / ‖K(T)‖", x: steps, y: norm.map { $0 / last }, style: .lineAndPoints,
                                     color: 1))
        }
        let kernels = run.upstream(align, "kernels")
        let trajectory = kernels.flatMap { run.upstream($0, "trajectory") }
        if let trajectory {
            let metrics = run.metrics(trajectory)
            let loss = metrics.values("train_loss")
            if let first = loss.first, first.isFinite, first != 0 {
                series.append(PlotSeries(name: "L(t) / L(0)", x: metrics.steps("train_loss"), y: loss.map { $0 / first },
                                         color: 2, dash: "6 3"))
            }
        }
        guard !series.isEmpty else { return (nil, []) }
        // The time scales of the same kernels (else of the same training run).
        let scales = run.stages(using: ["analysis.timescales"])
        let times = scales.first { $0.from["kernels"] == align.from["kernels"] }
            ?? scales.first { trajectory != nil && $0.from["trajectory"]?.first == trajectory?.id }
        var markers: [PlotMarker] = []
        var paragraphs: [String] = []
        if let times {
            let summary = run.summary(times)
            for key in ["t_align", "t_norm", "t_norm_90", "t_half"] {
                if let v = summary[key]?.doubleValue, v.isFinite {
                    markers.append(PlotMarker(x: v, label: "\(key) = \(Ticks.short(v))"))
                }
            }
            paragraphs.append(verdict(summary, stage: times))
        }
        let plot = Plot(id: "silent-alignment-\(align.id)", title: title("Silent alignment", align), xLabel: "step",
                        yLabel: "value (normalised)", xKind: .log,
                        caption: "A(t): kernel-target alignment of the trace kernel; ‖K(t)‖ normalised by its final value; "
                            + "train loss normalised by its initial value. " + stepZeroCaption,
                        content: .xy(series: series, markers: markers, diagonal: false))
        return (plot, paragraphs)
    }

    /// The silent-alignment figure of a time-scales stage whose kernels have no alignment stage: L(t)/L(0) of its
    /// training run and, when an eigen stage analysed the same kernels, ‖K(t)‖_F = √(Σλ_i²) of the trace kernel from
    /// its eigenvalues (all of them, or the top k: then a lower bound), normalised by the final value.
    static func silentAlignmentFromTimescales(_ run: RunContents, _ times: RunContents.Stage) -> Plot? {
        var series: [PlotSeries] = []
        var caption = "No alignment stage analysed these kernels, so A(t) is not shown. "
        if let eigen = run.stages(using: ["analysis.eigen"]).first(where: { $0.from["kernels"] == times.from["kernels"] }),
           let steps = run.array(eigen, "steps")?.values,
           let values = run.archiveMember(eigen, "eigen.npz", "trace_eigenvalues"), values.shape.count == 2,
           values.shape[0] == steps.count {
            let norms = (0..<steps.count).map { t in sqrt(values.row(t).filter(\.isFinite).reduce(0) { $0 + $1 * $1 }) }
            if let last = norms.last, last > 0 {
                let partial = !(eigen.with["top_k"]?.isNull ?? true)
                series.append(PlotSeries(name: "‖K(t)‖ / ‖K(T)‖", x: steps, y: norms.map { $0 / last }, style: .lineAndPoints,
                                         color: 1))
                caption += "‖K(t)‖_F from the \(partial ? "top \(values.shape[1]) " : "")eigenvalues of stage \(eigen.id)"
                    + (partial ? " (a lower bound)" : "") + ", normalised by its final value. "
            }
        }
        if let trajectory = run.upstream(times, "trajectory") {
            let metrics = run.metrics(trajectory)
            let loss = metrics.values("train_loss")
            if let first = loss.first, first.isFinite, first != 0 {
                series.append(PlotSeries(name: "L(t) / L(0)", x: metrics.steps("train_loss"), y: loss.map { $0 / first },
                                         color: 2, dash: "6 3"))
            }
        }
        guard !series.isEmpty else { return nil }
        let summary = run.summary(times)
        let markers = ["t_align", "t_norm", "t_norm_90", "t_half"].compactMap { key -> PlotMarker? in
            guard let v = summary[key]?.doubleValue, v.isFinite else { return nil }
            return PlotMarker(x: v, label: "\(key) = \(Ticks.short(v))")
        }
        return Plot(id: "silent-alignment-\(times.id)", title: title("Silent alignment", times), xLabel: "step",
                    yLabel: "value (normalised)", xKind: .log, caption: caption + stepZeroCaption,
                    content: .xy(series: series, markers: markers, diagonal: false))
    }

    /// The time scales' verdict: the summary's `verdict` text when it has one, else from `silent_alignment`.
    static func verdict(_ summary: [String: Value], stage: RunContents.Stage) -> String {
        let times = ["t_align", "t_norm", "t_norm_90", "t_half"].compactMap { key in
            summary[key]?.doubleValue.map { "\(key) = \(Ticks.short($0))" }
        }.joined(separator: ", ")
        let prefix = "Time scales (\(stage.id)): " + (times.isEmpty ? "" : times + ". ")
        if let verdict = summary["verdict"] {
            let reason = summary["verdict_reason"]?.stringValue.map { " (\($0))" } ?? ""
            return prefix + "Silent alignment: " + (verdict.stringValue ?? verdict.canonicalJSON) + reason + "."
        }
        if let silent = summary["silent_alignment"]?.boolValue {
            return prefix + (silent ? "Silent alignment: yes (t_align < t_norm ≤ t_half)."
                             : "Silent alignment: no (t_align < t_norm ≤ t_half does not hold).")
        }
        return prefix
    }

    // MARK: - Spectrum

    static func eigenvalues(_ run: RunContents, _ eigen: RunContents.Stage) -> Plot? {
        guard let steps = run.array(eigen, "steps")?.values else { return nil }
        var top = run.archiveMember(eigen, "eigen.npz", "trace_eigenvalues")
        var which = "trace kernel"
        if top == nil, let perHead = run.archiveMember(eigen, "eigen.npz", "eigenvalues"), perHead.shape.count == 3 {
            // (T, C, k): head 0.
            let (t, c, k) = (perHead.shape[0], perHead.shape[1], perHead.shape[2])
            top = ReportFiles.SmallArray(shape: [t, k], values: (0..<t).flatMap { i in perHead.values[(i * c * k)..<(i * c * k + k)] })
            which = "head 0"
        }
        guard let top, top.shape.count == 2, top.shape[0] == steps.count else { return nil }
        let shown = min(top.shape[1], 8)
        let series = (0..<shown).map { i in
            PlotSeries(name: "λ\(i + 1)", x: steps, y: top.column(i), color: i)
        }
        return Plot(id: "eigenvalues-\(eigen.id)", title: title("Top eigenvalues of the NTK", eigen), xLabel: "step",
                    yLabel: "eigenvalue", xKind: .log, yKind: .log,
                    caption: "The \(shown) largest eigenvalues of the \(which) at each snapshot (of \(top.shape[1]) computed). "
                        + "Values ≤ 0 are gaps on the log axis. " + stepZeroCaption,
                    content: .xy(series: series, markers: [], diagonal: false))
    }

    static func cumulativePower(_ run: RunContents, _ eigen: RunContents.Stage) -> Plot? {
        let metrics = run.metrics(eigen)
        let ks = metrics.keys.compactMap { key -> (Int, String)? in
            guard key.hasPrefix("cumulative_power_k"), let k = Int(key.dropFirst("cumulative_power_k".count)) else { return nil }
            return (k, key)
        }.sorted { $0.0 < $1.0 }
        guard !ks.isEmpty else { return nil }
        let series = ks.enumerated().map { i, entry in
            PlotSeries(name: "C(\(entry.0))", x: metrics.steps(entry.1), y: metrics.values(entry.1), color: i)
        }
        return Plot(id: "cumulative-power-\(eigen.id)", title: title("Cumulative target power", eigen), xLabel: "step",
                    yLabel: "C(k)", xKind: .log, yDomain: (0, 1),
                    caption: "C(k) = Σ_{i≤k} (v_iᵀy)²/|y|²: the fraction of the target in the trace kernel's top k "
                        + "eigenvectors. " + stepZeroCaption,
                    content: .xy(series: series, markers: [], diagonal: false))
    }

    // MARK: - Specialization

    static func specialization(_ run: RunContents, _ stage: RunContents.Stage) -> ([Plot], [String]) {
        var plots: [Plot] = []
        var paragraphs: [String] = []
        if let ksm = run.array(stage, "ksm"), ksm.shape.count == 3, ksm.shape[0] > 0, ksm.shape[1] == ksm.shape[2] {
            let (t, c) = (ksm.shape[0], ksm.shape[1])
            let steps = run.array(stage, "steps")?.values
            if c >= 2 {
                let base = (t - 1) * c * c
                let values = (0..<c).map { r in Array(ksm.values[(base + r * c)..<(base + r * c + c)]) }
                let step = steps.flatMap { $0.last }.map { " at step \(Ticks.short($0))" } ?? ""
                plots.append(Plot(id: "ksm-\(stage.id)", title: title("Kernel specialization matrix\(step)", stage),
                                  xLabel: "target y_d", yLabel: "kernel Θ_c",
                                  caption: "KSM(c, d) = A(Θ^c, y_d) normalised; ≈ 1 everywhere means no specialization, a "
                                    + "larger diagonal means each head's kernel aligned with its own target.",
                                  content: .heatmap(PlotHeatmap(rows: (0..<c).map { "c = \($0)" },
                                                                columns: (0..<c).map { "d = \($0)" }, values: values))))
            } else {
                paragraphs.append("\(stage.id): one output, so the specialization matrix is 1 by definition (no heatmap).")
            }
        }
        let metrics = run.metrics(stage)
        if let s = series(metrics, "specialization_index", name: "specialization index", color: 0, style: .lineAndPoints) {
            plots.append(Plot(id: "specialization-index-\(stage.id)", title: title("Specialization index", stage),
                              xLabel: "step", yLabel: "mean diagonal − mean off-diagonal", xKind: .log,
                              caption: stepZeroCaption, content: .xy(series: [s], markers: [], diagonal: false)))
        }
        return (plots, paragraphs)
    }

    // MARK: - Kernel regression

    static func kernelRegression(_ run: RunContents, _ stage: RunContents.Stage) -> [Plot] {
        var plots: [Plot] = []
        if let network = run.array(stage, "predictions_network") {
            var series: [PlotSeries] = []
            for (i, (name, label)) in [("predictions_final", "final NTK"), ("predictions_initial", "initial NTK")].enumerated() {
                if let k = run.array(stage, name), k.values.count == network.values.count {
                    var points = PlotSeries(name: label, x: network.values, y: k.values, style: .points, color: i)
                    points.marker = i == 0 ? .dot : .cross
                    series.append(points)
                }
            }
            if !series.isEmpty {
                plots.append(Plot(id: "kr-scatter-\(stage.id)", title: title("Kernel versus network predictions", stage),
                                  xLabel: "network f_NN(x_test)", yLabel: "kernel predictor f_K(x_test)",
                                  caption: "Every test point and output; on the line y = x the kernel predictor "
                                    + "reproduces the trained network.",
                                  content: .xy(series: series, markers: [], diagonal: true)))
            }
        }
        let metrics = run.metrics(stage)
        let keys: [(String, String, Int, String)] = [
            ("nn_train_loss", "network, train", 0, ""), ("nn_test_loss", "network, test", 0, "6 3"),
            ("kgd_train_loss", "KGD, train", 1, ""), ("kgd_test_loss", "KGD, test", 1, "6 3"),
            ("akgd_train_loss", "aKGD, train", 2, ""), ("akgd_test_loss", "aKGD, test", 2, "6 3"),
        ]
        let curves = keys.compactMap { series(metrics, $0.0, name: $0.1, color: $0.2, dash: $0.3) }
        if !curves.isEmpty {
            plots.append(Plot(id: "kgd-\(stage.id)", title: title("Kernel gradient descent versus the network", stage),
                              xLabel: "step", yLabel: "loss", xKind: .log, yKind: .log,
                              caption: "KGD: the initial kernel, fixed; aKGD: the initial kernel rescaled by ‖K(t)‖/‖K(0)‖. "
                                + stepZeroCaption,
                              content: .xy(series: curves, markers: [], diagonal: false)))
        }
        return plots
    }

    // MARK: - Spectral norms

    static func spectral(_ run: RunContents, _ stage: RunContents.Stage) -> Plot? {
        guard let times = run.array(stage, "times")?.values else { return nil }
        var series: [PlotSeries] = []
        for (name, label, dash) in [("spectral_ratio", "‖W%d‖*/s", ""), ("delta_spectral_ratio", "‖ΔW%d‖*/s", "6 3")] {
            guard let a = run.array(stage, name), a.shape.count == 2, a.shape[0] == times.count else { continue }
            for l in 0..<a.shape[1] {
                series.append(PlotSeries(name: label.replacingOccurrences(of: "%d", with: String(l)), x: times,
                                         y: a.column(l), color: l, dash: dash))
            }
        }
        guard !series.isEmpty else { return nil }
        return Plot(id: "spectral-\(stage.id)", title: title("Spectral norms over the fan ratio", stage), xLabel: "step",
                    yLabel: "ratio", xKind: .log, yKind: logKind(series.flatMap(\.y).filter { $0 > 0 }),
                    caption: "s = √(fan_out/fan_in). The spectral condition asks both ratios to stay of order one as the "
                        + "width grows. " + stepZeroCaption,
                    content: .xy(series: series, markers: [], diagonal: false))
    }

    // MARK: - Coordinate check

    static func coordCheck(_ run: RunContents, _ stage: RunContents.Stage) -> ([Plot], ReportTable?) {
        guard let widths = run.array(stage, "widths")?.values, widths.count >= 2 else { return ([], nil) }
        let parametrizations = run.arrayNames(stage).filter { $0.hasSuffix("_rms_delta") }.map { String($0.dropLast(10)) }
        var plots: [Plot] = []
        for (suffix, what, id) in [("_rms_delta", "RMS(Δh_l) after the steps", "coord-delta"),
                                   ("_rms", "RMS(h_l) after the steps", "coord-rms")] {
            var series: [PlotSeries] = []
            for (p, name) in parametrizations.enumerated() {
                guard let a = run.array(stage, name + suffix), a.shape.count == 2, a.shape[1] == widths.count else { continue }
                for l in 0..<a.shape[0] {
                    series.append(PlotSeries(name: "\(name) h\(l + 1)", x: widths, y: a.row(l), style: .lineAndPoints,
                                             color: p, dash: Palette.dashes[l % Palette.dashes.count]))
                }
            }
            if !series.isEmpty {
                var plot = Plot(id: "\(id)-\(stage.id)", title: title("Coordinate check: \(what)", stage),
                                xLabel: "width n", yLabel: suffix == "_rms" ? "RMS(h_l)" : "RMS(Δh_l)", xKind: .log,
                                yKind: .log,
                                caption: "One line per parametrization (colour) and layer (dash). A flat line: the "
                                    + "layer's updates do not depend on the width.",
                                content: .xy(series: series, markers: [], diagonal: false))
                if widths.count <= 12 { plot.xTicks = widths }
                plots.append(plot)
            }
        }
        // The fitted width exponents.
        var rows: [[String]] = []
        if let exponents = run.summary(stage)["exponents"]?.objectValue {
            for p in exponents.keys.sorted() {
                for layer in (exponents[p]?.objectValue ?? [:]).keys.sorted() {
                    let e = exponents[p]?[layer]
                    rows.append([p, layer, e?["rms"]?.doubleValue.map(Ticks.short) ?? "—",
                                 e?["rms_delta"]?.doubleValue.map(Ticks.short) ?? "—"])
                }
            }
        }
        let table = rows.isEmpty ? nil : ReportTable(columns: ["parametrization", "layer", "exponent of RMS(h)",
                                                               "exponent of RMS(Δh)"], rows: rows,
                                                     caption: "Least-squares slopes of log RMS against log width (\(stage.id)).")
        return (plots, table)
    }

    // MARK: - Predictors

    static func comparePredictors(_ run: RunContents, _ stage: RunContents.Stage) -> Plot? {
        guard let url = run.file(stage, "table.csv"), ReportFiles.exists(url) else { return nil }
        guard let table = ReportFiles.csv(url), let p = table.columnIndex("predictor"), let t = table.columnIndex("test_mse")
        else {
            run.note("\(stage.id)/table.csv could not be read as a predictor,method,test_mse table; its chart is left out")
            return nil
        }
        let m = table.columnIndex("method")
        let bars = table.rows.map { row in
            let network = m.map { row[$0].hasPrefix("network") } ?? false
            return PlotBar(label: row[p], value: RunContents.number(row[t]) ?? .nan, color: network ? 1 : 0,
                           group: m == nil ? nil : network ? "trained network" : "kernel predictor")
        }
        let best = run.summary(stage)["best"]?.stringValue
        return Plot(id: "compare-\(stage.id)", title: title("Test MSE of each predictor", stage), xLabel: "predictor",
                    yLabel: "test MSE", yKind: logKind(bars.map(\.value), ratio: 50),
                    caption: "The test MSE of each predictor on the data's test split."
                        + (best.map { " Lowest: \($0)." } ?? ""),
                    content: .bars(bars))
    }

    // MARK: - Loss phases

    static func lossPhases(_ run: RunContents, _ stage: RunContents.Stage) -> Plot? {
        let summary = run.summary(stage)
        guard let trajectory = run.upstream(stage, "trajectory") else { return nil }
        let metrics = run.metrics(trajectory)
        guard let loss = series(metrics, "train_loss", name: "train loss", color: 0) else { return nil }
        var series = [loss]
        var markers: [PlotMarker] = []
        if let alpha = summary["alpha"]?.doubleValue, let c = summary["coefficient"]?.doubleValue, alpha.isFinite,
           c.isFinite {
            let start = summary["window_start"]?.doubleValue ?? loss.x.filter { $0 > 0 }.min() ?? 1
            let end = summary["window_end"]?.doubleValue ?? loss.x.max() ?? start
            if start > 0, end > start {
                let xs = (0...40).map { start * pow(end / start, Double($0) / 40) }
                series.append(PlotSeries(name: "fit \(Ticks.short(c))·t^(−\(Ticks.short(alpha)))", x: xs,
                                         y: xs.map { c * pow($0, -alpha) }, color: 1, dash: "6 3"))
            }
        }
        if let end = summary["fast_phase_end"]?.doubleValue, end.isFinite {
            markers.append(PlotMarker(x: end, label: "fast phase ends (\(Ticks.short(end)))"))
        }
        let r2 = summary["r_squared"]?.doubleValue.map { " R² = \(Ticks.short($0))." } ?? ""
        return Plot(id: "loss-phases-\(stage.id)", title: title("Power-law phase of the loss", stage), xLabel: "step",
                    yLabel: "train loss", xKind: .log, yKind: .log,
                    caption: "The fit L ∝ t^(−α) over its window (dashed)." + r2 + " " + stepZeroCaption,
                    content: .xy(series: series, markers: markers, diagonal: false))
    }

    // MARK: - Adaptive kernels

    static func convergence(_ run: RunContents, _ stage: RunContents.Stage) -> Plot? {
        guard let url = run.file(stage, "convergence.csv"), ReportFiles.exists(url),
              let table = ReportFiles.csv(url), let i = table.columnIndex("iteration"),
              let r = table.columnIndex("residual") else { return nil }
        let x = table.rows.map { RunContents.number($0[i]) ?? .nan }
        let y = table.rows.map { RunContents.number($0[r]) ?? .nan }
        return Plot(id: "convergence-\(stage.id)", title: title("Convergence of the fixed point", stage),
                    xLabel: "iteration", yLabel: "residual", yKind: .log,
                    content: .xy(series: [PlotSeries(name: "residual", x: x, y: y, color: 0)], markers: [], diagonal: false))
    }
}
