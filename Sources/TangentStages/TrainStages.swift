import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

/// When a training stage saves the weights (the `snapshots` parameter).
public struct SnapshotParameters: ParameterGroup {
    @Param("save every k steps", minimum: 1) var every: Int?
    @Param("save this many log-spaced steps", minimum: 1) var logSpaced: Int?
    @Param("save at these steps", minimum: 0) var at: [Int] = []

    public init() {}
    init(logSpaced: Int?) { self.logSpaced = logSpaced }

    var schedule: SnapshotSchedule { SnapshotSchedule(every: every, logSpaced: logSpaced, at: at) }
}

/// The parameters every training stage has.
public struct TrainingParameters: ParameterGroup {
    @Param("number of updates", minimum: 0) var steps = 1000
    @Param("η", minimum: 0) var learningRate = 0.1
    @Param("when to save the weights (step 0 and the last step always are)") var snapshots = SnapshotParameters(logSpaced: 20)
    @Param("train and test loss are also logged at this many log-spaced steps", minimum: 0) var logPoints = 100
    @Param("stop when the loss exceeds this factor times its initial value (or is NaN/inf)", minimum: 1)
    var divergenceFactor = 1e4

    public init() {}

    /// Snapshots a training stage keeps at most (each is a copy of every weight, held in memory while training).
    static let maximumSnapshots = 100_000

    /// Checks the loops sized by parameters and the model against the data, declares the memory of training and
    /// returns the trajectory's shape.
    func check(data: DatasetShape, model: MLPArchitecture, settings: TrainingRecord, dataField: some FieldReferencing,
               optimizerCopies: Double, _ check: inout StageCheck) -> TrajectoryShape {
        if model.inputDimension != data.inputDim || model.outputs != data.outputs {
            check.fail(dataField, "the model maps \(model.inputDimension) → \(model.outputs) but the data has "
                       + "\(data.inputDim) inputs and \(data.outputs) outputs",
                       remedy: "connect the model to this dataset (model.mlp takes its dimensions from `data`)")
        }
        if logPoints > steps + 1 {
            check.warn($logPoints, "is \(logPoints) but \(steps) steps have only \(steps + 1) points; every step is logged")
        }
        if let logSpaced = snapshots.logSpaced, logSpaced > steps + 1 {
            check.warn($snapshots, "log_spaced is \(logSpaced) but \(steps) steps have only \(steps + 1) points; every step is saved")
        }
        if let late = snapshots.at.first(where: { $0 > steps }) {
            check.warn($snapshots, "at lists step \(late), after the last step \(steps); it is ignored")
        }
        let widths = model.widths.map(Double.init)
        let parameters = zip(widths, widths.dropFirst()).map { $0 * $1 + (model.bias ? $1 : 0) }.reduce(0, +)
        let bound = snapshots.schedule.countBound(total: steps)
        guard bound <= Double(Self.maximumSnapshots) else {
            check.fail($snapshots, "saves up to \(Int(bound)) snapshots (\(formatBytes(8 * parameters * bound))); "
                       + "at most \(Self.maximumSnapshots) are kept", remedy: "save fewer snapshots (every, log_spaced)")
            return TrajectoryShape(architecture: model, snapshotSteps: [0, steps], training: settings)
        }
        let snapshotSteps = snapshots.schedule.steps(total: steps)
        let activations = Double(data.train + data.test) * widths.reduce(0, +) * 4
        // The snapshots are held while training, then stacked per layer to be written: twice their size.
        check.needsMemory(2 * 8 * parameters * Double(snapshotSteps.count), for: "\(snapshotSteps.count) snapshots",
                          remedy: "save fewer snapshots or use smaller layers")
        check.needsMemory(8 * parameters * (3 + optimizerCopies) + 8 * activations, for: "training state",
                          remedy: "use fewer samples or smaller layers")
        return TrajectoryShape(architecture: model, snapshotSteps: snapshotSteps, training: settings)
    }
}

