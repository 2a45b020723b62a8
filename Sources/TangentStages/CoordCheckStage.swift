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
    public static let outputKind = ArtifactKind.table
    public static let inputs = [InputSlot("data", kind: .dataset, doc: "the training data (its train split is used)")]
    public static let parameters = [
        Parameter("widths", .list(.int), default: .list([64, 128, 256, 512].map(Value.int)), minimum: 1,
                  doc: "hidden widths n (at least two distinct)"),
        Parameter("parametrizations", .list(.choice(Parametrization.allCases.map(\.rawValue))),
                  default: .list(["standard", "mup", "spectral"].map(Value.string)), doc: "parametrizations to compare"),
        Parameter("repeats", .int, default: .int(4), minimum: 1,
                  doc: "networks per width; RMS values are pooled as √(mean of RMS²) to average out finite-width noise"),
        Parameter("depth", .int, default: .int(2), minimum: 1, doc: "L, the number of hidden layers"),
        Parameter("steps", .int, default: .int(10), minimum: 1, doc: "k, the number of training steps"),
        Parameter("learning_rate", .float, default: .double(0.01), minimum: 0,
                  doc: "η, the base learning rate (fixed across widths and parametrizations)"),
        Parameter("activation", .choice(Activation.allCases.map(\.rawValue)), default: .string("tanh"),
                  doc: "φ (tanh: smooth, less finite-width noise in the fitted exponents than relu)"),
        Parameter("optimizer", .choice(["gd", "adam"]), default: .string("gd"), doc: "gd (full batch) or adam"),
        Parameter("init_scale", .float, default: .double(1), minimum: 0, doc: "σ: weight scale at initialization"),
    ]
    public static let outputs = [
        OutputFile("widths.npy", doc: "(W,) int64 widths"),
        OutputFile("<parametrization>_rms.npy", doc: "(L+1, W) RMS(h_l) after k steps, rows h_1 … h_{L+1}"),
        OutputFile("<parametrization>_rms_delta.npy", doc: "(L+1, W) RMS(h_l(k) − h_l(0))"),
        OutputFile("metrics.csv", doc: "step = width, keys <parametrization>/h<l>/rms and <parametrization>/h<l>/rms_delta"),
        OutputFile("summary.json", doc: "exponents.<parametrization>.h<l>.{rms, rms_delta}: fitted width exponents"),
    ]

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let data = try Dataset(artifact: try inputs.one("data"), from: "data")
        let widths = p.ints("widths")
        guard Set(widths).count >= 2 else {
            throw PipelineError(.stageFailed, "\(name): widths needs at least two distinct widths, got \(widths)")
        }
        var parametrizations: [Parametrization] = []
        for value in p.list("parametrizations") {
            guard let name = value.stringValue, let parametrization = Parametrization(rawValue: name) else {
                throw PipelineError(.stageFailed, "\(Self.name): parametrizations: unknown entry \(value)")
            }
            parametrizations.append(parametrization)
        }
        guard let activation = Activation(rawValue: p.string("activation")),
              let optimizer = OptimizerSettings.Kind(rawValue: p.string("optimizer"))
        else { throw PipelineError(.stageFailed, "\(name): unknown activation or optimizer") }
        let settings = CoordinateCheckSettings(widths: widths, repeats: p.int("repeats"), depth: p.int("depth"), steps: p.int("steps"),
                                               learningRate: p.double("learning_rate"), optimizer: optimizer,
                                               activation: activation, initScale: p.double("init_scale"))
        var rng = context.rng()
        var arrays: [String: NPYArray] = ["widths": try NPYArray(widths.map(Int64.init), shape: [widths.count])]
        var metrics: [MetricRow] = []
        var exponents: [String: Value] = [:]
        context.progress.start("coordinate check", total: parametrizations.count)
        defer { context.progress.finish() }
        for parametrization in parametrizations {
            let r: CoordinateCheckResult
            do {
                r = try coordinateCheck(parametrization, on: data, settings: settings, rng: &rng)
            } catch {
                throw PipelineError(.stageFailed, "\(name): \(parametrization.rawValue): \(error) "
                                    + "(if training diverged, lower learning_rate or steps; learning_rate 0 leaves Δh = 0, which has no exponent)")
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
        return Artifact(kind: .table, arrays: arrays, summary: summary, metrics: metrics)
    }
}
