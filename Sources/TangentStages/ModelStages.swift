import TangentCore
import TangentNTK
import TangentPipeline

/// `model.mlp`: a freshly initialized MLP.
public struct ModelMLPStage: Stage {
    public static let name = "model.mlp"
    public static let summary = "A fully connected network in one of five parametrizations, initialized from the seed."
    public static let doc = """
        Builds an MLP x ↦ f(x) with hidden widths `hidden`, activation φ and a parametrization (standard, ntk, mup, \
        spectral, meanfield) that fixes the layer multipliers, the initial weight scales and the per-layer learning \
        rates; docs/science.md gives the exact forward formula of each. Weights are drawn from the run's seed.
        """
    public static let outputKind = ArtifactKind.model
    public static let inputs = [ModelParameters.dataSlot]
    public static let parameters = ModelParameters.architecture
    public static let outputs = [
        OutputFile("weights.npz", doc: "W0, b0, W1, … with W_l of shape (fan_out, fan_in); b_l only with bias"),
        OutputFile("summary.json", doc: "the architecture and the parameter count"),
    ]

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let data = try inputs.optional("data").map { try Dataset(artifact: $0, from: "data") }
        let arch = try ModelParameters.architecture(parameters, data: data, stage: name)
        var rng = context.rng()
        return try MLP(architecture: arch, rng: &rng).artifact()
    }
}

/// `model.load`: an MLP whose weights come from an `.npz` file.
public struct ModelLoadStage: Stage {
    public static let name = "model.load"
    public static let summary = "An MLP with weights read from an .npz file (W0, b0, W1, …) and a declared architecture."
    public static let doc = """
        Reads `weights` (an .npz with W0, b0, W1, … where W_l has shape (fan_out, fan_in)) and checks every array \
        against the declared architecture: a missing, extra or mis-shaped array is an error naming the file, the \
        array and both shapes. The same file means the same function in numpy (docs/science.md).
        """
    public static let outputKind = ArtifactKind.model
    public static let inputs = [ModelParameters.dataSlot]
    public static let parameters = [Parameter("weights", .path, doc: "the .npz file of weights")]
        + ModelParameters.architecture.filter { $0.name != "init_scale" } + [
            Parameter("init_scale", .float, default: .double(1), minimum: 0,
                      doc: "σ: enters the forward pass as a multiplier in the ntk parametrization"),
        ]
    public static let outputs = ModelMLPStage.outputs

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let data = try inputs.optional("data").map { try Dataset(artifact: $0, from: "data") }
        let arch = try ModelParameters.architecture(parameters, data: data, stage: name)
        let path = parameters.string("weights")
        let arrays = try NPZ.read(contentsOf: URL(fileURLWithPath: path))
        return try MLP(architecture: arch, arrays: arrays, source: path).artifact()
    }
}

import Foundation
