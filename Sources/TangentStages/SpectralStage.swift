import TangentCore
import TangentNTK
import TangentPipeline

/// `analysis.spectral`: spectral norms, Frobenius norms and stable ranks of every weight matrix at every snapshot.
public struct SpectralStage: Stage {
    public static let name = "analysis.spectral"
    public static let summary = "Spectral and Frobenius norms, their changes from initialization and stable ranks, per layer and snapshot."
    public static let doc = """
        For every snapshot t and weight matrix W_l (fan_out × fan_in), with W_l(0) the first snapshot (step 0) and \
        s_l = √(fan_out/fan_in): ‖W_l‖_* (largest singular value, exact SVD), ‖W_l − W_l(0)‖_*, ‖W_l‖_F, \
        ‖W_l − W_l(0)‖_F, the stable rank ‖W_l‖_F²/‖W_l‖_*², and the ratios ‖W_l‖_*/s_l and ‖W_l − W_l(0)‖_*/s_l. \
        The spectral condition (Yang, Simon & Bernstein) asks both ratios to stay of order one as the width grows; \
        the spectral parametrization starts with ‖W_l‖_*/s_l = σ exactly.
        """
    public static let outputKind = ArtifactKind.table
    public static let inputs = [InputSlot("trajectory", kind: .trajectory, doc: "a training run with snapshots")]
    /// (metrics key suffix and array name, doc)
    static let quantities: [(String, String)] = [
        ("spectral", "‖W_l‖_*"), ("delta_spectral", "‖W_l − W_l(0)‖_*"), ("frobenius", "‖W_l‖_F"),
        ("delta_frobenius", "‖W_l − W_l(0)‖_F"), ("stable_rank", "‖W_l‖_F²/‖W_l‖_*²"),
        ("spectral_ratio", "‖W_l‖_*/√(fan_out/fan_in)"), ("delta_spectral_ratio", "‖W_l − W_l(0)‖_*/√(fan_out/fan_in)"),
    ]
    public static let outputs = [OutputFile("times.npy", doc: "(T,) int64 snapshot steps")]
        + quantities.map { OutputFile("\($0.0).npy", doc: "(T, L+1) \($0.1) per snapshot and layer") }
        + [
            OutputFile("metrics.csv", doc: "step,key,value with keys W<l>/<quantity>, e.g. W0/spectral, W1/delta_spectral_ratio"),
            OutputFile("summary.json", doc: "the final step and the final value of every quantity per layer"),
        ]

    static func value(_ m: LayerSpectralMetrics, _ key: String) -> Double {
        switch key {
        case "spectral": m.spectral
        case "delta_spectral": m.deltaSpectral
        case "frobenius": m.frobenius
        case "delta_frobenius": m.deltaFrobenius
        case "stable_rank": m.stableRank
        case "spectral_ratio": m.spectralRatio
        default: m.deltaSpectralRatio
        }
    }

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let trajectory = try TrainingTrajectory(artifact: try inputs.one("trajectory"), from: "trajectory")
        guard let initial = trajectory.snapshots.first else {
            throw PipelineError(.stageFailed, "\(name): the trajectory has no snapshots")
        }
        context.progress.start("spectral norms", total: trajectory.snapshots.count)
        defer { context.progress.finish() }
        var table: [[LayerSpectralMetrics]] = []
        for snapshot in trajectory.snapshots {
            table.append(try snapshot.spectralMetrics(relativeTo: initial))
            context.progress.advance(by: 1)
        }
        let t = table.count, layers = initial.weights.count
        var arrays: [String: NPYArray] = ["times": try NPYArray(trajectory.snapshotSteps.map(Int64.init), shape: [t])]
        var metrics: [MetricRow] = []
        for (key, _) in quantities {
            arrays[key] = try NPYArray(table.flatMap { $0.map { value($0, key) } }, shape: [t, layers])
        }
        for (k, row) in table.enumerated() {
            for (l, m) in row.enumerated() {
                for (key, _) in quantities {
                    metrics.append(MetricRow(step: Double(trajectory.snapshotSteps[k]), key: "W\(l)/\(key)", value: value(m, key)))
                }
            }
        }
        var final: [String: Value] = [:]
        for (l, m) in (table.last ?? []).enumerated() {
            var entry: [String: Value] = ["fan_in": .int(m.fanIn), "fan_out": .int(m.fanOut)]
            for (key, _) in quantities { entry[key] = .double(value(m, key)) }
            final["W\(l)"] = .object(entry)
        }
        let summary: [String: Value] = [
            "snapshots": .int(t), "final_step": .int(trajectory.snapshotSteps.last ?? 0), "final": .object(final),
        ]
        return Artifact(kind: .table, arrays: arrays, summary: summary, metrics: metrics)
    }
}
