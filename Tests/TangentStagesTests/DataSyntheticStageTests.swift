import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

let synthetic = """
pipeline: synthetic
seed: 3
stages:
  data: { use: data.synthetic, with: { train: 32, test: 8, input_dim: 5, teacher_scale: 2 } }
"""

@Suite("data.synthetic")
struct DataSyntheticStageTests {
    @Test("a linear-teacher dataset: files on disk, y = B·x with |B| = s, round trip through the artifact")
    func linear() throws {
        let (result, folder) = try runPipeline(synthetic)
        let a = try #require(result.artifacts["data"])
        for file in ["train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy", "teacher_matrix.npy",
                     "covariance_eigenvalues.npy", "summary.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("data/\(file)").path), "\(file)")
        }
        let ds = try datasetOf(a)
        #expect(ds.trainCount == 32 && ds.testCount == 8 && ds.inputDimension == 5 && ds.outputDimension == 1)
        let b = try matrix(a, "teacher_matrix")
        #expect(abs(b.frobeniusNorm - 2) < 1e-14)
        #expect(try ds.trainInputs.matmul(b, transposeOther: true).relativeDifference(to: ds.trainTargets) < 1e-14)
        #expect(try ds.testInputs.matmul(b, transposeOther: true).relativeDifference(to: ds.testTargets) < 1e-14)
        #expect(a.summary["teacher"] == .string("linear") && a.summary["train"] == .int(32))
        #expect(try a.array("covariance_eigenvalues").asDoubles() == [1, 1, 1, 1, 1])
    }

