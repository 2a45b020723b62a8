import Foundation
import Testing
import TangentCore
@testable import TangentNTK

@Suite("Adaptive kernels: aNBK saddle and aNTK DMFT against closed forms, lazy limits and trained networks", .serialized)
struct AdaptiveKernelTests {
    /// P points in D dimensions with a sign teacher, and test points.
    func task(p: Int = 30, pt: Int = 20, d: Int = 8, seed: UInt64 = 5) -> (Matrix<Double>, Matrix<Double>, Matrix<Double>, Matrix<Double>) {
        var rng = Xoshiro256StarStar(seed: seed)
        let x = Matrix<Double>.randomNormal(rows: p, columns: d, using: &rng)
        let xt = Matrix<Double>.randomNormal(rows: pt, columns: d, using: &rng)
        let teacher = rng.normals(d, as: Double.self)
        func label(_ m: Matrix<Double>) -> Matrix<Double> {
            Matrix(rows: m.rows, columns: 1) { i, _ in (0..<d).reduce(0) { $0 + m[i, $1] * teacher[$1] } > 0 ? 1 : -1 }
        }
        return (x, label(x), xt, label(xt))
    }

    /// Whitened inputs (C = XXᵀ/D = I, P = D) and a unit-norm target.
    func whitened(_ d: Int) -> (Matrix<Double>, Matrix<Double>) {
        let x = Double(d).squareRoot() * Matrix<Double>.identity(d)
        var rng = Xoshiro256StarStar(seed: 9)
        let v = rng.normals(d, as: Double.self)
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return (x, try! Matrix(rows: d, columns: 1, elements: v.map { $0 / norm }))
    }

    // MARK: aNBK, deep linear

    @Test("deep linear aNBK: the matrix saddle gives Φ^ℓ = I + (c_ℓ − 1)yyᵀ with the scalar c_ℓ = (1 − χ)^ℓ",
          arguments: [(4.0, 10.0, 16), (1.0, 10.0, 2), (0.5, Double.infinity, 3), (2.0, 1.0, 5)])
    func deepLinearScalars(_ gamma: Double, _ beta: Double, _ depth: Int) throws {
        let (x, y) = whitened(8)
        var rng = Xoshiro256StarStar(seed: 1)
        let settings = AdaptiveNNGPSettings(gamma: gamma, beta: beta, depth: depth, activation: .linear, tolerance: 1e-12,
                                            maxIterations: 20_000)
        let result = try adaptiveNNGP(trainInputs: x, trainTargets: y, testInputs: Matrix(rows: 0, columns: 8),
                                      settings: settings, rng: &rng)
        #expect(result.converged, "residual \(result.residual) after \(result.iterations) iterations")
        let scalars = try deepLinearSaddleScalars(gamma: gamma, beta: beta, depth: depth)
        let yyT = try y.matmul(y, transposeOther: true)
        for l in 0..<depth {
            let expected = Matrix<Double>.identity(8) + (scalars[l] - 1) * yyT
            #expect(result.layerKernels[l].relativeDifference(to: expected) < 1e-8, "layer \(l + 1)")
        }
        // The scalars solve their own equation c_L = (1 − χ)^L with χ = −γ²c_L/(β⁻¹ + c_L)².
        let t = beta.isInfinite ? 0 : 1 / beta, cL = scalars[depth - 1]
        let chi = -gamma * gamma * cL / ((t + cL) * (t + cL))
        #expect(abs(pow(1 - chi, Double(depth)) - cL) < 1e-9 * cL)
    }

    @Test("the paper's deep linear case (D = 8, L = 16, γ = 4, β = 10): c₁ ≈ 1.29, c₁₆ ≈ 55.8")
    func paperCase() throws {
        let scalars = try deepLinearSaddleScalars(gamma: 4, beta: 10, depth: 16)
        #expect(abs(scalars[0] - 1.29) < 0.005, "c1 = \(scalars[0])")
        #expect(abs(scalars[15] - 55.8) < 0.05, "c16 = \(scalars[15])")
    }

