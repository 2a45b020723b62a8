import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

/// The outputs every infinite-width kernel stage writes, so `analysis.compare_predictors` reads them alike.
enum PredictorOutputs {
    static let common = [
        OutputFile("train.npy", doc: "the kernel on the train points (P, P), float64"),
        OutputFile("test.npy", doc: "the kernel between test and train points (P_test, P), when there is a test split"),
        OutputFile("predictions.npy", doc: "the kernel predictor on the test points (P_test, C)"),
        OutputFile("train_predictions.npy", doc: "the kernel predictor on the train points (P, C)"),
    ]

    /// The test MSE (mean over points and outputs) and the prediction arrays.
    static func table(kernel: Matrix<Double>, test: Matrix<Double>, trainPredictions: Matrix<Double>,
                      testPredictions: Matrix<Double>, data: DatasetArtifact, summary: [String: Value]) -> Table {
        var summary = summary
        var arrays: [String: NPYArray] = ["train": NPYArray(kernel), "train_predictions": NPYArray(trainPredictions)]
        summary["train_mse"] = .double(meanSquaredError(trainPredictions, data.trainTargets))
        summary["n"] = .int(kernel.rows)
        if data.testCount > 0 {
            arrays["test"] = NPYArray(test)
            arrays["predictions"] = NPYArray(testPredictions)
            summary["test_mse"] = .double(meanSquaredError(testPredictions, data.testTargets))
            summary["n_test"] = .int(test.rows)
        }
        return Table(arrays: arrays, summary: summary)
    }

    /// The kernels and their factorization, plus the solver's own arrays (`solver`: bytes, what, remedy).
    static func checkMemory(_ check: inout StageCheck, data: DatasetShape, solver: (Double, String, String)? = nil) {
        let (p, pt) = (Double(data.train), Double(data.test))
        check.needsMemory(8 * (4 * p * p + 3 * pt * p), for: "the kernels and their factorization",
                          remedy: "use fewer train points")
        if let (bytes, what, remedy) = solver { check.needsMemory(bytes, for: what, remedy: remedy + ", or use fewer train points") }
    }
}

/// The activations the infinite-width closed forms take.
public enum LimitActivation: String, CaseIterable, ParameterChoice {
    case linear, relu, erf
    var activation: Activation { Activation(rawValue: rawValue)! }
}

/// The network of `kernel.nngp` and `kernel.ntk_limit`.
public struct LimitNetworkParameters: ParameterGroup {
    @Param("L, the number of hidden layers", minimum: 1, maximum: 64) var depth = 1
    @Param("φ") var activation = LimitActivation.relu
    @Param("σ_w", minimum: 0) var weightStd = 1.0
    @Param("σ_b", minimum: 0) var biasStd = 0.0

    public init() {}

    var architecture: LimitArchitecture {
        LimitArchitecture(depth: depth, activation: activation.activation, weightStd: weightStd, biasStd: biasStd)
    }
}

/// Shared run of `kernel.nngp` and `kernel.ntk_limit`.
protocol LimitKernelStage: Stage where Output == Table {
    var data: DatasetArtifact { get }
    var network: LimitNetworkParameters { get }
    var ridge: Double { get }
    static func pick(_ kernels: LimitKernels) -> Matrix<Double>
}

extension LimitKernelStage {
    func runLimit(_ context: StageContext) throws -> Table {
        let architecture = network.architecture
        let x = data.trainInputs, xt = data.testInputs
        let train = Self.pick(try infiniteWidthKernels(x, x, architecture: architecture))
        let test = xt.rows > 0 ? Self.pick(try infiniteWidthKernels(xt, x, architecture: architecture)) : Matrix(rows: 0, columns: x.rows)
        let (trainPrediction, testPrediction, jitter) = try blockRidgePredictor(kernel: train, testKernel: test,
                                                                                 targets: data.trainTargets, ridge: ridge,
                                                                                 sharedAcrossHeads: true)
        let table = PredictorOutputs.table(kernel: train, test: test, trainPredictions: trainPrediction,
                                           testPredictions: testPrediction, data: data,
                                           summary: ["method": .string(Self.name), "ridge": .double(ridge), "jitter": .double(jitter)])
        context.log("\(train.rows)×\(train.rows) kernel; test MSE \(table.summary["test_mse"]?.doubleValue ?? .nan)")
        return table
    }
}

