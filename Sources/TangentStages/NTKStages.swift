import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

/// Parameters shared by `ntk.compute` and `ntk.snapshots`.
enum NTKParameters {
    static let common: [Parameter] = [
        Parameter("samples", .int, minimum: 1, nullable: true, doc: "use the first N train samples (default: all)"),
        Parameter("test_block", .bool, default: .bool(true), doc: "also compute Θ(x_test, x) when the data has a test split"),
        Parameter("test_samples", .int, minimum: 1, nullable: true, doc: "use the first N_test test samples (default: all)"),
        Parameter("cross_heads", .bool, default: .bool(false), doc: "also compute the cross-head blocks Θ^{c,d} (C·C·N² values)"),
        Parameter("per_layer", .bool, default: .bool(false), doc: "also keep each layer's contribution ((L+1)·C·N² values)"),
        Parameter("weighting", .choice(NTKOptions.Weighting.allCases.map(\.rawValue)), default: .string("parameters"),
                  doc: "parameters: Σ_θ ∂f∂f'; learning_rate: each parameter weighted by its learning-rate factor"),
        Parameter("memory_budget", .float, minimum: 1, nullable: true,
                  doc: "MB the computation may use beyond inputs and outputs; rows are blocked when exceeded"),
    ]

    static let outputs = [
        OutputFile("kernels.npz", doc: "`ntk` (C, N, N) per-head kernels; `trace` (N, N) = Σ_c Θ^c; `test` (C, N_test, N) "
                   + "when test inputs exist; `cross` (C, C, N, N) and `layers` (L+1, C, N, N) on request"),
        OutputFile("summary.json", doc: "shapes, precision, memory, smallest eigenvalue of any kernel that is negative beyond rounding"),
    ]

    static func options(_ p: Parameters) -> NTKOptions {
        NTKOptions(crossHeads: p.bool("cross_heads"), perLayer: p.bool("per_layer"),
                   weighting: NTKOptions.Weighting(rawValue: p.string("weighting"))!,
                   memoryBudget: p.optionalDouble("memory_budget").map { Int($0 * 1_048_576) })
    }

    /// The train inputs (first `samples`) and test inputs (first `test_samples`, or nil).
    static func inputs(_ data: Dataset, _ p: Parameters) -> (Matrix<Double>, Matrix<Double>?) {
        let n = min(p.optionalInt("samples") ?? data.trainCount, data.trainCount)
        let x = data.trainInputs.rows(0..<n)
        guard p.bool("test_block"), data.hasTest else { return (x, nil) }
        let nt = min(p.optionalInt("test_samples") ?? data.testCount, data.testCount)
        return (x, data.testInputs.rows(0..<nt))
    }
}

/// Stacks kernels from one or more models into the arrays of kernels.npz (a leading time axis when `times` is set).
struct KernelStack<Scalar: TangentScalar> {
    var ntk: [Scalar] = [], trace: [Scalar] = [], test: [Scalar] = [], cross: [Scalar] = [], layers: [Scalar] = []
    var count = 0
    var shapes: (n: Int, nTest: Int, c: Int, layers: Int) = (0, 0, 0, 0)
    var hasCross = false, hasLayers = false
    var negativeEigenvalues: [Value] = []

    mutating func append(_ k: EmpiricalNTK<Scalar>, label: Value, log: (String) -> Void) throws {
        shapes = (k.trace.rows, k.test.first?.rows ?? 0, k.heads.count, k.layers?.count ?? 0)
        for h in k.heads { ntk += h.elements }
        trace += k.trace.elements
        for t in k.test { test += t.elements }
        if let cross = k.cross { hasCross = true; for row in cross { for m in row { self.cross += m.elements } } }
        if let ls = k.layers { hasLayers = true; for layer in ls { for m in layer { layers += m.elements } } }
        for (c, h) in k.heads.enumerated() {
            if let lambda = try smallestEigenvalueIfNegative(h) {
                negativeEigenvalues.append(.object(["at": label, "head": .int(c), "smallest_eigenvalue": .double(lambda)]))
                log("head \(c) at \(label.yamlText): smallest eigenvalue \(lambda) is negative beyond rounding")
            }
        }
        count += 1
    }

