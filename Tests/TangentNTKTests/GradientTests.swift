import Testing
import TangentCore
@testable import TangentNTK

struct GradientCase: CustomTestStringConvertible, Sendable {
    let activation: Activation
    let parametrization: Parametrization
    var testDescription: String { "\(activation.rawValue) × \(parametrization.rawValue)" }

    static let all: [GradientCase] = Activation.allCases.flatMap { a in
        Parametrization.allCases.map { GradientCase(activation: a, parametrization: $0) }
    }
}

@Suite("Backpropagation matches finite differences")
struct GradientTests {
    @Test("∂L/∂θ equals the central finite difference to 1e-6 relative", arguments: GradientCase.all)
    func gradients(_ c: GradientCase) throws {
        let arch = MLPArchitecture(inputDimension: 3, hidden: [5, 4], outputs: 2, activation: c.activation, bias: true,
                                   parametrization: c.parametrization, initScale: 1.3, biasScale: 0.7, gamma0: 0.7)
        // γ₀ = 0.7 makes the meanfield output bias multiplier 1/(γ₀√n_L) = 1/1.4 ≠ 1, so it is exercised.
        if c.parametrization == .meanfield { #expect(arch.scaling(layer: 2).biasMultiplier != 1) }
        var rng = Xoshiro256StarStar(seed: 42)
        var model = try MLP(architecture: arch, rng: &rng)
        if c.parametrization != .ntk {
            // Biases start at zero in these parametrizations; move them off zero so their gradients are exercised.
            for l in 0..<model.biases.count { model.biases[l] = rng.normals(model.biases[l].count, std: 0.3) }
        }
        let x = Matrix<Double>.randomNormal(rows: 6, columns: 3, using: &rng)
        let y = Matrix<Double>.randomNormal(rows: 6, columns: 2, using: &rng)
        let analytic = try model.lossAndGradients(x, y).gradients.flat
        let theta = model.flatParameters
        var numeric = [Double](repeating: 0, count: theta.count)
        for i in 0..<theta.count {
            let h = 1e-5 * max(1, abs(theta[i]))
            var plus = theta, minus = theta
            plus[i] += h
            minus[i] -= h
            var mp = model, mm = model
            mp.setFlatParameters(plus)
            mm.setFlatParameters(minus)
            numeric[i] = (try mp.lossAndGradients(x, y).loss - mm.lossAndGradients(x, y).loss) / (2 * h)
        }
        let diff = zip(analytic, numeric).map { abs($0 - $1) }.max() ?? 0
        let scale = analytic.map(abs).max() ?? 1
        #expect(diff / scale < 1e-6, "max |analytic − numeric| = \(diff), max |gradient| = \(scale)")
    }

    @Test("the loss is 1/(2P) Σ‖f − y‖² (mean) or ½ Σ‖f − y‖² (sum)")
    func lossNormalization() throws {
        let f = try Matrix<Double>([[1, 2], [3, 4]]), y = try Matrix<Double>([[0, 2], [3, 2]])
        #expect(LossNormalization.mean.loss(f, y) == 0.5 * (1 + 4) / 2)
        #expect(LossNormalization.sum.loss(f, y) == 0.5 * (1 + 4))
    }

    @Test("initial scales follow the parametrization table")
    func initialization() throws {
        var rng = Xoshiro256StarStar(seed: 3)
        let wide = MLPArchitecture(inputDimension: 40, hidden: [200], outputs: 3, parametrization: .standard, initScale: 2)
        let m = try MLP(architecture: wide, rng: &rng)
        let std0 = (m.weights[0].frobeniusNorm / Double(m.weights[0].count).squareRoot())
        #expect(abs(std0 - 2 / 40.0.squareRoot()) < 0.05 * 2 / 40.0.squareRoot())
        var spectral = wide
        spectral.parametrization = .spectral
        let s = try MLP(architecture: spectral, rng: &rng)
        #expect(abs(try s.weights[0].spectralNorm() - 2 * (200.0 / 40).squareRoot()) < 1e-10)
        #expect(abs(try s.weights[1].spectralNorm() - 2 * (3.0 / 200).squareRoot()) < 1e-10)
        var mf = wide
        mf.parametrization = .meanfield
        mf.gamma0 = 0.5
        #expect(mf.scaling(layer: 1).weightMultiplier == 1 / (0.5 * 200))
        #expect(mf.scaling(layer: 0).weightLearningRate == 0.25 * 200)
        #expect(mf.scaling(layer: 0).biasMultiplier == 1)
        #expect(mf.scaling(layer: 1).biasMultiplier == 1 / (0.5 * 200.0.squareRoot()))
        #expect(mf.scaling(layer: 1).biasLearningRate == 0.25 * 200)
    }

    @Test("the forward pass of a two-layer linear network is aᵀWx in the standard parametrization")
    func linearForward() throws {
        let arch = MLPArchitecture(inputDimension: 2, hidden: [3], outputs: 1, activation: .linear, parametrization: .standard)
        let w = try Matrix<Double>([[1, 2], [0, 1], [-1, 1]]), a = try Matrix<Double>([[0.5, -1, 2]])
        let model = try MLP(architecture: arch, weights: [w, a])
        let x = try Matrix<Double>([[1, 1], [2, -1]])
        // Wx = [3, 1, 0] and [0, -1, -3]; aᵀ(Wx) = 1.5 − 1 + 0 and 0 + 1 − 6.
        let expected: [Double] = [0.5, -5]
        #expect(try model(x).elements == expected)
    }
}