/// `kernel.nngp`: the infinite-width NNGP kernel of an MLP (neural-tangents' convention).
public struct NNGPStage: LimitKernelStage {
    public static let name = "kernel.nngp"
    public static let summary = "The infinite-width NNGP kernel of an MLP (neural-tangents' convention) and its ridge predictor."
    public static let doc = """
        K of stax.serial(Dense(n, W_std=σ_w, b_std=σ_b), φ, …, Dense(1, W_std=σ_w, b_std=σ_b)) with `depth` hidden \
        layers, inputs as given: Σ¹ = σ_w²·x·x'/D + σ_b², Σ^{l+1} = σ_w²·E[φ(u)φ(v)] + σ_b², closed forms for \
        linear, relu (arc-cosine) and erf (arcsine). Predictor K(x, X)(K + ρI)⁻¹Y with ρ = `ridge` (the Bayesian \
        posterior mean with noise variance ρ; ρ = 0 by Cholesky with the documented jitter). See docs/science.md.
        """
    public static let outputs = PredictorOutputs.common + [OutputFile("summary.json", doc: "train_mse, test_mse, ridge, jitter")]

    @Input("the dataset (train and test inputs as given)") var data: DatasetArtifact
    @Params var network: LimitNetworkParameters
    @Param("ρ of the predictor (e.g. 1/β for the Bayesian posterior at inverse temperature β)", minimum: 0) var ridge = 0.0

    public init() {}
    static func pick(_ kernels: LimitKernels) -> Matrix<Double> { kernels.nngp }
    public func validate(_ check: inout StageCheck) throws -> TableShape {
        PredictorOutputs.checkMemory(&check, data: $data.shape)
        return TableShape()
    }
    public func run(_ context: StageContext) throws -> Table { try runLimit(context) }
}

/// `kernel.ntk_limit`: the infinite-width NTK of an MLP (neural-tangents' convention).
public struct NTKLimitStage: LimitKernelStage {
    public static let name = "kernel.ntk_limit"
    public static let summary = "The infinite-width NTK of an MLP (neural-tangents' convention) and its ridge predictor."
    public static let doc = """
        Θ of stax.serial(Dense(n, W_std=σ_w, b_std=σ_b), φ, …, Dense(1, W_std=σ_w, b_std=σ_b)) in the NTK \
        parametrization: Θ¹ = Σ¹, Θ^{l+1} = Σ^{l+1} + σ_w²·E[φ'(u)φ'(v)]·Θ^l (see kernel.nngp for Σ). Predictor \
        Θ(x, X)(Θ + ρI)⁻¹Y: the lazy network trained to convergence for ρ = 0, and its stationary point under weight \
        decay λ for ρ = 2λ (sum loss).
        """
    public static let outputs = PredictorOutputs.common + [OutputFile("summary.json", doc: "train_mse, test_mse, ridge, jitter")]

    @Input("the dataset (train and test inputs as given)") var data: DatasetArtifact
    @Params var network: LimitNetworkParameters
    @Param("ρ of the predictor (2λ for weight decay λ with the sum loss)", minimum: 0) var ridge = 0.0

    public init() {}
    static func pick(_ kernels: LimitKernels) -> Matrix<Double> { kernels.ntk }
    public func validate(_ check: inout StageCheck) throws -> TableShape {
        PredictorOutputs.checkMemory(&check, data: $data.shape)
        return TableShape()
    }
    public func run(_ context: StageContext) throws -> Table { try runLimit(context) }
}

