import Foundation
import Testing
import TangentCore
@testable import TangentNTK

@Suite("Training: optimizers, schedules, reproducibility, divergence, Langevin")
struct TrainingTests {
    func regressionData(seed: UInt64, p: Int = 30, d: Int = 4, c: Int = 2) throws -> Dataset {
        var rng = Xoshiro256StarStar(seed: seed)
        let x = Matrix<Double>.randomNormal(rows: p, columns: d, using: &rng)
        let y = Matrix<Double>.randomNormal(rows: p, columns: c, using: &rng)
        let xt = Matrix<Double>.randomNormal(rows: 10, columns: d, using: &rng)
        return try Dataset(trainInputs: x, trainTargets: y, testInputs: xt,
                           testTargets: Matrix<Double>.randomNormal(rows: 10, columns: c, using: &rng))
    }

    @Test("snapshot schedules include 0 and the last step and merge every, log-spaced and listed steps")
    func schedules() {
        #expect(SnapshotSchedule(every: 4).steps(total: 10) == [0, 4, 8, 10])
        #expect(SnapshotSchedule(logSpaced: 4).steps(total: 1000) == [0, 1, 10, 100, 1000])
        #expect(SnapshotSchedule(every: 5, at: [3, 99]).steps(total: 10) == [0, 3, 5, 10])
    }

    @Test("gradient descent with weight decay converges to the ridge-regression solution (closed form)",
          arguments: [OptimizerSettings.Kind.gd, .momentum])
    func ridgeFixedPoint(_ kind: OptimizerSettings.Kind) throws {
        let data = try regressionData(seed: 1)
        let lambda = 0.3
        let arch = MLPArchitecture(inputDimension: 4, hidden: [], outputs: 2, activation: .linear, parametrization: .standard)
        var rng = Xoshiro256StarStar(seed: 2)
        let model = try MLP(architecture: arch, rng: &rng)
        let settings = TrainingSettings(steps: 3000, optimizer: OptimizerSettings(kind: kind, learningRate: 0.05,
                                                                                   momentum: 0.5, weightDecay: lambda),
                                        snapshots: SnapshotSchedule(), logPoints: 10)
        let trained = try train(model, on: data, settings: settings, rng: &rng).final
        // min 1/(2P)‖X Wᵀ − Y‖² + (λ/2)‖W‖²  ⇒  Wᵀ = (XᵀX/P + λI)⁻¹ XᵀY/P
        let p = Double(data.trainCount)
        let a = (1 / p) * data.trainInputs.columnGram() + lambda * Matrix.identity(4)
        let b = try (1 / p) * data.trainInputs.matmul(data.trainTargets, transposeSelf: true)
        let ridge = try a.choleskySolve(b).solution.transposed
        #expect(trained.weights[0].relativeDifference(to: ridge) < 1e-8)
    }

    @Test("Adam lowers the loss on a small regression and minibatch SGD is reproducible from its seed")
    func adamAndMinibatches() throws {
        let data = try regressionData(seed: 3)
        let arch = MLPArchitecture(inputDimension: 4, hidden: [16], outputs: 2, activation: .tanh, bias: true,
                                   parametrization: .mup)
        var rng = Xoshiro256StarStar(seed: 4)
        let model = try MLP(architecture: arch, rng: &rng)
        let adam = TrainingSettings(steps: 300, optimizer: OptimizerSettings(kind: .adam, learningRate: 0.05), logPoints: 5)
        let t = try train(model, on: data, settings: adam, rng: &rng)
        #expect(t.losses.last!.train < 0.5 * t.losses.first!.train)
        #expect(t.losses.first!.test.isFinite)

        let sgd = TrainingSettings(steps: 50, batchSize: 7, optimizer: OptimizerSettings(learningRate: 0.05), logPoints: 5)
        var r1 = Xoshiro256StarStar(seed: 9), r2 = Xoshiro256StarStar(seed: 9), r3 = Xoshiro256StarStar(seed: 10)
        let a = try train(model, on: data, settings: sgd, rng: &r1).final
        let b = try train(model, on: data, settings: sgd, rng: &r2).final
        let c = try train(model, on: data, settings: sgd, rng: &r3).final
        #expect(a == b)
        #expect(a != c)
    }

    @Test("a diverging run stops with the step and keeps the trajectory so far")
    func divergence() throws {
        let data = try regressionData(seed: 5)
        let arch = MLPArchitecture(inputDimension: 4, hidden: [8], outputs: 2, activation: .linear, parametrization: .standard)
        var rng = Xoshiro256StarStar(seed: 6)
        let model = try MLP(architecture: arch, rng: &rng)
        let settings = TrainingSettings(steps: 500, optimizer: OptimizerSettings(learningRate: 5),
                                        snapshots: SnapshotSchedule(every: 1), logPoints: 0)
        do {
            _ = try train(model, on: data, settings: settings, rng: &rng)
            Issue.record("expected divergence")
        } catch let error as TrainingDivergence {
            #expect(error.step > 0 && error.step < 500)
            #expect(error.partial.snapshotSteps.last == error.step - 1)
            #expect(!error.partial.complete)
            #expect(error.description.contains("diverged at step \(error.step)"))
        }
    }

    @Test("Langevin samples of a linear model match the Gaussian posterior's mean and variance")
    func langevinPosterior() throws {
        // f = wᵀx, U = ½ Σ (wᵀx − y)² + ½λ|w|², p ∝ exp(−βU): Gaussian with precision β(XᵀX + λI) and mean (XᵀX + λI)⁻¹Xᵀy.
        var rng = Xoshiro256StarStar(seed: 7)
        let x = Matrix<Double>.randomNormal(rows: 20, columns: 2, using: &rng)
        let y = Matrix<Double>.randomNormal(rows: 20, columns: 1, using: &rng)
        let data = try Dataset(trainInputs: x, trainTargets: y)
        let arch = MLPArchitecture(inputDimension: 2, hidden: [], outputs: 1, activation: .linear, parametrization: .standard)
        let model = try MLP(architecture: arch, rng: &rng)
        let (beta, lambda) = (4.0, 0.5)
        let settings = LangevinSettings(steps: 40_000, learningRate: 0.002, beta: beta, weightDecay: lambda,
                                        snapshots: SnapshotSchedule(every: 20), logPoints: 0)
        let chain = try sampleLangevin(model, on: data, settings: settings, rng: &rng)
        let samples = zip(chain.snapshotSteps, chain.snapshots).filter { $0.0 >= 5000 }.map { $0.1.weights[0].elements }
        let n = Double(samples.count)
        let mean = (0..<2).map { i in samples.map { $0[i] }.reduce(0, +) / n }
        let variance = (0..<2).map { i in samples.map { ($0[i] - mean[i]) * ($0[i] - mean[i]) }.reduce(0, +) / (n - 1) }
        let precision = x.columnGram() + lambda * Matrix.identity(2)
        let exactMean = try precision.choleskySolve(try x.matmul(y, transposeSelf: true)).solution.elements
        let covariance = try (1 / beta) * precision.choleskySolve(.identity(2)).solution
        for i in 0..<2 {
            let sd = covariance[i, i].squareRoot()
            // 1750 samples 20 steps apart are correlated; allow 0.25 sd for the mean and 20% for the variance
            // (plus the O(η) discretization bias of the unadjusted Langevin scheme, ≈ η·‖XᵀX‖ ≈ 5%).
            #expect(abs(mean[i] - exactMean[i]) < 0.25 * sd, "mean \(i)")
            #expect(abs(variance[i] / covariance[i, i] - 1) < 0.2, "variance \(i)")
        }
    }
}
