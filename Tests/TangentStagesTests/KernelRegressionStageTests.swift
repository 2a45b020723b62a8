import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

/// A two-layer linear network (hidden 40, NTK parametrization, small init σ = 0.1) trained close to convergence
/// (train MSE ≈ 2e-5) on isotropic Gaussian inputs (white in expectation; P = 12 < D = 20, so the empirical
/// covariance cannot be whitened and data.whiten is the identity) with a noise-free linear teacher. P < D makes the
/// test meaningful: with P > D and whitened inputs every full-rank linear kernel would reproduce the teacher.
let kernelRegressionPipeline = """
pipeline: kr
seed: 3
stages:
  raw:   { use: data.synthetic, with: { train: 12, test: 10, input_dim: 20, teacher: linear, outputs: 2 } }
  data:  { use: data.whiten, from: { data: raw }, with: { method: none, center: false } }
  model: { use: model.mlp, from: { data: data }, with: { hidden: [40], activation: linear, init_scale: 0.1 } }
  train: { use: train.gd, from: { data: data, model: model }, with: { steps: 8000, learning_rate: 0.6, loss: sum, snapshots: { every: 2000 }, log_points: 20 } }
  snaps: { use: ntk.snapshots, from: { trajectory: train, data: data } }
  kr:    { use: analysis.kernel_regression, from: { kernels: snaps, trajectory: train, data: data } }
"""

@Suite("analysis.kernel_regression")
struct KernelRegressionStageTests {
    func row(_ a: Table, _ key: String) throws -> [String: Value] {
        try #require(a.summary[key]?.objectValue)
    }

    @Test("silent alignment: the trained small-init linear network equals kernel regression with its final NTK")
    func endToEnd() throws {
        let (result, folder) = try runPipeline(kernelRegressionPipeline)
        let kr = try #require(result.artifacts["kr"])
        let final = try row(kr, "final"), initial = try row(kr, "initial")
        let relFinal = try #require(final["relative_error"]?.doubleValue)
        let relInitial = try #require(initial["relative_error"]?.doubleValue)
        // The final kernel is K = X·M·Xᵀ with M = W₁ᵀW₁ + ‖w₂‖²I, whose large part W₁ᵀW₁ has aligned with the
        // learned weights (silent alignment): its predictor matches the network up to the network's remaining train
        // residual and the init components outside the data span (O(σ²)). Measured 0.021 at this fixed seed; the
        // initial kernel (random M) gives 0.17. 5% leaves a 2.4× margin; the initial kernel must be clearly worse.
        #expect(relFinal < 0.05)
        #expect(relInitial > 3 * relFinal)
        #expect(try kr.array("predictions_final").shape == [10, 2])
        #expect(try kr.array("predictions").shape == [5, 10, 2])
        #expect(try kr.array("predictions_network").shape == [10, 2])
        let keys = Set(kr.metrics.map(\.key))
        for key in ["kr_test_mse", "kr_relative_error", "kr_train_mse", "kgd_train_loss", "kgd_test_loss",
                    "akgd_train_loss", "akgd_test_loss", "nn_train_loss", "nn_test_loss"] {
            #expect(keys.contains(key), "metrics.csv lacks \(key)")
        }
        // Ridgeless regression interpolates on the train points.
        #expect((final["train_mse"]?.doubleValue ?? 1) < 1e-12)
        #expect(kr.summary["nn_test_mse"]?.doubleValue != nil)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("kr/metrics.csv").path))
        // KGD starts at the network's initial loss.
        let nn0 = kr.metrics.first { $0.key == "nn_train_loss" && $0.step == 0 }?.value
        let kgd0 = kr.metrics.first { $0.key == "kgd_train_loss" && $0.step == 0 }?.value
        #expect(nn0 != nil && kgd0 != nil && abs(nn0! - kgd0!) <= 1e-10 * nn0!)
    }

    @Test("options: final kernel, trace head, constant ridge, weight-decay ridge, no trajectory (f₀ = 0, no KGD)")
    func options() throws {
        let text = kernelRegressionPipeline + """

          ridge: { use: analysis.kernel_regression, from: { kernels: snaps, trajectory: train, data: data }, with: { kernel: final, kernel_head: trace, ridge: constant, ridge_value: 0.5, kgd: false } }
          bare:  { use: analysis.kernel_regression, from: { kernels: snaps, data: data }, with: { kernel: initial, kgd: false } }
          wd:    { use: train.gd, from: { data: data, model: model }, with: { steps: 10, weight_decay: 0.01, snapshots: { every: 5 } } }
          wdk:   { use: ntk.snapshots, from: { trajectory: wd, data: data } }
          wdkr:  { use: analysis.kernel_regression, from: { kernels: wdk, trajectory: wd, data: data }, with: { ridge: weight_decay } }
        """
        let (result, _) = try runPipeline(text)
        let ridge = try #require(result.artifacts["ridge"])
        #expect(ridge.summary["ridge"] == .double(0.5))
        #expect(ridge.summary["initial"] == nil && ridge.summary["final"] != nil)
        #expect(ridge.summary["kgd"] == nil)
        let bare = try #require(result.artifacts["bare"])
        #expect(bare.summary["subtract_initial"] == .bool(false))
        #expect(bare.summary["initial"]?["test_mse"]?.doubleValue != nil)
        #expect(bare.summary["initial"]?["relative_error"] == nil)
        // ρ = 2λ·P for the mean loss (P = 12 train points).
        let wd = try #require(result.artifacts["wdkr"]?.summary["ridge"]?.doubleValue)
        #expect(abs(wd - 2 * 0.01 * 12) < 1e-15)
    }