    /// The smallest eigenvalue of a kernel when it is negative beyond rounding, else nil: a Cholesky factorization
    /// of Θ + δI with δ = 100·ε·tr(Θ) fails exactly when Θ has an eigenvalue below −δ (up to rounding), and only
    /// then are the eigenvalues computed.
    func smallestEigenvalueIfNegative(_ k: Matrix<Scalar>) throws -> Double? {
        let n = k.rows
        guard n > 0 else { return nil }
        var shifted = k
        let delta = Scalar(100 * Double(Scalar.ulpOfOne) * abs(Double(k.trace)))
        for i in 0..<n { shifted[i, i] += delta }
        let probe = Matrix<Scalar>(rows: n, columns: 1, repeating: 1)
        if (try? shifted.choleskySolve(probe, jitter: .none)) != nil { return nil }
        return Double(try k.symmetricEigenvalues().last ?? 0)
    }

    /// kernels.npz members; `stacked` adds the leading time axis.
    func members(stacked: Bool) throws -> [Artifact.NamedArray] {
        let (n, nt, c, l) = shapes
        let t = stacked ? [count] : []
        var out = [Artifact.NamedArray("ntk", try NPYArray(ntk, shape: t + [c, n, n])),
                   Artifact.NamedArray("trace", try NPYArray(trace, shape: t + [n, n]))]
        if nt > 0 { out.append(.init("test", try NPYArray(test, shape: t + [c, nt, n]))) }
        if hasCross { out.append(.init("cross", try NPYArray(cross, shape: t + [c, c, n, n]))) }
        if hasLayers { out.append(.init("layers", try NPYArray(layers, shape: t + [l, c, n, n]))) }
        return out
    }
}

/// Computes one model's kernels in the run's precision.
func computeKernels<Scalar: TangentScalar>(_ model: MLP, _ x: Matrix<Double>, _ xt: Matrix<Double>?, _ options: NTKOptions,
                                           as _: Scalar.Type) throws -> EmpiricalNTK<Scalar> {
    try empiricalNTK(model, inputs: x, testInputs: xt, options: options, as: Scalar.self)
}

/// `ntk.compute`: the empirical NTK of one model.
public struct NTKComputeStage: Stage {
    public static let name = "ntk.compute"
    public static let summary = "The empirical NTK of a model: per-head kernels, their trace, and test-by-train blocks."
    public static let doc = """
        Θ^c(x, x') = Σ_θ ∂f_c(x)/∂θ·∂f_c(x')/∂θ for every output head c, by the layer factorization \
        Θ^c = Σ_l [a_l²·(x_{l−1}·x'_{l−1}) + β_l²]·(δ^c_l·δ'^c_l) (docs/science.md): the Jacobian is never \
        materialized. In the run's precision (float64 or float32).
        """
    public static let outputKind = ArtifactKind.kernels
    public static let inputs = [
        InputSlot("model", kind: .model, doc: "the network"),
        InputSlot("data", kind: .dataset, doc: "the inputs X (train) and X_test (test)"),
    ]
    public static let parameters = NTKParameters.common
    public static let outputs = NTKParameters.outputs

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let model = try MLP(artifact: try inputs.one("model"), from: "model")
        let data = try Dataset(artifact: try inputs.one("data"), from: "data")
        let (x, xt) = NTKParameters.inputs(data, p)
        return try kernelsArtifact(models: [model], labels: [.null], x: x, xt: xt, parameters: p, context: context,
                                   stacked: false, extra: [:])
    }
}