    /// Langevin samples of a wide deep linear mean-field network (N = 128, L = 2, γ = 1, β = 10) at the posterior:
    /// c_ℓ = yᵀΦ^ℓy with Φ^ℓ = h^ℓ·h^ℓᵀ/N. The tolerance is 4 standard errors of the mean over 8 batches of the
    /// chain plus a finite-width bias of 2·L/N relative (the correction to the saddle is O(L/N)).
    @Test("deep linear aNBK agrees with train.langevin samples of a wide deep linear network")
    func deepLinearLangevin() throws {
        let (gamma, beta, depth, width) = (1.0, 10.0, 2, 128)
        let (x, y) = whitened(8)
        let scalars = try deepLinearSaddleScalars(gamma: gamma, beta: beta, depth: depth)
        let data = try Dataset(trainInputs: x, trainTargets: y)
        let arch = MLPArchitecture(inputDimension: 8, hidden: Array(repeating: width, count: depth), outputs: 1,
                                   activation: .linear, parametrization: .meanfield, initScale: 1, gamma0: gamma)
        var rng = Xoshiro256StarStar(seed: 17)
        var model = try MLP(architecture: arch, rng: &rng)
        let segment = 200, burnIn = 10, batches = 8, perBatch = 6
        let settings = LangevinSettings(steps: segment, learningRate: 0.02, beta: beta, snapshots: SnapshotSchedule(at: []),
                                        logPoints: 0)
        var batchMeans = [[Double]](repeating: [Double](repeating: 0, count: depth), count: batches)
        for s in 0..<(burnIn + batches * perBatch) {
            model = try sampleLangevin(model, on: data, settings: settings, rng: &rng).final
            guard s >= burnIn else { continue }
            let pass = try model.forward(x, keepDerivatives: false)
            for l in 0..<depth {
                let h = pass.inputs[l + 1]
                let u = try h.matmul(h, transposeOther: true, alpha: 1 / Double(width)).matmul(y)
                let c = try y.matmul(u, transposeSelf: true)[0, 0]
                batchMeans[(s - burnIn) / perBatch][l] += c / Double(perBatch)
            }
        }
        for l in 0..<depth {
            let values = batchMeans.map { $0[l] }
            let mean = values.reduce(0, +) / Double(batches)
            let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(batches - 1)).squareRoot()
            let tolerance = 4 * sd / Double(batches).squareRoot() + 2 * Double(depth) / Double(width) * scalars[l]
            #expect(abs(mean - scalars[l]) <= tolerance, "c_\(l + 1): Langevin \(mean) ± \(sd / Double(batches).squareRoot()), saddle \(scalars[l])")
        }
    }

    // MARK: aNBK, two-layer Monte Carlo

    @Test("the two-layer Monte-Carlo saddle agrees with the exact linear saddle (a second algorithm)")
    func monteCarloMatchesExact() throws {
        let (x, y, xt, _) = task(p: 12, pt: 6, d: 6)
        let settings = AdaptiveNNGPSettings(gamma: 0.5, beta: 5, depth: 1, activation: .linear, samples: 200_000,
                                            tolerance: 1e-10, maxIterations: 500)
        var rng = Xoshiro256StarStar(seed: 3)
        let exact = try adaptiveNNGP(trainInputs: x, trainTargets: y, testInputs: xt, settings: settings, rng: &rng)
        let sampled = try twoLayerSaddle(trainInputs: x, trainTargets: y, testInputs: xt, settings: settings, rng: &rng,
                                         progress: { _ in })
        // M = 2·10⁵ draws: the moments' relative standard error is about √(2/M)·(tilt variance factor) ≈ 0.5%.
        #expect(sampled.trainKernel.relativeDifference(to: exact.trainKernel) < 0.03)
        #expect(sampled.testKernel.relativeDifference(to: exact.testKernel) < 0.03)
        #expect(sampled.testPredictions.relativeDifference(to: exact.testPredictions) < 0.05)
        // and differs from the lazy kernel C by much more than that
        let c = try x.matmul(x, transposeOther: true, alpha: 1.0 / 6)
        #expect(exact.trainKernel.relativeDifference(to: c) > 0.1)
    }

    @Test("as γ → 0 the aNBK is the NNGP: relu Monte Carlo and deep linear")
    func nngpLimit() throws {
        let (x, y, xt, _) = task(p: 10, pt: 5, d: 6)
        var rng = Xoshiro256StarStar(seed: 4)
        let relu = try adaptiveNNGP(trainInputs: x, trainTargets: y, testInputs: xt,
                                    settings: AdaptiveNNGPSettings(gamma: 1e-4, beta: 10, samples: 100_000), rng: &rng)
        let limit = try infiniteWidthKernels(x, x, architecture: LimitArchitecture(depth: 1, activation: .relu))
        #expect(relu.trainKernel.relativeDifference(to: limit.nngp) < 0.02, "\(relu.trainKernel.relativeDifference(to: limit.nngp))")
        let linear = try adaptiveNNGP(trainInputs: x, trainTargets: y, testInputs: xt,
                                      settings: AdaptiveNNGPSettings(gamma: 1e-6, beta: 10, depth: 3, activation: .linear), rng: &rng)
        let c = try x.matmul(x, transposeOther: true, alpha: 1.0 / 6)
        #expect(linear.trainKernel.relativeDifference(to: c) < 1e-9)
    }

    // MARK: aNTK

    @Test("as γ → 0 the aNTK is the lazy NTK, even after the function is fit")
    func lazyLimit() throws {
        let (x, y, xt, _) = task(p: 16, pt: 8, d: 6)
        let lazy = try infiniteWidthKernels(x, x, architecture: LimitArchitecture(depth: 1, activation: .relu))
        var rng = Xoshiro256StarStar(seed: 8)
        let small = try adaptiveNTK(trainInputs: x, trainTargets: y, testInputs: xt,
                                    settings: AdaptiveNTKSettings(gamma: 1e-3, weightDecay: 0, samples: 40_000, maxIterations: 3000),
                                    rng: &rng)
        #expect(small.history.last!.trainMSE < 1e-2 * small.history.first!.trainMSE)
        // M = 4·10⁴ draws: relative Monte-Carlo error of the kernel about 1%.
        #expect(small.trainKernel.relativeDifference(to: lazy.ntk) < 0.04, "\(small.trainKernel.relativeDifference(to: lazy.ntk))")
        let rich = try adaptiveNTK(trainInputs: x, trainTargets: y, testInputs: xt,
                                   settings: AdaptiveNTKSettings(gamma: 2, weightDecay: 0, samples: 4000, maxIterations: 3000),
                                   rng: &rng)
        #expect(rich.trainKernel.relativeDifference(to: lazy.ntk) > 0.2, "\(rich.trainKernel.relativeDifference(to: lazy.ntk))")
    }

    /// A meanfield relu network of width 2048 trained by gradient descent with weight decay (θ ← θ − η(Nγ²∇L + λθ),
    /// sum loss, γ = λ = 1, η = 0.02) for 600 steps, to flow time η·S = 12 = 12/λ where the initial weights have
    /// decayed by e⁻¹², against the DMFT (M = 8,000) integrated to the same flow time.
    @Test("the aNTK predictor matches a trained meanfield network on test points within 5%")
    func matchesTrainedNetwork() throws {
        let (x, y, xt, yt) = task(p: 40, pt: 40, d: 10)
        let (gamma, lambda, eta, steps, width) = (1.0, 1.0, 0.02, 600, 2048)
        let data = try Dataset(trainInputs: x, trainTargets: y, testInputs: xt, testTargets: yt)
        let arch = MLPArchitecture(inputDimension: 10, hidden: [width], outputs: 1, activation: .relu,
                                   parametrization: .meanfield, initScale: 1, gamma0: gamma)
        var rng = Xoshiro256StarStar(seed: 12)
        let model = try MLP(architecture: arch, rng: &rng)
        let trained = try train(model, on: data, settings: TrainingSettings(
            steps: steps, optimizer: OptimizerSettings(learningRate: eta, weightDecay: lambda), loss: .sum,
            snapshots: SnapshotSchedule(at: []), logPoints: 10), rng: &rng)
        let network = try trained.final(xt)
        let dmft = try adaptiveNTK(trainInputs: x, trainTargets: y, testInputs: xt,
                                   settings: AdaptiveNTKSettings(gamma: gamma, weightDecay: lambda, samples: 8000,
                                                                 maxTime: eta * Double(steps)),
                                   rng: &rng)
        let error = dmft.testPredictions.relativeDifference(to: network)
        print("aNTK vs trained meanfield network (width \(width)): relative test error \(error)")
        #expect(error <= 0.05)
        // The ridge predictor and the DMFT population's own output agree as the fields settle (2λ identity).
        #expect((dmft.extras["population_relative_difference"] ?? 1) < 0.05)
    }

    @Test("stepping the weights w or the fields h is the same flow")
    func weightAndFieldStates() throws {
        let (x, y, xt, _) = task(p: 20, pt: 10, d: 6)
        func solve(_ weights: Bool) throws -> AdaptiveKernelResult {
            var rng = Xoshiro256StarStar(seed: 6)
            var settings = AdaptiveNTKSettings(gamma: 1, weightDecay: 0.5, samples: 2000, maxTime: 3)
            settings.weightState = weights
            return try adaptiveNTK(trainInputs: x, trainTargets: y, testInputs: xt, settings: settings, rng: &rng)
        }
        let (weights, fields) = (try solve(true), try solve(false))
        #expect(weights.trainKernel.relativeDifference(to: fields.trainKernel) < 1e-9)
        #expect(weights.testPredictions.relativeDifference(to: fields.testPredictions) < 1e-9)
    }

    @Test("same seed, same numbers, for any thread count")
    func reproducible() throws {
        let (x, y, xt, _) = task(p: 12, pt: 4, d: 5)
        func solve(_ threads: Int) throws -> (Matrix<Double>, Matrix<Double>) {
            let previous = Threads.blasThreads
            Threads.setBudget(threads)
            defer { Threads.setBudget(previous) }
            var rng = Xoshiro256StarStar(seed: 2)
            let a = try adaptiveNTK(trainInputs: x, trainTargets: y, testInputs: xt,
                                    settings: AdaptiveNTKSettings(gamma: 1, weightDecay: 0.5, samples: 2000, maxIterations: 200), rng: &rng)
            var weightSettings = AdaptiveNTKSettings(gamma: 1, weightDecay: 0.5, samples: 2000, maxIterations: 200)
            weightSettings.weightState = true
            var again = Xoshiro256StarStar(seed: 2)
            let w = try adaptiveNTK(trainInputs: x, trainTargets: y, testInputs: xt, settings: weightSettings, rng: &again)
            #expect(w.iterations == 200)
            let b = try adaptiveNNGP(trainInputs: x, trainTargets: y, testInputs: xt,
                                     settings: AdaptiveNNGPSettings(gamma: 0.5, beta: 10, samples: 4000, maxIterations: 50), rng: &rng)
            return (a.trainKernel + w.trainKernel, b.trainKernel)
        }
        let one = try solve(1), two = try solve(2)
        #expect(one.0 == two.0)
        #expect(one.1 == two.1)
    }
}