/// The solver's history as `convergence.csv` and its progress as log lines.
enum SolverLog {
    static func csv(_ history: [SolverStep]) -> Data {
        var text = "iteration,time,residual,train_mse\n"
        for s in history { text += "\(s.iteration),\(s.time),\(s.residual),\(s.trainMSE)\n" }
        return Data(text.utf8)
    }

    static func reporter(_ context: StageContext, every: Int) -> (SolverStep) -> Void {
        { step in
            if step.iteration % every == 0 {
                context.log(String(format: "iteration %d: residual %.3e, train MSE %.4g", step.iteration, step.residual, step.trainMSE))
            }
        }
    }

    static func summary(_ result: AdaptiveKernelResult, method: String) -> [String: Value] {
        var summary: [String: Value] = ["method": .string(method), "iterations": .int(result.iterations),
                                        "residual": .double(result.residual), "converged": .bool(result.converged),
                                        "ridge": .double(result.ridge)]
        for (key, value) in result.extras { summary[key] = .double(value) }
        return summary
    }
}

/// `kernel.adaptive_ntk`: the aNTK, the fixed point of the two-layer mean-field DMFT with weight decay.
public struct AdaptiveNTKStage: Stage {
    public static let name = "kernel.adaptive_ntk"
    public static let summary = "The adaptive NTK (aNTK): the two-layer mean-field DMFT with weight decay at its fixed point, and its 2λ-ridge predictor."
    public static let doc = """
        Monte-Carlo DMFT of f = (1/(γM))·Σ z_i·φ(w_i·x/√D) trained by gradient flow on ½·Σ_μ‖f_μ − y_μ‖² with weight \
        decay λ (θ̇ = −(Mγ²∇L + λθ), the meanfield parametrization of train.gd with loss: sum): M neuron draws \
        h ~ N(0, XXᵀ/D), z ~ N(0, I) in antithetic pairs, integrated (Euler, dt = damping/(2λ + κ), κ the current \
        kernel's top eigenvalue; the state is the weights w when 2D(P_all + P) < P·P_all, else the fields h) until the relative velocity of the state is below `tolerance` (λz = γ⟨φΔ⟩, \
        λh = γ·C·g·Δ), `max_iterations` or flow time `max_time`. Kernel K = Φ + G⊙C (Φ = ⟨φφᵀ⟩, G = ⟨ggᵀ⟩, g = φ'z), \
        predictor K(x, X)(K + 2λI)⁻¹Y. Two-layer networks with relu or linear φ (the 2λ identity needs a \
        1-homogeneous φ); several outputs give the (C·P) × (C·P) head-major kernel. Deep networks are not supported. \
        Same seed, same numbers for any thread count. See docs/science.md.
        """
    public static let outputs = PredictorOutputs.common + [
        OutputFile("feature_kernel.npy", doc: "Φ on the train points (P, P)"),
        OutputFile("convergence.csv", doc: "iteration,time,residual,train_mse of the DMFT"),
        OutputFile("summary.json", doc: "test_mse, train_mse, iterations, residual, converged, time, ridge = 2λ, population_relative_difference"),
    ]
    public enum NTKActivation: String, CaseIterable, ParameterChoice { case relu, linear }