/// `ntk.snapshots`: the empirical NTK at every saved snapshot of a training run.
public struct NTKSnapshotsStage: Stage {
    public static let name = "ntk.snapshots"
    public static let summary = "The empirical NTK at every snapshot of a trajectory, stacked along a leading time axis."
    public static let doc = """
        The same kernels as ntk.compute for each saved snapshot (every `stride`-th), stacked with a leading time axis: \
        `ntk` (T, C, N, N), `trace` (T, N, N), `test` (T, C, N_test, N); `times.npy` holds the steps.
        """
    public static let outputKind = ArtifactKind.kernels
    public static let inputs = [
        InputSlot("trajectory", kind: .trajectory, doc: "a training run with snapshots"),
        InputSlot("data", kind: .dataset, doc: "the inputs X (train) and X_test (test)"),
    ]
    public static let parameters = NTKParameters.common + [
        Parameter("stride", .int, default: .int(1), minimum: 1, doc: "use every k-th snapshot (the last is always used)"),
    ]
    public static let outputs = NTKParameters.outputs + [OutputFile("times.npy", doc: "(T,) int64 steps of the kernels")]

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let trajectory = try TrainingTrajectory(artifact: try inputs.one("trajectory"), from: "trajectory")
        let data = try Dataset(artifact: try inputs.one("data"), from: "data")
        let (x, xt) = NTKParameters.inputs(data, p)
        let stride = p.int("stride")
        var picked = Array(Swift.stride(from: 0, to: trajectory.snapshots.count, by: stride))
        if let last = trajectory.snapshots.indices.last, picked.last != last { picked.append(last) }
        let steps = picked.map { trajectory.snapshotSteps[$0] }
        var artifact = try kernelsArtifact(models: picked.map { trajectory.snapshots[$0] }, labels: steps.map(Value.int),
                                           x: x, xt: xt, parameters: p, context: context, stacked: true,
                                           extra: ["times": .list(steps.map(Value.int))])
        artifact.arrays["times"] = try NPYArray(steps.map(Int64.init), shape: [steps.count])
        return artifact
    }
}

/// The shared body: memory report, kernels of each model in the run's precision, kernels.npz and summary.
func kernelsArtifact(models: [MLP], labels: [Value], x: Matrix<Double>, xt: Matrix<Double>?, parameters p: Parameters,
                     context: StageContext, stacked: Bool, extra: [String: Value]) throws -> Artifact {
    let options = NTKParameters.options(p)
    guard let arch = models.first?.architecture else { throw PipelineError(.stageFailed, "no model to compute kernels of") }
    let bytes = context.precision == .float32 ? 4 : 8
    let memory = NTKMemory(n: x.rows, nTest: xt?.rows ?? 0, architecture: arch, bytesPerElement: bytes, options: options)
    func mb(_ b: Int) -> String { String(format: "%.1f MB", Double(b) / 1_048_576) }
    context.log("N = \(x.rows), N_test = \(xt?.rows ?? 0), C = \(arch.outputs), \(models.count) model(s): kernels "
                + "\(mb(memory.outputBytes * models.count)), layer factors \(mb(memory.factorBytes)), activations \(mb(memory.activationBytes))")
    context.progress.start("kernels", total: models.count)
    defer { context.progress.finish() }
    var summary: [String: Value] = extra
    func run<S: TangentScalar>(_: S.Type) throws -> (members: [Artifact.NamedArray], negatives: [Value], blocked: Bool) {
        var stack = KernelStack<S>()
        var blocked = false
        for (model, label) in zip(models, labels) {
            let k: EmpiricalNTK<S> = try computeKernels(model, x, xt, options, as: S.self)
            blocked = blocked || k.blocked
            try stack.append(k, label: label) { context.log($0) }
            context.progress.advance(by: 1)
        }
        return (try stack.members(stacked: stacked), stack.negativeEigenvalues, blocked)
    }
    let (members, negatives, blocked) = context.precision == .float32 ? try run(Float.self) : try run(Double.self)
    summary["n"] = .int(x.rows)
    summary["n_test"] = .int(xt?.rows ?? 0)
    summary["heads"] = .int(arch.outputs)
    summary["precision"] = .string(context.precision.rawValue)
    summary["weighting"] = .string(options.weighting.rawValue)
    summary["blocked"] = .bool(blocked)
    summary["negative_eigenvalues"] = .list(negatives)
    summary["output_mb"] = .double((Double(memory.outputBytes * models.count) / 1_048_576 * 10).rounded() / 10)
    return Artifact(kind: .kernels, archives: ["kernels.npz": members], summary: summary)
}
