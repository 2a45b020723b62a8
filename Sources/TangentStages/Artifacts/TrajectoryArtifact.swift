import TangentCore
import TangentNTK
import TangentPipeline

/// The training settings that stages downstream of a training run use.
public struct TrainingRecord: Sendable, Equatable {
    /// η
    public var learningRate: Double
    public var loss: LossNormalization
    /// λ (nil: none set)
    public var weightDecay: Double?
    public var steps: Int

    public init(learningRate: Double, loss: LossNormalization, weightDecay: Double?, steps: Int) {
        self.learningRate = learningRate
        self.loss = loss
        self.weightDecay = weightDecay
        self.steps = steps
    }

    /// From the `training` object of a trajectory's summary (the training stage's parameters).
    init(settings: [String: Value], source: String) throws {
        guard let eta = settings["learning_rate"]?.doubleValue, let steps = settings["steps"]?.intValue else {
            throw PipelineError(.artifact, "\(source): the trajectory's summary has no training.learning_rate or steps")
        }
        self.init(learningRate: eta,
                  loss: settings["loss"]?.stringValue.flatMap(LossNormalization.init(rawValue:)) ?? .mean,
                  weightDecay: settings["weight_decay"]?.doubleValue, steps: steps)
    }
}

/// What validation knows of a training run: the architecture, the snapshot steps and the settings.
public struct TrajectoryShape: Sendable, Equatable {
    public var architecture: MLPArchitecture
    /// Steps of the saved snapshots (step 0 first).
    public var snapshotSteps: [Int]
    public var training: TrainingRecord

    public init(architecture: MLPArchitecture, snapshotSteps: [Int], training: TrainingRecord) {
        self.architecture = architecture
        self.snapshotSteps = snapshotSteps
        self.training = training
    }
}

/// A `trajectory` artifact: a training run's snapshots, final model and losses.
///
/// Files: `times.npy` (T,) int64 snapshot steps; `snapshots.npz` with `W0, b0, W1, …` each stacked over snapshots
/// (T, fan_out, fan_in); `final.npz` (the `model.load` format); `log_steps.npy`, `train_loss.npy`,
/// `test_loss.npy` and `metrics.csv` (`step,train_loss|test_loss,value`); a summary with the architecture, the
/// training settings (`training`), the initial and final losses (`initial_train_loss`, `final_train_loss`,
/// `initial_test_loss`, `final_test_loss`, at the first logged step and at `final_step`) and `complete` (false: a
/// partial run).
///
/// Read back, snapshots are loaded one at a time (`snapshot(_:)`), so stages that walk through them hold one.
public struct TrajectoryArtifact: ArtifactValue {
    public typealias Shape = TrajectoryShape
    public static var kind: ArtifactKind { .trajectory }

    public let architecture: MLPArchitecture
    public let snapshotSteps: [Int]
    public let losses: [LossRecord]
    public let final: MLP
    /// The training stage's parameters, as written (summary `training`).
    public let settings: [String: Value]
    public let training: TrainingRecord
    /// False for a run that stopped early (divergence).
    public let complete: Bool
    private let storage: Storage

    private enum Storage {
        case memory([MLP])
        /// The stacked arrays of snapshots.npz, mapped once; each snapshot is one slice of every array.
        case folder(stageID: String, stacked: [(name: String, array: MappedNPY)])
    }

    /// A trajectory just computed.
    public init(_ trajectory: TrainingTrajectory, architecture: MLPArchitecture, settings: [String: Value]) throws {
        self.architecture = architecture
        snapshotSteps = trajectory.snapshotSteps
        losses = trajectory.losses
        final = trajectory.final
        self.settings = settings
        training = try TrainingRecord(settings: settings, source: "the training stage")
        complete = trajectory.complete
        storage = .memory(trajectory.snapshots)
    }

    public var snapshotCount: Int { snapshotSteps.count }

    public var shape: TrajectoryShape {
        TrajectoryShape(architecture: architecture, snapshotSteps: snapshotSteps, training: training)
    }

