import Foundation
import Testing
import TangentCore
@testable import TangentNTK

/// Mean-field networks with biases: the output bias has multiplier β = 1/(γ₀√n_L) and learning-rate factor γ₀²n_L,
/// so every parameter group's share of the learning-rate-weighted NTK is O(1) at every width (docs/science.md).
@Suite("Mean-field parametrization with biases is width-consistent")
struct MeanfieldBiasParametrizationTests {
    static let gamma0 = 2.0

    func architecture(width: Int, bias: Bool = true, inputs: Int = 6) -> MLPArchitecture {
        MLPArchitecture(inputDimension: inputs, hidden: [width], outputs: 1, activation: .tanh, bias: bias,
                        parametrization: .meanfield, gamma0: Self.gamma0)
    }

    /// P samples x ~ N(0, I_D) and targets y = tanh(x·v) + 0.5 (the offset gives the output bias work to do).
    func data(seed: UInt64, p: Int = 16, d: Int = 6) throws -> Dataset {
        var rng = Xoshiro256StarStar(seed: seed)
        let x = Matrix<Double>.randomNormal(rows: p, columns: d, using: &rng)
        let v: [Double] = rng.normals(d, std: 1 / Double(d).squareRoot())
        var y = Matrix<Double>(rows: p, columns: 1)
        for mu in 0..<p { y[mu, 0] = Foundation.tanh((0..<d).reduce(0) { $0 + x[mu, $1] * v[$1] }) + 0.5 }
        return try Dataset(trainInputs: x, trainTargets: y)
    }

    @Test("the output bias has β = 1/(γ₀√n_L) and c = γ₀²n_L, so c·β² = 1; hidden biases keep β = 1")
    func scalingTable() {
        for width in [48, 480] {
            let arch = architecture(width: width)
            let hidden = arch.scaling(layer: 0), output = arch.scaling(layer: 1)
            let n = Double(width), g = Self.gamma0
            #expect(hidden.biasMultiplier == 1)
            #expect(hidden.biasLearningRate == g * g * n)
            #expect(abs(output.biasMultiplier - 1 / (g * n.squareRoot())) < 1e-15)
            #expect(output.biasLearningRate == g * g * n)
            #expect(abs(output.biasLearningRate * output.biasMultiplier * output.biasMultiplier - 1) < 1e-12)
            // Adam: c_adam·β = 1 keeps the output bias's step in function units at η (as for β = 1, c_adam = 1).
            #expect(abs(output.adamBiasLearningRate * output.biasMultiplier - 1) < 1e-12)
            #expect(hidden.adamBiasLearningRate == 1)
        }
    }

    /// The diagonal of the learning-rate-weighted NTK, averaged over the samples: total and output-bias part.
    /// The output bias's part is measured, not computed from the table: the output layer's kernel of the network
    /// with biases minus that of the same weights without biases (biases start at 0, so the forward pass agrees).
    func weightedDiagonal(width: Int, x: Matrix<Double>, seed: UInt64) throws -> (total: Double, outputBias: Double) {
        var rng = Xoshiro256StarStar(seed: seed)
        let withBias = try MLP(architecture: architecture(width: width), rng: &rng)
        let withoutBias = try MLP(architecture: architecture(width: width, bias: false), weights: withBias.weights)
        let options = NTKOptions(perLayer: true, weighting: .learningRate)
        let a: EmpiricalNTK<Double> = try empiricalNTK(withBias, inputs: x, options: options)
        let b: EmpiricalNTK<Double> = try empiricalNTK(withoutBias, inputs: x, options: options)
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
        let outputBias = zip(a.layers![1][0].diagonalElements, b.layers![1][0].diagonalElements).map { $0 - $1 }
        return (mean(a.heads[0].diagonalElements), mean(outputBias))
    }

