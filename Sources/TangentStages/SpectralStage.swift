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
    /// (metrics key suffix and array name, doc, value)
    static var quantities: [(String, String, KeyPath<LayerSpectralMetrics, Double>)] { [
        ("spectral", "‖W_l‖_*", \.spectral), ("delta_spectral", "‖W_l − W_l(0)‖_*", \.deltaSpectral),
        ("frobenius", "‖W_l‖_F", \.frobenius), ("delta_frobenius", "‖W_l − W_l(0)‖_F", \.deltaFrobenius),
        ("stable_rank", "‖W_l‖_F²/‖W_l‖_*²", \.stableRank),
        ("spectral_ratio", "‖W_l‖_*/√(fan_out/fan_in)", \.spectralRatio),
        ("delta_spectral_ratio", "‖W_l − W_l(0)‖_*/√(fan_out/fan_in)", \.deltaSpectralRatio),
    ] }
    public static let outputs = [OutputFile("times.npy", doc: "(T,) int64 snapshot steps")]
        + quantities.map { OutputFile("\($0.0).npy", doc: "(T, L+1) \($0.1) per snapshot and layer") }
        + [
            OutputFile("metrics.csv", doc: "step,key,value with keys W<l>/<quantity>, e.g. W0/spectral, W1/delta_spectral_ratio"),
            OutputFile("summary.json", doc: "the final step and the final value of every quantity per layer"),
        ]

    @Input("a training run with snapshots") var trajectory: TrajectoryArtifact

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        let shape = $trajectory.shape
        let widths = shape.architecture.widths.map(Double.init)
        let largest = zip(widths, widths.dropFirst()).map { $0 * $1 }.max() ?? 0
        check.needsMemory(8 * largest * 6, for: "the SVDs of the largest weight matrix", remedy: "use smaller layers")
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        guard trajectory.snapshotCount > 0 else { throw PipelineError(.stageFailed, "\(Self.name): the trajectory has no snapshots") }
        let initial = try trajectory.snapshot(0)
        context.progress.start("spectral norms", total: trajectory.snapshotCount)
        defer { context.progress.finish() }
        var table: [[LayerSpectralMetrics]] = []
        for index in 0..<trajectory.snapshotCount {
            table.append(try trajectory.snapshot(index).spectralMetrics(relativeTo: initial))
            context.progress.advance(by: 1)
        }
        let t = table.count, layers = initial.weights.count
        var arrays: [String: NPYArray] = ["times": try NPYArray(trajectory.snapshotSteps.map(Int64.init), shape: [t])]
        var metrics: [MetricRow] = []
        for (key, _, value) in Self.quantities {
            arrays[key] = try NPYArray(table.flatMap { $0.map { $0[keyPath: value] } }, shape: [t, layers])
        }
        for (k, row) in table.enumerated() {
            for (l, m) in row.enumerated() {
                for (key, _, value) in Self.quantities {
                    metrics.append(MetricRow(step: Double(trajectory.snapshotSteps[k]), key: "W\(l)/\(key)", value: m[keyPath: value]))
                }
            }
        }
        var final: [String: Value] = [:]
        for (l, m) in (table.last ?? []).enumerated() {
            var entry: [String: Value] = ["fan_in": .int(m.fanIn), "fan_out": .int(m.fanOut)]
            for (key, _, value) in Self.quantities { entry[key] = .double(m[keyPath: value]) }
            final["W\(l)"] = .object(entry)
        }
        let summary: [String: Value] = [
            "snapshots": .int(t), "final_step": .int(trajectory.snapshotSteps.last ?? 0), "final": .object(final),
        ]
        return Table(arrays: arrays, summary: summary, metrics: metrics)
    }
}
