import Foundation
import TangentCore

/// What `train` does: steps, batches, optimizer, loss, snapshots and logging, divergence guard.
public struct TrainingSettings: Sendable {
    public var steps: Int
    /// Minibatch size (samples drawn without replacement, reshuffled each epoch); nil = full batch.
    public var batchSize: Int?
    public var optimizer: OptimizerSettings
    public var loss: LossNormalization
    public var snapshots: SnapshotSchedule
    /// Train and test loss are also logged at this many log-spaced steps (besides every snapshot).
    public var logPoints: Int
    /// Stop when the train loss exceeds this factor times its initial value (or is NaN or infinite).
    public var divergenceFactor: Double

    public init(steps: Int, batchSize: Int? = nil, optimizer: OptimizerSettings, loss: LossNormalization = .mean,
                snapshots: SnapshotSchedule = SnapshotSchedule(logSpaced: 20), logPoints: Int = 100,
                divergenceFactor: Double = 1e4) {
        self.steps = steps
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.loss = loss
        self.snapshots = snapshots
        self.logPoints = logPoints
        self.divergenceFactor = divergenceFactor
    }
}

/// One logged point: step, full-batch train loss and test loss (NaN without a test set).
public struct LossRecord: Sendable, Equatable {
    public var step: Int
    public var train: Double
    public var test: Double

    public init(step: Int, train: Double, test: Double) {
        self.step = step
        self.train = train
        self.test = test
    }
}

/// The outcome of training: the model at each snapshot step and the loss log.
public struct TrainingTrajectory: Sendable {
    public var snapshotSteps: [Int] = []
    public var snapshots: [MLP] = []
    public var losses: [LossRecord] = []
    /// The final model (equal to the last snapshot for a finished run).
    public var final: MLP
    /// False when training stopped early (divergence).
    public var complete = true

    public init(snapshotSteps: [Int] = [], snapshots: [MLP] = [], losses: [LossRecord] = [], final: MLP,
                complete: Bool = true) {
        self.snapshotSteps = snapshotSteps
        self.snapshots = snapshots
        self.losses = losses
        self.final = final
        self.complete = complete
    }
}

/// Training stopped because the loss diverged; `partial` holds everything up to the last good step.
public struct TrainingDivergence: Error, CustomStringConvertible, Sendable {
    public var step: Int
    public var loss: Double
    public var initialLoss: Double
    public var partial: TrainingTrajectory

    public var description: String {
        "training diverged at step \(step): train loss \(loss) (initial \(initialLoss)); lower the learning rate. "
            + "The trajectory up to step \(partial.losses.last?.step ?? 0) was kept, marked partial."
    }
}

/// Trains `model` on `data` with gradient-based updates and records a trajectory.
///
/// `rng` shuffles minibatches; `progress(step)` is called after every step.
public func train(_ model: MLP, on data: Dataset, settings: TrainingSettings, rng: inout Xoshiro256StarStar,
                  progress: (Int) -> Void = { _ in }) throws -> TrainingTrajectory {
    var model = model
    var optimizer = Optimizer(settings.optimizer)
    let snapshotSteps = Set(settings.snapshots.steps(total: settings.steps))
    let logSteps = snapshotSteps.union(SnapshotSchedule.logSpacedSteps(count: settings.logPoints, total: settings.steps))
    var trajectory = TrainingTrajectory(final: model)
    let p = data.trainCount
    var order = Array(0..<p)
    var cursor = p  // forces a shuffle before the first minibatch
    var initialLoss = Double.nan

    func record(_ step: Int, trainLoss: Double?) throws {
        let trainValue = try trainLoss ?? settings.loss.loss(model(data.trainInputs), data.trainTargets)
        let testValue = data.hasTest ? settings.loss.loss(try model(data.testInputs), data.testTargets) : .nan
        if logSteps.contains(step) { trajectory.losses.append(LossRecord(step: step, train: trainValue, test: testValue)) }
        if snapshotSteps.contains(step) {
            trajectory.snapshotSteps.append(step)
            trajectory.snapshots.append(model)
        }
    }

    for step in 0...settings.steps {
        // Full-batch loss and gradient (also the logged train loss for full-batch training).
        let x: Matrix<Double>, y: Matrix<Double>
        if let b = settings.batchSize, b < p {
            if cursor + b > p {
                order = Array(0..<p)
                for i in stride(from: p - 1, to: 0, by: -1) {  // Fisher–Yates with the seeded generator
                    let j = Int(rng.next() % UInt64(i + 1))
                    order.swapAt(i, j)
                }
                cursor = 0
            }
            let rows = Array(order[cursor..<cursor + b])
            cursor += b
            x = data.trainInputs.rows(at: rows)
            y = data.trainTargets.rows(at: rows)
        } else {
            x = data.trainInputs
            y = data.trainTargets
        }
        let fullBatch = settings.batchSize.map { $0 >= p } ?? true
        let (batchLoss, gradients) = try model.lossAndGradients(x, y, normalization: settings.loss)
        // The full-batch train loss: free for full-batch training, otherwise computed where it is logged.
        var trainLoss: Double? = fullBatch ? batchLoss : nil
        if trainLoss == nil && (step == 0 || logSteps.contains(step)) {
            trainLoss = settings.loss.loss(try model(data.trainInputs), data.trainTargets)
        }
        if step == 0 { initialLoss = trainLoss ?? batchLoss }
        let monitored = trainLoss ?? batchLoss
        if !monitored.isFinite || monitored > settings.divergenceFactor * max(initialLoss, Double.leastNormalMagnitude) {
            trajectory.final = model
            trajectory.complete = false
            throw TrainingDivergence(step: step, loss: monitored, initialLoss: initialLoss, partial: trajectory)
        }
        try record(step, trainLoss: trainLoss)
        if step == settings.steps { break }
        optimizer.step(&model, gradients)
        progress(step + 1)
    }
    trajectory.final = model
    return trajectory
}