    /// A muP tanh network (width 128) trains stably at η = 0.5 because its learning-rate factors (n/D on the
    /// input layer, 1/n on the output layer) make the dynamics' kernel O(1); the parameter-space NTK
    /// (`weighting: parameters`, c_l = 1) is O(n) larger, so KGD with it at the same η diverges.
    static let divergingKGD = """
    pipeline: kgd
    seed: 1
    stages:
      data:  { use: data.synthetic, with: { train: 20, test: 8, input_dim: 4 } }
      model: { use: model.mlp, from: { data: data }, with: { hidden: [128], activation: tanh, parametrization: mup } }
      train: { use: train.gd, from: { data: data, model: model }, with: { learning_rate: 0.5, steps: 300, snapshots: { every: 100 }, log_points: 30 } }
      snaps: { use: ntk.snapshots, from: { trajectory: train, data: data } }
      kr:    { use: analysis.kernel_regression, from: { kernels: snaps, trajectory: train, data: data } }
      rates: { use: ntk.snapshots, from: { trajectory: train, data: data }, with: { weighting: learning_rate } }
      kr2:   { use: analysis.kernel_regression, from: { kernels: rates, trajectory: train, data: data } }
    """

    @Test("a diverging KGD curve is kept whole: nan/inf rows in metrics.csv, null losses, diverged and diverged_at")
    func divergedCurves() throws {
        let (result, folder) = try runPipeline(Self.divergingKGD)
        let kr = try #require(result.artifacts["kr"])
        let series = try result.read(KernelsArtifact.self, "snaps")
        let data = try datasetOf(try #require(result.artifacts["data"]))
        let trajectory = try result.read(TrajectoryArtifact.self, "train")
        let (p, eta) = (20.0, 0.5)
        // The condition for divergence: η·λ_max(K₀)/P > 2 (measured ≈ 9: the loss grows ×64 per step).
        let k0 = try series.heads(0)[0]
        let lambdaMax = try #require(try k0.symmetricEigenvalues().max())
        #expect(eta * lambdaMax / p > 2)

        // Independent reference: the direct recursion f ← f − (η/P)·K₀·(f − Y) from f₀, its loss 1/(2P)|f − Y|² at
        // every logged step, and the first step where it is not finite or above 1e4 × its initial value.
        let f0 = try trajectory.snapshot(0)(data.trainInputs), y = data.trainTargets
        var f = f0
        var expectedAt: Int? = nil
        var initial = 0.0
        let logged = Set(trajectory.losses.map(\.step))
        for step in 0...300 {
            if logged.contains(step) {
                let r = f - y
                let loss = 0.5 * r.frobeniusInner(r) / p
                if step == 0 { initial = loss }
                if expectedAt == nil, !loss.isFinite || loss > 1e4 * initial { expectedAt = step }
            }
            f = f - (eta / p) * (try k0.matmul(f - y))
        }
        let kgd = try #require(kr.summary["kgd"]?.objectValue), akgd = try #require(kr.summary["akgd"]?.objectValue)
        #expect(kgd["diverged"] == .bool(true) && akgd["diverged"] == .bool(true))
        #expect(kgd["diverged_at"] == expectedAt.map(Value.int) && expectedAt != nil, "\(kgd)")
        // With a test set test_loss is always there; not finite at the end, so null.
        #expect(kgd["test_loss"] == .null && kgd["train_loss"] == .null && kgd["step"] == .int(300))
        #expect(akgd["test_loss"] == .null)

        // metrics.csv keeps every logged step of every curve, the non-finite values included.
        let csv = try String(contentsOf: folder.appendingPathComponent("kr/metrics.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n").map(String.init)
        for key in ["kgd_train_loss", "kgd_test_loss", "akgd_train_loss", "akgd_test_loss"] {
            let rows = lines.filter { $0.split(separator: ",").dropFirst().first.map(String.init) == key }
            #expect(rows.count == logged.count, "\(key)")
            #expect(rows.contains { $0.hasSuffix(",inf") || $0.hasSuffix(",nan") }, "\(key)")
        }
        let readBack = kr.metrics.filter { $0.key == "kgd_test_loss" }
        #expect(readBack.count == logged.count && readBack.contains { !$0.value.isFinite })
        if pandasAvailable {
            // pandas reads nan and inf as floats.
            let script = "import pandas as pd, numpy as np, sys; m = pd.read_csv(sys.argv[1]); "
                + "v = m[m.key == 'kgd_test_loss'].value; assert v.dtype == np.float64, v.dtype; "
                + "print(int((~np.isfinite(v)).sum()), len(v))"
            let out = try runPython(["-c", script, folder.appendingPathComponent("kr/metrics.csv").path])
            let nonFinite = readBack.filter { !$0.value.isFinite }.count
            #expect(out.status == 0 && out.output.hasPrefix("\(nonFinite) \(logged.count)"), "\(out.output)")
        }

        // The learning-rate-weighted kernel is the dynamics' own: KGD with it does not diverge.
        let stable = try #require(result.artifacts["kr2"]?.summary["kgd"]?.objectValue)
        #expect(stable["diverged"] == .bool(false) && stable["diverged_at"] == .null)
        #expect(stable["test_loss"]?.doubleValue.map { $0.isFinite } == true)
    }

    @Test("kgd without a trajectory is an error naming the parameter")
    func kgdNeedsTrajectory() throws {
        let text = kernelRegressionPipeline + """

          bad:   { use: analysis.kernel_regression, from: { kernels: snaps, data: data } }
        """
        let error = try #require(failure(text))
        #expect(error.text.contains("kgd"))
    }
}

/// The metrics against tools/kernel_regression_reference.py on the kernels and data it saved.
@Suite("Kernel regression vs numpy reference")
struct KernelRegressionReferenceTests {
    static func fixture(_ name: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return root.appendingPathComponent("analysis").appendingPathComponent(name)
    }

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-10 * max(abs(b), 1) }

    @Test("kernel regression MSEs, relative errors, KGD and aKGD losses match numpy to 1e-10")
    func matchesNumpy() throws {
        let k = try NPZ.read(contentsOf: try Self.fixture("kernels.npz"))
        let d = try NPZ.read(contentsOf: try Self.fixture("data.npz"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: try Self.fixture("kernel_regression_expected.json")))
        let expected = try #require(json as? [String: Any])
        func member(_ name: String) throws -> NPYArray { try #require(k[name]) }
        let series = try fixtureKernels(["times": try member("times"), "ntk": try member("ntk"),
                                         "trace": try member("trace"), "test": try member("test")])
        func m(_ name: String) throws -> Matrix<Double> { try Matrix<Double>(try #require(d[name])) }
        let (y, yt, f0, f0t, fnn) = (try m("y"), try m("y_test"), try m("f0"), try m("f0_test"), try m("f_nn_test"))

        let rows = try #require(expected["regression"] as? [[String: Any]])
        #expect(rows.count == 12)
        for row in rows {
            let t = try #require(row["time"] as? Int), rho = try #require(row["ridge"] as? Double)
            let trace = (row["kernel_head"] as? String) == "trace"
            let ks = trace ? [try series.trace(t)] : try series.heads(t)
            let kts = trace ? [try series.test(t, 0) + series.test(t, 1)] : try series.tests(t)
            let r = try kernelRegression(kernels: ks, testKernels: kts, targets: y, initialTrain: f0, initialTest: f0t, ridge: rho)
            #expect(close(meanSquaredError(r.train, y), try #require(row["train_mse"] as? Double)))
            #expect(close(meanSquaredError(r.test, yt), try #require(row["test_mse"] as? Double)))
            #expect(close(relativePredictionError(r.test, fnn), try #require(row["relative_error"] as? Double)))
        }

        let eta = try #require(expected["learning_rate"] as? Double)
        let steps = try #require(expected["log_steps"] as? [Int])
        let snapshotSteps = series.steps.map { $0 ?? 0 }
        let norms = try (0..<series.count).map { t in try series.heads(t).map(\.frobeniusNorm) }
        for (label, adaptive) in [("kgd", false), ("akgd", true)] {
            let curve = try kernelGradientDescent(
                kernels: try series.heads(0), testKernels: try series.tests(0), targets: y, testTargets: yt, initialTrain: f0,
                initialTest: f0t, learningRate: eta, normalization: .mean, steps: steps) { step, c in
                    adaptive ? kernelNormRatio(step: step, snapshotSteps: snapshotSteps, norms: norms.map { $0[c] }) : 1
                }
            let reference = try #require(expected[label] as? [String: [Double]])
            let train = try #require(reference["train_loss"]), test = try #require(reference["test_loss"])
            #expect(curve.trainLoss.count == train.count)
            for (a, b) in zip(curve.trainLoss, train) { #expect(close(a, b), "\(label) train \(a) vs \(b)") }
            for (a, b) in zip(curve.testLoss, test) { #expect(close(a, b), "\(label) test \(a) vs \(b)") }
        }
    }
}

/// Whether `python3` with pandas is on PATH (the pandas reading checks run only then).
let pandasAvailable: Bool = (try? runPython(["-c", "import pandas"]).status) == 0

/// Runs `python3 arguments`, returning its exit status and its stdout and stderr together.
func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
