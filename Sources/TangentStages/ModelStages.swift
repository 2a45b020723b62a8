import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

/// `model.mlp`: a freshly initialized MLP.
public struct ModelMLPStage: Stage {
    public static let name = "model.mlp"
    /// 2: the meanfield output bias has multiplier 1/(γ₀√n_L) (was 1). Downstream keys change with this one.
    public static let version = 2
    public static let summary = "A fully connected network in one of five parametrizations, initialized from the seed."
    public static let doc = """
        Builds an MLP x ↦ f(x) with hidden widths `hidden`, activation φ and a parametrization (standard, ntk, mup, \
        spectral, meanfield) that fixes the layer multipliers, the initial weight scales and the per-layer learning \
        rates; docs/science.md gives the exact forward formula of each. Weights are drawn from the run's seed.
        """
    public static let outputs = [
        OutputFile("weights.npz", doc: "W0, b0, W1, … with W_l of shape (fan_out, fan_in); b_l only with bias"),
        OutputFile("summary.json", doc: "the architecture and the parameter count"),
    ]

    @Input("a dataset whose input and output dimensions the model takes") var data: DatasetArtifact?
    @Params var architecture: ArchitectureParameters

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> MLPArchitecture {
        architecture.check(data: $data.shape, &check)
    }

    public func run(_ context: StageContext) throws -> MLP {
        var rng = context.rng()
        return try MLP(architecture: architecture.resolved(data: data?.shape), rng: &rng)
    }
}

/// `model.load`: an MLP whose weights come from an `.npz` file.
public struct ModelLoadStage: Stage {
    public static let name = "model.load"
    /// 2: the meanfield output bias has multiplier 1/(γ₀√n_L) (was 1), so the same file is another function.
    public static let version = 2
    public static let summary = "An MLP with weights read from an .npz file (W0, b0, W1, …) and a declared architecture."
    public static let doc = """
        Reads `weights` (an .npz with W0, b0, W1, … where W_l has shape (fan_out, fan_in)) and checks every array \
        against the declared architecture: a missing, extra or mis-shaped array is an error naming the file, the \
        array and both shapes. The same file means the same function in numpy (docs/science.md).
        """
    public static let outputs = ModelMLPStage.outputs

    @Input("a dataset whose input and output dimensions the model takes") var data: DatasetArtifact?
    @Param("the .npz file of weights") var weights: InputFile
    @Params var architecture: ArchitectureParameters

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> MLPArchitecture {
        check.needsMemory(2 * Double(fileSize(weights.path)), for: "the weights file")
        return architecture.check(data: $data.shape, &check)
    }

    public func run(_ context: StageContext) throws -> MLP {
        try MLP(architecture: architecture.resolved(data: data?.shape), arrays: try NPZ.read(contentsOf: weights.url),
                source: weights.path)
    }
}

/// The architecture parameters of `model.mlp` and `model.load`; D and C come from the connected dataset when not
/// given.
public struct ArchitectureParameters: ParameterGroup {
    @Param("hidden layer widths n_1 … n_L ([] for a linear model f = Wx)", minimum: 1) var hidden = [256]
    @Param("D; taken from the `data` input when not set", minimum: 1) var inputDim: Int?
    @Param("C; taken from the `data` input when not set", minimum: 1) var outputs: Int?
    @Param("φ: linear, relu, tanh, erf or gelu") var activation = Activation.relu
    @Param("whether layers have biases") var bias = false
    @Param("standard, ntk, mup, spectral or meanfield (formulas in docs/science.md)") var parametrization = Parametrization.ntk
    @Param("σ: weight scale at initialization (model.load: the multiplier of the ntk forward pass)", minimum: 0)
    var initScale = 1.0
    @Param("σ_b: bias multiplier (ntk)", minimum: 0) var biasScale = 1.0
    @Param("γ₀: feature-learning strength (meanfield)", minimum: 1e-12) var gamma0 = 1.0

    public init() {}

    /// The architecture with D and C from `data` when not set.
    func resolved(data: DatasetShape?) -> MLPArchitecture {
        MLPArchitecture(inputDimension: inputDim ?? data?.inputDim ?? 1, hidden: hidden,
                        outputs: outputs ?? data?.outputs ?? 1, activation: activation, bias: bias,
                        parametrization: parametrization, initScale: initScale, biasScale: biasScale, gamma0: gamma0)
    }

    /// Checks D and C against the dataset (or that they are set), declares the weights' memory, and returns the
    /// architecture.
    func check(data: DatasetShape?, _ check: inout StageCheck) -> MLPArchitecture {
        func dimension(_ value: Int?, _ fromData: Int?, _ field: FieldReference, _ name: String) {
            switch (value, fromData) {
            case let (value?, data?) where value != data:
                check.fail(field, "is \(value) but the connected dataset has \(data)", remedy: "remove \(name) to take it from the data")
            case (nil, nil):
                check.fail(field, "is not set and no dataset is connected", remedy: "set `\(name)` or connect a dataset to the `data` input")
            default: break
            }
        }
        dimension(inputDim, data?.inputDim, $inputDim, "input_dim")
        dimension(outputs, data?.outputs, $outputs, "outputs")
        let arch = resolved(data: data)
        let widths = arch.widths.map(Double.init)
        let parameters = zip(widths, widths.dropFirst()).map { $0 * $1 + (bias ? $1 : 0) }.reduce(0, +)
        check.needsMemory(8 * parameters * 2, for: "weights (\(Int(min(parameters, 9e18))) parameters)",
                          remedy: "use smaller `hidden` widths")
        return arch
    }
}

/// The size of the file at `path` in bytes (0 when it cannot be read; validation has checked it exists).
func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : 0
}
