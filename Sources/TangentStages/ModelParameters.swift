import TangentNTK
import TangentPipeline

/// The architecture parameters shared by `model.mlp` and `model.load`.
enum ModelParameters {
    static let architecture: [Parameter] = [
        Parameter("hidden", .list(.int), default: .list([.int(256)]), minimum: 1,
                  doc: "hidden layer widths n_1 … n_L ([] for a linear model f = Wx)"),
        Parameter("input_dim", .int, minimum: 1, nullable: true, doc: "D; taken from the `data` input when not set"),
        Parameter("outputs", .int, minimum: 1, nullable: true, doc: "C; taken from the `data` input when not set"),
        Parameter("activation", .choice(Activation.allCases.map(\.rawValue)), default: .string("relu"),
                  doc: "φ: linear, relu, tanh, erf or gelu"),
        Parameter("bias", .bool, default: .bool(false), doc: "whether layers have biases"),
        Parameter("parametrization", .choice(Parametrization.allCases.map(\.rawValue)), default: .string("ntk"),
                  doc: "standard, ntk, mup, spectral or meanfield (formulas in docs/science.md)"),
        Parameter("init_scale", .float, default: .double(1), minimum: 0, doc: "σ: weight scale at initialization"),
        Parameter("bias_scale", .float, default: .double(1), minimum: 0, doc: "σ_b: bias multiplier (ntk)"),
        Parameter("gamma0", .float, default: .double(1), minimum: 1e-12, doc: "γ₀: feature-learning strength (meanfield)"),
    ]

    static let dataSlot = InputSlot("data", kind: .dataset, required: false,
                                    doc: "a dataset whose input and output dimensions the model takes")

    /// The architecture from parameters, with D and C from the dataset when not given (and checked against it).
    static func architecture(_ p: Parameters, data: Dataset?, stage: String) throws -> MLPArchitecture {
        func dimension(_ name: String, _ fromData: Int?) throws -> Int {
            switch (p.optionalInt(name), fromData) {
            case let (value?, data?) where value != data:
                throw PipelineError(.stageFailed, "\(stage): \(name) is \(value) but the connected dataset has \(data)")
            case let (value?, _): return value
            case let (nil, data?): return data
            case (nil, nil):
                throw PipelineError(.stageFailed, "\(stage): set `\(name)` or connect a dataset to the `data` input")
            }
        }
        return MLPArchitecture(
            inputDimension: try dimension("input_dim", data?.inputDimension),
            hidden: p.ints("hidden"), outputs: try dimension("outputs", data?.outputDimension),
            activation: Activation(rawValue: p.string("activation"))!, bias: p.bool("bias"),
            parametrization: Parametrization(rawValue: p.string("parametrization"))!,
            initScale: p.double("init_scale"), biasScale: p.double("bias_scale"), gamma0: p.double("gamma0"))
    }
}