    /// The network at snapshot `index` (0 ..< snapshotCount), read from disk when the trajectory was.
    public func snapshot(_ index: Int) throws -> MLP {
        switch storage {
        case .memory(let models): return models[index]
        case .folder(let stageID, let stacked):
            let source = "snapshots.npz of stage `\(stageID)` at step \(snapshotSteps[index])"
            var arrays: [String: NPYArray] = [:]
            for (name, array) in stacked {
                let rest = Array(array.shape.dropFirst())
                let per = rest.reduce(1, *)
                guard array.shape.first == snapshotCount else {
                    throw PipelineError(.artifact, "\(source): \(name) holds \(array.shape.first ?? 0) snapshots, not \(snapshotCount)")
                }
                arrays[name] = try NPYArray(try array.doubles(range: index * per..<(index + 1) * per), shape: rest)
            }
            return try MLP(architecture: architecture, arrays: arrays, source: source)
        }
    }

    public init(reading folder: ArtifactFolder) throws {
        let source = "stage `\(folder.stageID)`"
        let summary = try folder.summary()
        architecture = try MLPArchitecture(summary: summary, source: source)
        settings = summary["training"]?.objectValue ?? [:]
        training = try TrainingRecord(settings: settings, source: source)
        complete = summary["complete"]?.boolValue ?? true
        snapshotSteps = try folder.array("times").asDoubles().map { Int($0) }
        let final = try folder.archive("final.npz")
        self.final = try MLP(architecture: architecture, arrays: Dictionary(final.map { ($0.name, $0.array) }) { a, _ in a },
                             source: "final.npz of \(source)")
        let logSteps = try folder.array("log_steps").asDoubles()
        let train = try folder.array("train_loss").asDoubles()
        let test = try folder.array("test_loss").asDoubles()
        guard train.count == logSteps.count, test.count == logSteps.count else {
            throw PipelineError(.artifact, "\(source): log_steps, train_loss and test_loss have different lengths; re-run it")
        }
        losses = (0..<logSteps.count).map { LossRecord(step: Int(logSteps[$0]), train: train[$0], test: test[$0]) }
        storage = .folder(stageID: folder.stageID, stacked: try folder.mappedArchive("snapshots.npz"))
    }

    public func write(to writer: ArtifactWriter) throws {
        let t = snapshotCount
        var stacked: [(name: String, array: NPYArray)] = []
        if t > 0 {
            let models = try (0..<t).map(snapshot)
            for l in 0..<architecture.layerCount {
                let w = models[0].weights[l]
                stacked.append(("W\(l)", try NPYArray(models.flatMap { $0.weights[l].elements }, shape: [t, w.rows, w.columns])))
                if architecture.bias {
                    stacked.append(("b\(l)", try NPYArray(models.flatMap { $0.biases[l] }, shape: [t, w.rows])))
                }
            }
        }
        let n = losses.count
        try writer.write(try NPYArray(snapshotSteps.map(Int64.init), shape: [t]), as: "times")
        try writer.write(try NPYArray(losses.map { Int64($0.step) }, shape: [n]), as: "log_steps")
        try writer.write(try NPYArray(losses.map(\.train), shape: [n]), as: "train_loss")
        try writer.write(try NPYArray(losses.map(\.test), shape: [n]), as: "test_loss")
        try writer.writeArchive(stacked, as: "snapshots.npz")
        try writer.writeArchive(final.namedArrays, as: "final.npz")
        var metrics: [MetricRow] = []
        for r in losses {
            metrics.append(MetricRow(step: Double(r.step), key: "train_loss", value: r.train))
            if !r.test.isNaN { metrics.append(MetricRow(step: Double(r.step), key: "test_loss", value: r.test)) }
        }
        try writer.writeMetrics(metrics)
        var summary = architecture.summary
        summary["training"] = .object(settings)
        summary["complete"] = .bool(complete)
        summary["snapshots"] = .int(t)
        if let first = losses.first {
            summary["initial_train_loss"] = .double(first.train)
            if !first.test.isNaN { summary["initial_test_loss"] = .double(first.test) }
        }
        if let last = losses.last {
            summary["final_step"] = .int(last.step)
            summary["final_train_loss"] = .double(last.train)
            if !last.test.isNaN { summary["final_test_loss"] = .double(last.test) }
        }
        try writer.writeSummary(summary)
    }
}
