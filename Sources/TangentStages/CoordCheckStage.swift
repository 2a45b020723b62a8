import TangentCore
import TangentNTK
import TangentPipeline

/// `analysis.coord_check`: RMS of every layer's preactivations and of their change after k steps, across widths.
public struct CoordCheckStage: Stage {
    public static let name = "analysis.coord_check"
    public static let summary = "Coordinate check: RMS of h_l and Δh_l after k steps over several widths, with the fitted width exponent."
    public static let doc = """
        For each parametrization and each width n in `widths`, builds `repeats` MLPs with `depth` hidden layers of width n on \
        the data's dimensions (seeded from the run), trains each `steps` full-batch steps at base learning rate η (the \
        per-layer factors come from the parametrization) and measures on the training inputs \
        RMS(h_l) = ‖h_l‖_F/√(P·n_l) at the trained weights and RMS(Δh_l) = RMS(h_l(k) − h_l(0)) for the \
        preactivations h_1 … h_{L+1} (h_{L+1} = f), pooled over the repeats as √(mean of RMS²). The width exponent is the least-squares slope of log RMS against \
        log n: ≈ 0 means the layer's updates are width-independent (muP, spectral); under standard parametrization \
        at a fixed η the output update grows with n (exponent between 1/2 and 1), the first layer's shrinks (≈ −1/2) \
        and the other hidden layers' grow towards n^{1/2} (slowly: preasymptotic at small widths).
        """
    public enum Optimizer: String, CaseIterable, ParameterChoice {
        case gd, adam
        var kind: OptimizerSettings.Kind { self == .gd ? .gd : .adam }
    }

    @Input("the training data (its train split is used)") var data: DatasetArtifact
    @Param("hidden widths n (at least two distinct)", minimum: 1) var widths = [64, 128, 256, 512]
    @Param("parametrizations to compare") var parametrizations: [Parametrization] = [.standard, .mup, .spectral]
    @Param("networks per width; RMS values are pooled as √(mean of RMS²) to average out finite-width noise", minimum: 1)
    var repeats = 4
    @Param("L, the number of hidden layers", minimum: 1) var depth = 2
    @Param("k, the number of training steps", minimum: 1) var steps = 10
    @Param("η, the base learning rate (fixed across widths and parametrizations)", minimum: 0) var learningRate = 0.01
    @Param("φ (tanh: smooth, less finite-width noise in the fitted exponents than relu)") var activation = Activation.tanh
    @Param("gd (full batch) or adam") var optimizer = Optimizer.gd
    @Param("σ: weight scale at initialization", minimum: 0) var initScale = 1.0

    public init() {}

    public static let outputs = [
        OutputFile("widths.npy", doc: "(W,) int64 widths"),
        OutputFile("<parametrization>_rms.npy", doc: "(L+1, W) RMS(h_l) after k steps, rows h_1 … h_{L+1}"),
        OutputFile("<parametrization>_rms_delta.npy", doc: "(L+1, W) RMS(h_l(k) − h_l(0))"),
        OutputFile("metrics.csv", doc: "step = width, keys <parametrization>/h<l>/rms and <parametrization>/h<l>/rms_delta"),
        OutputFile("summary.json", doc: "exponents.<parametrization>.h<l>.{rms, rms_delta}: fitted width exponents"),
    ]

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        check.require(Set(widths).count >= 2, $widths, "needs at least two distinct widths, got \(widths)",
                      remedy: "list two or more different widths")
        check.require(!parametrizations.isEmpty, $parametrizations, "is empty", remedy: "list at least one parametrization")
        check.require(learningRate > 0, $learningRate, "is 0: the weights do not move, so Δh = 0 has no width exponent",
                      remedy: "set a positive learning_rate")
        let d = $data.shape
        let n = Double(widths.max() ?? 0), p = Double(d.train)
        let parameters = Double(d.inputDim) * n + Double(depth - 1) * n * n + n * Double(d.outputs)
        check.needsMemory(8 * (parameters * 6 + p * n * Double(depth) * 6), for: "the widest network and its activations",
                          remedy: "use smaller widths or fewer samples")
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        let settings = CoordinateCheckSettings(widths: widths, repeats: repeats, depth: depth, steps: steps,
                                               learningRate: learningRate, optimizer: optimizer.kind,
                                               activation: activation, initScale: initScale)
        var rng = context.rng()
        var arrays: [String: NPYArray] = ["widths": try NPYArray(widths.map(Int64.init), shape: [widths.count])]
        var metrics: [MetricRow] = []
        var exponents: [String: Value] = [:]
        context.progress.start("coordinate check", total: parametrizations.count)
        defer { context.progress.finish() }
        for parametrization in parametrizations {
            let r: CoordinateCheckResult
            do {
                r = try coordinateCheck(parametrization, on: data.dataset, settings: settings, rng: &rng)
            } catch {
                throw PipelineError(.stageFailed, "\(Self.name): \(parametrization.rawValue): "
                                    + "if training diverged, lower learning_rate or steps", cause: error)
            }
            let key = parametrization.rawValue, layers = r.rms.count
            arrays["\(key)_rms"] = try NPYArray(r.rms.flatMap { $0 }, shape: [layers, widths.count])
            arrays["\(key)_rms_delta"] = try NPYArray(r.rmsDelta.flatMap { $0 }, shape: [layers, widths.count])
            var perLayer: [String: Value] = [:]
            for l in 0..<layers {
                for (i, n) in widths.enumerated() {
                    metrics.append(MetricRow(step: Double(n), key: "\(key)/h\(l + 1)/rms", value: r.rms[l][i]))
                    metrics.append(MetricRow(step: Double(n), key: "\(key)/h\(l + 1)/rms_delta", value: r.rmsDelta[l][i]))
                }
                perLayer["h\(l + 1)"] = .object(["rms": .double(r.rmsExponents[l]), "rms_delta": .double(r.rmsDeltaExponents[l])])
            }
            exponents[key] = .object(perLayer)
            context.progress.advance(by: 1)
        }
        let summary: [String: Value] = [
            "widths": .list(widths.map(Value.int)), "depth": .int(settings.depth), "steps": .int(settings.steps),
            "learning_rate": .double(settings.learningRate), "repeats": .int(settings.repeats), "optimizer": .string(optimizer.rawValue),
            "exponents": .object(exponents),
        ]
        return Table(arrays: arrays, summary: summary, metrics: metrics)
    }
}