/// Shared driver: checks the model against the data, reports progress, turns divergence into a partial artifact
/// (kept in `<id>.failed/`) plus an error.
private func runTraining(_ stage: String, data: DatasetArtifact, model: MLP, steps: Int, settings: [String: Value],
                         context: StageContext,
                         body: (inout Xoshiro256StarStar, (Int) -> Void) throws -> TrainingTrajectory)
    throws -> TrajectoryArtifact
{
    var rng = context.rng()
    context.progress.start("training", total: max(steps, 1))
    defer { context.progress.finish() }
    do {
        let trajectory = try body(&rng) { _ in context.progress.advance(by: 1) }
        return try TrajectoryArtifact(trajectory, architecture: model.architecture, settings: settings)
    } catch let divergence as TrainingDivergence {
        var partial = settings
        partial["partial"] = .bool(true)
        partial["diverged_at_step"] = .int(divergence.step)
        try? TrajectoryArtifact(divergence.partial, architecture: model.architecture, settings: partial)
            .write(to: context.output)
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
        The logged train_loss and test_loss are this L on the train and test set: for loss: mean it is (C/2)·MSE with \
        C outputs (½·MSE for one output), half the plain MSE that analysis stages report as *_mse. \
        Weights are saved at the snapshot steps; train and test loss are logged at every snapshot and on a denser \
        log-spaced grid. A diverging run (NaN, inf, or loss above divergence_factor × its initial value) stops with an \
        error naming the step and keeps the trajectory so far in <id>.failed/, marked partial.
        """
    public static let outputs = [
        OutputFile("times.npy", doc: "(T,) int64 snapshot steps"),
        OutputFile("snapshots.npz", doc: "W0, b0, … stacked over snapshots: (T, fan_out, fan_in)"),
        OutputFile("final.npz", doc: "the final weights (model.load format)"),
        OutputFile("train_loss.npy", doc: "train loss at log_steps.npy"),
        OutputFile("test_loss.npy", doc: "test loss at log_steps.npy (NaN without test data)"),
        OutputFile("metrics.csv", doc: "step,key,value with keys train_loss and test_loss"),
        OutputFile("summary.json", doc: "architecture, training settings, complete, snapshots; initial_train_loss, "
                   + "final_train_loss, initial_test_loss, final_test_loss at the first and last logged steps (final_step). "
                   + "Losses are the training loss, 1/(2P)·Σ_μ‖f(x_μ) − y_μ‖² = (C/2)·MSE for loss: mean (½·MSE with one "
                   + "output), not the plain MSEs (test_mse, …) of the analysis stages"),
    ]

    @Input("the training (and test) data") var data: DatasetArtifact
    @Input("the initial network") var model: MLP
    @Params var training: TrainingParameters
    @Param("gd (plain or minibatch), momentum or adam") var optimizer = OptimizerSettings.Kind.gd
    @Param("minibatch size; null = full batch", minimum: 1) var batchSize: Int?
    @Param("μ (momentum)", minimum: 0, maximum: 1) var momentum = 0.9
    @Param("β₁ (adam)", minimum: 0, maximum: 1) var beta1 = 0.9
    @Param("β₂ (adam)", minimum: 0, maximum: 1) var beta2 = 0.999
    @Param("ε (adam)", minimum: 0) var epsilon = 1e-8
    @Param("λ", minimum: 0) var weightDecay = 0.0
    @Param("mean: 1/(2P) Σ‖f − y‖²; sum: ½ Σ‖f − y‖²") var loss = LossNormalization.mean

    public init() {}

    var record: TrainingRecord {
        TrainingRecord(learningRate: training.learningRate, loss: loss, weightDecay: weightDecay, steps: training.steps)
    }

    public func validate(_ check: inout StageCheck) throws -> TrajectoryShape {
        if let batchSize, batchSize >= $data.shape.train {
            check.warn($batchSize, "is \(batchSize), at least the \($data.shape.train) train samples: full-batch training")
        }
        return training.check(data: $data.shape, model: $model.shape, settings: record, dataField: $data,
                              optimizerCopies: optimizer == .adam ? 2 : optimizer == .momentum ? 1 : 0, &check)
    }

    public func run(_ context: StageContext) throws -> TrajectoryArtifact {
        let optimizer = OptimizerSettings(kind: optimizer, learningRate: training.learningRate, momentum: momentum,
                                          beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        let settings = TrainingSettings(steps: training.steps, batchSize: batchSize, optimizer: optimizer, loss: loss,
                                        snapshots: training.snapshots.schedule, logPoints: training.logPoints,
                                        divergenceFactor: training.divergenceFactor)
        return try runTraining(Self.name, data: data, model: model, steps: training.steps, settings: parameterValues,
                               context: context) { rng, progress in
            try train(model, on: data.dataset, settings: settings, rng: &rng, progress: progress)
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
        Snapshots taken after the chain has mixed are posterior samples. The logged losses are 1/(2P)·Σ_μ‖f(x_μ) − \
        y_μ‖² = (C/2)·MSE whatever the parametrization (not U).
        """
    public static let outputs = TrainGDStage.outputs

    @Input("the training (and test) data") var data: DatasetArtifact
    @Input("the initial network") var model: MLP
    @Params var training: TrainingParameters
    @Param("β, the inverse temperature", minimum: 1e-12) var beta = 100.0
    @Param("λ; null = 1/β (prior N(0, 1))", minimum: 0) var weightDecay: Double?

    public init() {}

    var record: TrainingRecord {
        TrainingRecord(learningRate: training.learningRate, loss: .mean, weightDecay: weightDecay,
                       steps: training.steps)
    }

    public func validate(_ check: inout StageCheck) throws -> TrajectoryShape {
        training.check(data: $data.shape, model: $model.shape, settings: record, dataField: $data, optimizerCopies: 0,
                       &check)
    }

    public func run(_ context: StageContext) throws -> TrajectoryArtifact {
        let settings = LangevinSettings(steps: training.steps, learningRate: training.learningRate, beta: beta,
                                        weightDecay: weightDecay, snapshots: training.snapshots.schedule,
                                        logPoints: training.logPoints, divergenceFactor: training.divergenceFactor)
        return try runTraining(Self.name, data: data, model: model, steps: training.steps, settings: parameterValues,
                               context: context) { rng, progress in
            try sampleLangevin(model, on: data.dataset, settings: settings, rng: &rng, progress: progress)
        }
    }
}
