import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

/// Shared driver: reads data and model, reports progress, turns divergence into a partial artifact plus an error.
private func runTraining(_ stage: String, inputs: StageInputs, parameters: Parameters, context: StageContext,
                         settings: [String: Value],
                         body: (MLP, Dataset, inout Xoshiro256StarStar, (Int) -> Void) throws -> TrainingTrajectory)
    throws -> Artifact
{
    let data = try Dataset(artifact: try inputs.one("data"), from: "data")
    let model = try MLP(artifact: try inputs.one("model"), from: "model")
    guard model.architecture.inputDimension == data.inputDimension, model.architecture.outputs == data.outputDimension else {
        throw PipelineError(.stageFailed, "\(stage): the model maps \(model.architecture.inputDimension) → "
                            + "\(model.architecture.outputs) but the data has \(data.inputDimension) inputs and "
                            + "\(data.outputDimension) outputs")
    }
    var rng = context.rng()
    let steps = parameters.int("steps")
    context.progress.start("training", total: max(steps, 1))
    defer { context.progress.finish() }
    do {
        let trajectory = try body(model, data, &rng) { _ in context.progress.advance(by: 1) }
        return trajectory.artifact(architecture: model.architecture, settings: settings)
    } catch let divergence as TrainingDivergence {
        // Keep what was computed: it lands in <stage id>.failed/, marked partial (`complete: false`).
        var partial = divergence.partial.artifact(architecture: model.architecture, settings: settings)
        partial.summary["partial"] = .bool(true)
        partial.summary["diverged_at_step"] = .int(divergence.step)
        try? partial.write(to: context.workDirectory)
        throw PipelineError(.stageFailed, "\(stage): \(divergence)")
    }
}

/// `train.gd`: gradient descent (full batch or minibatch), momentum or Adam, with snapshots.
public struct TrainGDStage: Stage {
    public static let name = "train.gd"
    public static let summary = "Trains a model by gradient descent, minibatch SGD, momentum or Adam, saving snapshots."
    public static let doc = """
        Minimizes L = 1/(2P) Σ_μ ‖f(x_μ) − y_μ‖² (`loss: mean`) or ½ Σ_μ ‖f(x_μ) − y_μ‖² (`loss: sum`) with \
        per-layer learning rates η·c_l from the model's parametrization (docs/science.md) and weight decay λ. \
        Weights are saved at the snapshot steps; train and test loss are logged at every snapshot and on a denser \
        log-spaced grid. A diverging run (NaN, inf, or loss above divergence_factor × its initial value) stops with an \
        error naming the step and keeps the trajectory so far in <id>.failed/, marked partial.
        """
    public static let outputKind = ArtifactKind.trajectory
    public static let inputs = TrainingParameters.slots
    public static let parameters = TrainingParameters.common + [
        Parameter("optimizer", .choice(OptimizerSettings.Kind.allCases.map(\.rawValue)), default: .string("gd"),
                  doc: "gd (plain or minibatch), momentum or adam"),
        Parameter("batch_size", .int, minimum: 1, nullable: true, doc: "minibatch size; null = full batch"),
        Parameter("momentum", .float, default: .double(0.9), minimum: 0, maximum: 1, doc: "μ (momentum)"),
        Parameter("beta1", .float, default: .double(0.9), minimum: 0, maximum: 1, doc: "β₁ (adam)"),
        Parameter("beta2", .float, default: .double(0.999), minimum: 0, maximum: 1, doc: "β₂ (adam)"),
        Parameter("epsilon", .float, default: .double(1e-8), minimum: 0, doc: "ε (adam)"),
        Parameter("weight_decay", .float, default: .double(0), minimum: 0, doc: "λ"),
        Parameter("loss", .choice(LossNormalization.allCases.map(\.rawValue)), default: .string("mean"),
                  doc: "mean: 1/(2P) Σ‖f − y‖²; sum: ½ Σ‖f − y‖²"),
    ]
    public static let outputs = [
        OutputFile("times.npy", doc: "(T,) int64 snapshot steps"),
        OutputFile("snapshots.npz", doc: "W0, b0, … stacked over snapshots: (T, fan_out, fan_in)"),
        OutputFile("final.npz", doc: "the final weights (model.load format)"),
        OutputFile("train_loss.npy", doc: "train loss at log_steps.npy"),
        OutputFile("test_loss.npy", doc: "test loss at log_steps.npy (NaN without test data)"),
        OutputFile("metrics.csv", doc: "step,key,value with keys train_loss and test_loss"),
    ]

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let optimizer = OptimizerSettings(
            kind: OptimizerSettings.Kind(rawValue: p.string("optimizer"))!, learningRate: p.double("learning_rate"),
            momentum: p.double("momentum"), beta1: p.double("beta1"), beta2: p.double("beta2"),
            epsilon: p.double("epsilon"), weightDecay: p.double("weight_decay"))
        let settings = TrainingSettings(steps: p.int("steps"), batchSize: p.optionalInt("batch_size"), optimizer: optimizer,
                                        loss: LossNormalization(rawValue: p.string("loss"))!,
                                        snapshots: TrainingParameters.schedule(p), logPoints: p.int("log_points"),
                                        divergenceFactor: p.double("divergence_factor"))
        return try runTraining(name, inputs: inputs, parameters: p, context: context, settings: p.values) {
            model, data, rng, progress in
            try train(model, on: data, settings: settings, rng: &rng, progress: progress)
        }
    }
}

/// `train.langevin`: Langevin dynamics (posterior sampling at temperature 1/β).
public struct TrainLangevinStage: Stage {
    public static let name = "train.langevin"
    public static let summary = "Samples the posterior exp(−β·U) of a model by Langevin dynamics, saving snapshots."
    public static let doc = """
        θ ← θ − η·∇U(θ) + √(2η/β)·ξ with U = ½·s·Σ_μ ‖f(x_μ) − y_μ‖² + ½·λ·|θ|², s = n_L·γ₀² for the meanfield \
        parametrization and 1 otherwise, λ = weight_decay (default 1/β: the prior N(0, 1) on every parameter). \
        Snapshots taken after the chain has mixed are posterior samples.
        """
    public static let outputKind = ArtifactKind.trajectory
    public static let inputs = TrainingParameters.slots
    public static let parameters = TrainingParameters.common + [
        Parameter("beta", .float, default: .double(100), minimum: 1e-12, doc: "β, the inverse temperature"),
        Parameter("weight_decay", .float, minimum: 0, nullable: true, doc: "λ; null = 1/β (prior N(0, 1))"),
    ]
    public static let outputs = TrainGDStage.outputs

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let settings = LangevinSettings(steps: p.int("steps"), learningRate: p.double("learning_rate"), beta: p.double("beta"),
                                        weightDecay: p.optionalDouble("weight_decay"),
                                        snapshots: TrainingParameters.schedule(p), logPoints: p.int("log_points"),
                                        divergenceFactor: p.double("divergence_factor"))
        return try runTraining(name, inputs: inputs, parameters: p, context: context, settings: p.values) {
            model, data, rng, progress in
            try sampleLangevin(model, on: data, settings: settings, rng: &rng, progress: progress)
        }
    }
}