    @Input("the dataset") var data: DatasetArtifact
    @Param("γ, the feature-learning strength", minimum: 1e-12) var gamma = 1.0
    @Param("λ, the weight decay (ridge 2λ)", minimum: 0) var weightDecay = 1.0
    @Param("φ (1-homogeneous)") var activation = NTKActivation.relu
    @Param("M, neuron draws (even)", minimum: 2, maximum: 10_000_000) var samples = 4000
    @Param("fraction of the fastest stable Euler step", minimum: 1e-6, maximum: 1) var damping = 0.5
    @Param("stop when the fields' relative velocity (per unit of the fastest rate) is below this", minimum: 0) var tolerance = 1e-4
    @Param("the most DMFT iterations", minimum: 1) var maxIterations = 20_000
    @Param("stop at this flow time (a train.gd run with learning rate η after S steps is at η·S)", minimum: 0) var maxTime: Double?

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        check.require(samples % 2 == 0, $samples, "must be even (neurons are drawn in pairs (w, z), (w, −z))",
                      remedy: "use \(samples + 1)")
        let d = $data.shape
        let all = Double(d.train + d.test)
        PredictorOutputs.checkMemory(&check, data: d, solver: (
            8 * Double(samples) * (4 * all + Double(d.inputDim)) + 8 * Double(d.outputs * d.outputs) * all * all,
            "the \(samples) neuron draws' fields", "lower `samples`"))
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        var rng = context.rng()
        let settings = AdaptiveNTKSettings(gamma: gamma, weightDecay: weightDecay, activation: activation == .relu ? .relu : .linear,
                                           samples: samples, damping: damping, tolerance: tolerance,
                                           maxIterations: maxIterations, maxTime: maxTime)
        let result = try adaptiveNTK(trainInputs: data.trainInputs, trainTargets: data.trainTargets, testInputs: data.testInputs,
                                     settings: settings, rng: &rng, progress: SolverLog.reporter(context, every: 500))
        if !result.converged, maxTime == nil {
            context.warn("the DMFT stopped after \(result.iterations) iterations with residual \(result.residual) > tolerance \(tolerance)")
        }
        var table = PredictorOutputs.table(kernel: result.trainKernel, test: result.testKernel,
                                           trainPredictions: result.trainPredictions, testPredictions: result.testPredictions,
                                           data: data, summary: SolverLog.summary(result, method: Self.name))
        table.arrays["feature_kernel"] = NPYArray(result.featureKernel)
        table.files["convergence.csv"] = SolverLog.csv(result.history)
        context.log("\(result.iterations) iterations, residual \(result.residual); test MSE \(table.summary["test_mse"]?.doubleValue ?? .nan)")
        return table
    }
}

/// `kernel.adaptive_nngp`: the aNBK, the Bayesian min-max saddle.
public struct AdaptiveNNGPStage: Stage {
    public static let name = "kernel.adaptive_nngp"
    public static let summary = "The adaptive NNGP (aNBK): the Bayesian min-max saddle of a mean-field network, and its predictor."
    public static let doc = """
        The saddle of S = −½Σ_ℓ Tr Φ^ℓΦ̂^ℓ + ½γ²·yᵀ(Φ^L + β⁻¹I)⁻¹y − Σ_ℓ ln E_{h~N(0,Φ^{ℓ−1})} exp(−½φᵀΦ̂^ℓφ), \
        Φ⁰ = XXᵀ/D, for the posterior exp(−β(½Nγ²Σ‖f − y‖²) − ½|θ|²) of f = (1/(γN))·zᵀφ(h^L) (train.langevin of \
        a meanfield model at infinite width). Two-layer nonlinear networks (depth 1): Monte Carlo over `samples` \
        draws h ~ N(0, C), self-normalized weights exp(½γ²‖Vᵀφ(h)‖²) with V = (Φ + β⁻¹I)⁻¹Y, damped fixed point \
        Φ = ⟨φφᵀ⟩_tilted (the effective sample size is reported). Linear networks of any depth with one output: \
        the exact matrix equations (no sampling), Φ^ℓ written out as `layer_kernels.npy`. β = .inf is the \
        zero-temperature limit (ridgeless). Predictor Φ^L(x, X)(Φ^L + β⁻¹I)⁻¹Y. See docs/science.md.
        """
    public static let outputs = PredictorOutputs.common + [
        OutputFile("feature_kernel.npy", doc: "Φ^L on the train points (P, P)"),
        OutputFile("layer_kernels.npy", doc: "Φ^ℓ for ℓ = 1..L on the train points (L, P, P), linear networks"),
        OutputFile("convergence.csv", doc: "iteration,time,residual,train_mse of the saddle iteration"),
        OutputFile("summary.json", doc: "test_mse, train_mse, iterations, residual, converged, ridge = 1/β, effective_samples"),
    ]

