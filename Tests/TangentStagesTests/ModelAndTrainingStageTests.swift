import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

let trainingPipeline = """
pipeline: t
seed: 5
stages:
  data:  { use: data.synthetic, with: { train: 24, test: 8, input_dim: 3, teacher: mlp, outputs: 2, teacher_activation: tanh } }
  model: { use: model.mlp, from: { data: data }, with: { hidden: [16, 16], activation: tanh, parametrization: ntk } }
  train: { use: train.gd, from: { data: data, model: model }, with: { learning_rate: 0.5, steps: 200, snapshots: { every: 50 } } }
"""

@Suite("Model and training stages")
struct ModelAndTrainingStageTests {
    @Test("model.mlp takes its dimensions from the data; train.gd writes a trajectory that numpy can read")
    func trainingRun() throws {
        let (result, out) = try runPipeline(trainingPipeline)
        let artifact = try #require(result.artifacts["train"])
        #expect(try artifact.array("times").asDoubles() == [0, 50, 100, 150, 200])
        let stacked = try #require(artifact.archives["snapshots.npz"])
        #expect(stacked.map(\.name) == ["W0", "W1", "W2"])
        #expect(stacked[0].array.shape == [5, 16, 3] && stacked[2].array.shape == [5, 2, 16])
        let loss = try artifact.array("train_loss").asDoubles()
        #expect(loss.last! < 0.5 * loss.first!)
        #expect(try artifact.array("test_loss").asDoubles().allSatisfy(\.isFinite))
        for file in ["train/times.npy", "train/snapshots.npz", "train/final.npz", "train/metrics.csv", "model/weights.npz"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        // The artifact round-trips into the same snapshots.
        let trajectory = try result.read(TrajectoryArtifact.self, "train")
        #expect(trajectory.snapshotSteps == [0, 50, 100, 150, 200])
        #expect(try trajectory.snapshot(trajectory.snapshotCount - 1) == trajectory.final)
        let initial = try result.read(MLP.self, "model")
        #expect(try trajectory.snapshot(0) == initial)
    }

    @Test("the same pipeline and seed give the same numbers; another seed does not")
    func reproducible() throws {
        let a = try runPipeline(trainingPipeline).0.artifacts["train"]
        let b = try runPipeline(trainingPipeline).0.artifacts["train"]
        let c = try runPipeline(trainingPipeline, overrides: ["seed=6"]).0.artifacts["train"]
        #expect(a == b)
        #expect(a?.archives["final.npz"] != c?.archives["final.npz"])
    }

    @Test("a diverging run fails naming the step and keeps a partial trajectory")
    func divergence() throws {
        do {
            _ = try runPipeline(trainingPipeline, overrides: ["train.learning_rate=500"])
            Issue.record("expected divergence")
        } catch let error as PipelineError {
            #expect(error.code == .stageFailed)
            #expect(error.description.contains("diverged at step"))
        }
    }

    @Test("the partial trajectory of a diverged run is kept in <id>.failed/")
    func partialKept() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-div-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let pipeline = try PipelineLoader.load(text: trainingPipeline, file: dir.appendingPathComponent("p.yaml").path,
                                               overrides: ["train.learning_rate=500", "train.snapshots.every=1"],
                                               registry: builtinRegistry)
        #expect(throws: PipelineError.self) {
            try PipelineRunner(options: RunOptions(outputDirectory: dir, progress: SilentProgress())).run(pipeline)
        }
        let summary = try String(contentsOf: dir.appendingPathComponent("train.failed/summary.json"), encoding: .utf8)
        #expect(summary.contains("\"partial\": true") && summary.contains("\"complete\": false"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("train.failed/times.npy").path))
    }

    @Test("train.langevin samples with snapshots and optimizers other than gd run through the stage")
    func langevinAndAdam() throws {
        let text = trainingPipeline + """

          post: { use: train.langevin, from: { data: data, model: model }, with: { learning_rate: 0.001, steps: 100, beta: 1000 } }
          adam: { use: train.gd, from: { data: data, model: model }, with: { optimizer: adam, learning_rate: 0.01, steps: 50, batch_size: 8 } }
        """
        let (result, _) = try runPipeline(text)
        #expect(try result.artifacts["post"]!.array("times").count > 2)
        let adamLoss = try result.artifacts["adam"]!.array("train_loss").asDoubles()
        #expect(adamLoss.last! < adamLoss.first!)
    }

    @Test("model.load computes the same function as the numpy reference for every parametrization",
          arguments: Parametrization.allCases)
    func numpyReference(_ parametrization: Parametrization) throws {
        let fixture = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("mlp_reference.npz")
        let arrays = try NPZ.read(contentsOf: fixture)
        let arch = MLPArchitecture(inputDimension: 3, hidden: [5, 4], outputs: 2, activation: .tanh, bias: true,
                                   parametrization: parametrization, initScale: 1.5, biasScale: 0.5, gamma0: 0.7)
        let weights = arrays.filter { $0.key.hasPrefix("W") || $0.key.hasPrefix("b") }
        let model = try MLP(architecture: arch, arrays: weights, source: fixture.path)
        let f = try model(Matrix<Double>(arrays["x"]!))
        let expected = try Matrix<Double>(arrays["f_\(parametrization.rawValue)"]!)
        #expect(f.relativeDifference(to: expected) < 1e-13)
    }

    @Test("model.load names the file, the array and both shapes when weights do not fit")
    func loadErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func attempt(_ arrays: [(String, NPYArray)], bias: Bool = false) throws -> String {
            let file = dir.appendingPathComponent("w.npz")
            try NPZ.write(arrays.map { (name: $0.0, array: $0.1) }, to: file)
            let text = """
            pipeline: l
            stages:
              m: { use: model.load, with: { weights: w.npz, input_dim: 3, hidden: [4], outputs: 2, bias: \(bias) } }
            """
            try text.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
            let p = try PipelineLoader.load(file: dir.appendingPathComponent("p.yaml").path, registry: builtinRegistry)
            do {
                _ = try PipelineRunner(options: RunOptions(outputDirectory: dir.appendingPathComponent("r"), force: true,
                                                           progress: SilentProgress())).run(p)
                return "no error"
            } catch { return String(describing: error) }
        }
        let w0 = NPYArray(Matrix<Double>(rows: 4, columns: 3)), w1 = NPYArray(Matrix<Double>(rows: 2, columns: 4))
        #expect(try attempt([("W0", w0), ("W1", w1)]) == "no error")
        #expect(try attempt([("W0", w0)]).contains("has no array W1"))
        let wrong = try attempt([("W0", NPYArray(Matrix<Double>(rows: 3, columns: 4))), ("W1", w1)])
        #expect(wrong.contains("w.npz: W0 has shape [3, 4] but the declared architecture [3, 4, 2] needs (4, 3)"))
        #expect(try attempt([("W0", w0), ("W1", w1), ("W2", w1)]).contains("has an array `W2`"))
        #expect(try attempt([("W0", w0), ("W1", w1)], bias: true).contains("has no array b0"))
    }
}
