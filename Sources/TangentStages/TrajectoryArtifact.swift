import TangentCore
import TangentNTK
import TangentPipeline

/// How a training run travels and is stored: a `trajectory` artifact with
/// - `times.npy` (T,) int64: the snapshot steps;
/// - `snapshots.npz`: `W0, b0, W1, …`, each stacked over snapshots with a leading time axis (T, fan_out, fan_in);
/// - `final.npz`: the final weights (the `model.load` format);
/// - `log_steps.npy`, `train_loss.npy`, `test_loss.npy` and `metrics.csv` (`step,train_loss|test_loss,value`);
/// - a summary with the architecture, the training settings, the final losses and `complete` (false: partial).
extension TrainingTrajectory {
    public func artifact(architecture: MLPArchitecture, settings: [String: Value]) -> Artifact {
        let t = snapshots.count
        var stacked: [Artifact.NamedArray] = []
        if let first = snapshots.first {
            for l in 0..<first.weights.count {
                let w = first.weights[l]
                let values = snapshots.flatMap { $0.weights[l].elements }
                stacked.append(.init("W\(l)", try! NPYArray(values, shape: [t, w.rows, w.columns])))
                if architecture.bias {
                    stacked.append(.init("b\(l)", try! NPYArray(snapshots.flatMap { $0.biases[l] }, shape: [t, w.rows])))
                }
            }
        }
        var metrics: [MetricRow] = []
        for r in losses {
            metrics.append(MetricRow(step: Double(r.step), key: "train_loss", value: r.train))
            if !r.test.isNaN { metrics.append(MetricRow(step: Double(r.step), key: "test_loss", value: r.test)) }
        }
        var summary = architecture.summary
        summary["training"] = .object(settings)
        summary["complete"] = .bool(complete)
        summary["snapshots"] = .int(t)
        if let last = losses.last {
            summary["final_step"] = .int(last.step)
            summary["final_train_loss"] = .double(last.train)
            if !last.test.isNaN { summary["final_test_loss"] = .double(last.test) }
        }
        let n = losses.count
        return Artifact(
            kind: .trajectory,
            arrays: [
                "times": try! NPYArray(snapshotSteps.map(Int64.init), shape: [t]),
                "log_steps": try! NPYArray(losses.map { Int64($0.step) }, shape: [n]),
                "train_loss": try! NPYArray(losses.map(\.train), shape: [n]),
                "test_loss": try! NPYArray(losses.map(\.test), shape: [n]),
            ],
            archives: ["snapshots.npz": stacked, "final.npz": final.namedArrays],
            summary: summary, metrics: metrics)
    }

    /// Reads a `trajectory` artifact back (snapshots, final model and losses).
    public init(artifact: Artifact, from stage: String = "the upstream stage") throws {
        let arch = try MLPArchitecture(summary: artifact.summary, source: stage)
        guard let stacked = artifact.archives["snapshots.npz"], let final = artifact.archives["final.npz"] else {
            throw PipelineError(.artifact, "\(stage) is not a trajectory (no snapshots.npz or final.npz)")
        }
        let steps = try artifact.array("times", from: stage).asDoubles().map { Int($0) }
        // Each stacked array is converted once, then cut into its T snapshots.
        let byName = stacked.map { (name: $0.name, shape: Array($0.array.shape.dropFirst()), values: $0.array.asDoubles()) }
        var models: [MLP] = []
        for k in 0..<steps.count {
            var arrays: [String: NPYArray] = [:]
            for (name, shape, values) in byName {
                let per = values.count / max(steps.count, 1)
                arrays[name] = try NPYArray(Array(values[k * per..<(k + 1) * per]), shape: shape)
            }
            models.append(try MLP(architecture: arch, arrays: arrays, source: "snapshots.npz of \(stage) at step \(steps[k])"))
        }
        let finalModel = try MLP(architecture: arch, arrays: Dictionary(final.map { ($0.name, $0.array) }) { a, _ in a },
                                 source: "final.npz of \(stage)")
        let logSteps = try artifact.array("log_steps", from: stage).asDoubles()
        let train = try artifact.array("train_loss", from: stage).asDoubles()
        let test = try artifact.array("test_loss", from: stage).asDoubles()
        self.init(snapshotSteps: steps, snapshots: models,
                  losses: (0..<logSteps.count).map { LossRecord(step: Int(logSteps[$0]), train: train[$0], test: test[$0]) },
                  final: finalModel, complete: artifact.summary["complete"]?.boolValue ?? true)
    }
}