    @Input("the dataset") var data: DatasetArtifact
    @Param("γ, the feature-learning strength", minimum: 0) var gamma = 1.0
    @Param("β, the inverse temperature (.inf: the zero-temperature limit)", minimum: 1e-12, maximum: .infinity) var beta = 100.0
    @Param("L, the number of hidden layers (> 1: linear only)", minimum: 1, maximum: 256) var depth = 1
    @Param("φ: linear (exact, any depth) or relu, erf, tanh, gelu (Monte Carlo, depth 1)") var activation = Activation.relu
    @Param("Monte-Carlo draws (nonlinear)", minimum: 2, maximum: 10_000_000) var samples = 20000
    @Param("the first fraction of each fixed-point step (halved when the residual grows)", minimum: 1e-6, maximum: 1) var damping = 0.5
    @Param("stop when the relative change of the kernel is below this", minimum: 0) var tolerance = 1e-8
    @Param("the most iterations", minimum: 1) var maxIterations = 10_000

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        let d = $data.shape
        if activation != .linear {
            check.require(depth == 1, $depth, "deep networks are supported only with activation: linear",
                          remedy: "use depth: 1 or activation: linear")
        } else {
            check.require(d.outputs == 1, $activation, "linear networks take one output, the data has \(d.outputs)",
                          remedy: "encode two classes as one ±1 output (encoding: plusminus)")
        }
        let all = Double(d.train + d.test)
        if activation == .linear {
            PredictorOutputs.checkMemory(&check, data: d, solver: (8 * Double(depth + 2) * all * all, "the \(depth) layer kernels", "lower `depth`"))
        } else {
            PredictorOutputs.checkMemory(&check, data: d, solver: (8 * Double(samples) * (2 * all + Double(d.inputDim)),
                                                                   "the \(samples) Monte-Carlo draws", "lower `samples`"))
        }
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        var rng = context.rng()
        let settings = AdaptiveNNGPSettings(gamma: gamma, beta: beta, depth: depth, activation: activation, samples: samples,
                                            damping: damping, tolerance: tolerance, maxIterations: maxIterations)
        let result = try adaptiveNNGP(trainInputs: data.trainInputs, trainTargets: data.trainTargets, testInputs: data.testInputs,
                                      settings: settings, rng: &rng, progress: SolverLog.reporter(context, every: 50))
        if !result.converged {
            context.warn("the saddle iteration stopped after \(result.iterations) iterations with residual \(result.residual) > tolerance \(tolerance)")
        }
        if let fraction = result.extras["effective_fraction"], fraction < 0.01 {
            context.warn("the importance weights keep \(Int(result.extras["effective_samples"] ?? 0)) effective samples of \(samples): raise samples or lower gamma")
        }
        var table = PredictorOutputs.table(kernel: result.trainKernel, test: result.testKernel,
                                           trainPredictions: result.trainPredictions, testPredictions: result.testPredictions,
                                           data: data, summary: SolverLog.summary(result, method: Self.name))
        table.arrays["feature_kernel"] = NPYArray(result.featureKernel)
        if !result.layerKernels.isEmpty {
            let p = result.featureKernel.rows
            table.arrays["layer_kernels"] = try NPYArray(result.layerKernels.flatMap(\.elements), shape: [result.layerKernels.count, p, p])
        }
        table.files["convergence.csv"] = SolverLog.csv(result.history)
        context.log("\(result.iterations) iterations, residual \(result.residual); test MSE \(table.summary["test_mse"]?.doubleValue ?? .nan)")
        return table
    }
}