    @Test("center_inputs: train inputs of mean zero, y = B·x for the stored inputs, so the teacher stays linear in the whitened inputs")
    func centerInputs() throws {
        let text = synthetic + """

          white: { use: data.whiten, from: { data: data } }
        """
        // The same seed and stage id draw the same inputs and teacher with and without centring.
        let (plainRun, _) = try runPipeline(text)
        let (centredRun, _) = try runPipeline(text, overrides: ["data.center_inputs=true"])
        let plain = try #require(plainRun.artifacts["data"]), a = try #require(centredRun.artifacts["data"])
        let raw = try datasetOf(plain), ds = try datasetOf(a)
        let b = try matrix(a, "teacher_matrix")
        #expect(b == (try matrix(plain, "teacher_matrix")))
        #expect(a.summary["center_inputs"] == .bool(true) && plain.arrays["input_shift"] == nil)
        // The shift is the mean of the drawn train inputs; train and test are shifted by it.
        let shift = try a.array("input_shift").asDoubles()
        let mean = raw.trainInputs.columnSums.map { $0 / 32 }
        #expect(zip(shift, mean).allSatisfy { abs($0 - $1) < 1e-15 } && shift.contains { abs($0) > 1e-3 })
        #expect(ds.trainInputs.relativeDifference(to: Matrix(rows: 32, columns: 5) { raw.trainInputs[$0, $1] - mean[$1] }) < 1e-15)
        #expect(ds.testInputs.relativeDifference(to: Matrix(rows: 8, columns: 5) { raw.testInputs[$0, $1] - mean[$1] }) < 1e-15)
        #expect(ds.trainInputs.columnSums.allSatisfy { abs($0) < 1e-13 })
        // y = B·x holds for the stored (centred) inputs, train and test.
        #expect(try ds.trainInputs.matmul(b, transposeOther: true).relativeDifference(to: ds.trainTargets) < 1e-14)
        #expect(try ds.testInputs.matmul(b, transposeOther: true).relativeDifference(to: ds.testTargets) < 1e-14)

        // After whitening (which centres), least squares on the whitened train inputs: with centred inputs the
        // targets are exactly linear in them; without, the residual is the offset B·μ̂ on every sample (the
        // centred columns are orthogonal to 1), so a bias-free model's loss 1/(2P)·|f − y|² floors at ½·(B·μ̂)².
        func residualLoss(_ run: RunResult) throws -> Double {
            let w = try datasetOf(try #require(run.artifacts["white"]))
            let fit = try w.trainInputs.leastSquares(w.trainTargets).solution
            let r = try w.trainInputs.matmul(fit) - w.trainTargets
            return 0.5 * r.frobeniusInner(r) / 32
        }
        let offset = (0..<5).reduce(0.0) { $0 + b[0, $1] * mean[$1] }
        #expect(abs(try residualLoss(plainRun) - 0.5 * offset * offset) < 1e-10 * offset * offset)
        #expect(offset * offset > 1e-3)
        #expect(try residualLoss(centredRun) < 1e-28)
    }

    @Test("same seed ⇒ bit-identical artifacts; another seed or stage id ⇒ different numbers")
    func reproducible() throws {
        let a = try artifact(synthetic, "data")
        let b = try artifact(synthetic, "data")
        #expect(a == b)
        #expect(try bitPatterns(a, "train_x") == bitPatterns(b, "train_x"))
        let c = try artifact(synthetic, "data", overrides: ["seed=4"])
        #expect(try bitPatterns(a, "train_x") != bitPatterns(c, "train_x"))
        let renamed = try artifact(synthetic.replacingOccurrences(of: "  data:", with: "  other:"), "other")
        #expect(try bitPatterns(a, "train_x") != bitPatterns(renamed, "train_x"))
    }

    @Test("changing `test` leaves the train set bit-for-bit unchanged", arguments: [
        "teacher: linear, covariance: power_law, alpha: 1.5, rotate: true, label_noise: 0.1",
        "teacher: mlp, outputs: 2, teacher_width: 8",
        "teacher: multi_index, indices: 2",
        "teacher: mixture, classes: 3, label_noise: 0.2",
        "teacher: random_labels",
    ])
    func trainIndependentOfTest(_ with: String) throws {
        let text = "pipeline: t\nstages:\n  data: { use: data.synthetic, with: { train: 20, input_dim: 6, \(with) } }\n"
        let small = try artifact(text, "data", overrides: ["data.test=3"])
        let large = try artifact(text, "data", overrides: ["data.test=50"])
        for name in ["train_x", "train_y"] { #expect(try bitPatterns(small, name) == bitPatterns(large, name), "\(name)") }
        #expect(small.arrays["train_labels"] == large.arrays["train_labels"])
        #expect(try datasetOf(large).testCount == 50)
        let moreTrain = try artifact(text, "data", overrides: ["data.test=3", "data.train=40"])
        for name in ["test_x", "test_y"] { #expect(try bitPatterns(small, name) == bitPatterns(moreTrain, name), "\(name)") }
    }

    @Test("class tasks: mixture with one-hot targets, balanced counts and centres; random labels are ±1")
    func classes() throws {
        let text = """
        pipeline: c
        stages:
          mix: { use: data.synthetic, with: { train: 30, test: 9, input_dim: 20, teacher: mixture, classes: 3, encoding: onehot } }
          coin: { use: data.synthetic, with: { train: 30, test: 0, input_dim: 4, teacher: random_labels } }
        """
        let result = try runPipeline(text).result
        let mix = try #require(result.artifacts["mix"])
        let ds = try datasetOf(mix)
        #expect(ds.outputDimension == 3)
        #expect(mix.summary["train_class_counts"] == .list([.int(10), .int(10), .int(10)]))
        #expect(mix.summary["test_class_counts"] == .list([.int(3), .int(3), .int(3)]))
        #expect(try matrix(mix, "centres").rows == 3)
        let labels = try #require(ds.trainLabels)
        #expect(ds.trainTargets == (try TargetEncoding.onehot.encode(labels, classCount: 3)))
        let coin = try datasetOf(try #require(result.artifacts["coin"]))
        #expect(coin.trainTargets.columns == 1 && coin.trainTargets.elements.allSatisfy { $0 == 1 || $0 == -1 })
        #expect(coin.testCount == 0)
    }

    @Test("teacher arrays: MLP weights archive, index directions, rotation; clean targets with label noise")
    func teacherArrays() throws {
        let text = """
        pipeline: t
        stages:
          mlp: { use: data.synthetic, with: { train: 8, test: 2, input_dim: 3, teacher: mlp, teacher_depth: 2, teacher_width: 4, label_noise: 0.5 } }
          idx: { use: data.synthetic, with: { train: 8, test: 2, input_dim: 3, teacher: single_index, covariance: given, eigenvalues: [3, 2, 1], rotate: true } }
        """
        let result = try runPipeline(text).result
        let mlp = try #require(result.artifacts["mlp"])
        #expect(mlp.archives["teacher.npz"]?.map(\.name) == ["w1", "w2", "w3", "output_norms"])
        let noisy = try matrix(mlp, "train_y"), clean = try matrix(mlp, "train_y_clean")
        #expect(noisy != clean && noisy.rows == clean.rows)
        let idx = try #require(result.artifacts["idx"])
        #expect(try matrix(idx, "teacher_directions").rows == 1)
        #expect(try matrix(idx, "covariance_rotation").rows == 3)
        #expect(try idx.array("covariance_eigenvalues").asDoubles() == [3, 2, 1])
        #expect(idx.summary["covariance_trace"] == .double(6))
    }

    @Test("inconsistent parameters are refused by validation, at the parameter", arguments: [
        ("covariance: given", "`eigenvalues`"),
        ("covariance: given, eigenvalues: [1, 2]", "`eigenvalues`"),
        ("eigenvalues: [1, 1, 1, 1]", "`eigenvalues`"),
        ("teacher: mlp, singular_values: [1]", "`singular_values`"),
        ("outputs: 2, singular_values: [1, 1, 1]", "`singular_values`"),
        ("teacher: mixture, outputs: 3", "`outputs`"),
        ("teacher: multi_index, indices: 5", "`indices`"),
        ("teacher: random_labels, label_noise: 1.5", "`label_noise`"),
        ("teacher: mixture, center_inputs: true", "`center_inputs`"),
    ])
    func parameterErrors(_ with: String, _ named: String) throws {
        let text = "pipeline: e\nstages:\n  data: { use: data.synthetic, with: { train: 4, test: 1, input_dim: 4, \(with) } }\n"
        let f = try #require(try validationError(text))
        #expect(f.field == "stages.data.with.\(named.dropFirst().dropLast())", "\(f)")
    }

    @Test("schema checks: unknown teacher and out-of-range sizes are rejected before running")
    func schema() throws {
        let text = "pipeline: e\nstages:\n  data: { use: data.synthetic, with: { teacher: perceptron, train: 0 } }\n"
        let f = try #require(failure(text))
        #expect(f.code == .invalidPipeline && f.text.contains("teacher") && f.text.contains("train"))
    }
}