    @Test("the output bias's share of the learning-rate-weighted NTK diagonal is O(1) at n = 48 and n = 480")
    func outputBiasShareOfTheKernel() throws {
        let x = try data(seed: 5).trainInputs
        let narrow = try weightedDiagonal(width: 48, x: x, seed: 11)
        let wide = try weightedDiagonal(width: 480, x: x, seed: 11)
        // c·β² = γ₀²n_L/(γ₀√n_L)² = 1 at every width, up to rounding (it was γ₀²n_L = 192 and 1920 with β = 1).
        #expect(abs(narrow.outputBias - 1) < 1e-10, "n = 48: \(narrow.outputBias)")
        #expect(abs(wide.outputBias - 1) < 1e-10, "n = 480: \(wide.outputBias)")
        // The rest are width averages of O(1) terms (⟨φ²⟩ for the readout, ⟨z²φ'²⟩(|x|²/D + 1) for the hidden
        // layer, ≈ 0.4 and ≈ 0.9 with tanh): the total is ≈ 2.3, not a multiple of n.
        for r in [narrow, wide] {
            #expect(r.total > 1.5 && r.total < 4, "total \(r.total)")
            #expect(r.outputBias / r.total < 0.7, "share \(r.outputBias / r.total)")
        }
        // Across widths the total agrees up to the finite-width fluctuation of those averages: relative standard
        // deviation ≈ 0.15 at n = 48 (z²φ'² has a relative spread of ≈ 1.7 over 48 neurons); 0.5 is > 3σ, while a
        // kernel growing like n (as with β = 1: 194 → 1922) would give a ratio near 10.
        #expect(abs(wide.total / narrow.total - 1) < 0.5, "totals \(narrow.total) at n = 48, \(wide.total) at n = 480")
    }

    @Test("gradient descent at a learning rate that works at n = 48 also trains at n = 480")
    func sameLearningRateAcrossWidths() throws {
        let data = try data(seed: 7)
        // η·λ_max(Θ_c/P) < 2 is needed for stability; with β = 1 the output bias alone gave λ_max ≈ γ₀²n_L, i.e.
        // ≈ 192 at n = 48 (η = 0.008 stable) and ≈ 1920 at n = 480 (diverges).
        let settings = TrainingSettings(steps: 400, optimizer: OptimizerSettings(learningRate: 0.008),
                                        snapshots: SnapshotSchedule(), logPoints: 4)
        var finals: [Double] = []
        for width in [48, 480] {
            var rng = Xoshiro256StarStar(seed: 13)
            let model = try MLP(architecture: architecture(width: width), rng: &rng)
            let t = try train(model, on: data, settings: settings, rng: &rng)
            #expect(t.complete)
            let first = t.losses.first!.train, last = t.losses.last!.train
            #expect(last < 0.5 * first, "n = \(width): loss \(first) → \(last)")
            finals.append(last)
        }
        // The same dynamics at both widths (mean-field limit), up to finite-width fluctuations of the kernel (≈ 15%
        // at n = 48, see above); measured 0.057 at n = 48 and 0.067 at n = 480 after 400 steps.
        #expect(abs(finals[1] / finals[0] - 1) < 0.5, "final losses \(finals)")
    }

    @Test("one Adam step moves the output offset β·b by η at every width")
    func adamOutputBiasStep() throws {
        let data = try data(seed: 9)
        let eta = 0.01
        for width in [48, 480] {
            var rng = Xoshiro256StarStar(seed: 17)
            var model = try MLP(architecture: architecture(width: width), rng: &rng)
            let before = model.biases[1][0]
            var adam = Optimizer(OptimizerSettings(kind: .adam, learningRate: eta))
            adam.step(&model, try model.lossAndGradients(data.trainInputs, data.trainTargets).gradients)
            let beta = model.architecture.scaling(layer: 1).biasMultiplier
            // The first Adam step is η·c_adam·g/(|g| + ε) and c_adam·β = 1: η up to ε/|g| ≈ 1e-6 (|g| ≈ 0.01, ε = 1e-8).
            #expect(abs(abs(beta * (model.biases[1][0] - before)) - eta) < 1e-4 * eta, "n = \(width)")
        }
    }
}
