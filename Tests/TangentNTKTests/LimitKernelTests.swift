import Foundation
import Testing
import TangentCore
@testable import TangentNTK

@Suite("Infinite-width NNGP and NTK: neural-tangents, wide random networks")
struct LimitKernelTests {
    func fixtures() throws -> [String: NPYArray] {
        let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        return try NPZ.read(contentsOf: folder.appendingPathComponent("nt_limit_kernels.npz"))
    }

    struct Case: CustomStringConvertible, Sendable {
        var activation: Activation, depth: Int, weightStd: Double, biasStd: Double
        var key: String { "\(activation.rawValue)_d\(depth)_w\(weightStd)_b\(biasStd)" }
        var description: String { key }
        var architecture: LimitArchitecture { LimitArchitecture(depth: depth, activation: activation, weightStd: weightStd, biasStd: biasStd) }
    }

    static let ntCases: [Case] = [Activation.linear, .relu, .erf].flatMap { act in
        (1...3).flatMap { depth in [(1.0, 0.0), (1.5, 0.3)].map { Case(activation: act, depth: depth, weightStd: $0.0, biasStd: $0.1) } }
    }

    @Test("kernel.nngp and kernel.ntk_limit equal neural-tangents' kernel_fn (stored fixtures)", arguments: ntCases)
    func neuralTangents(_ c: Case) throws {
        let arrays = try fixtures()
        let x = try Matrix<Double>(arrays["x_train"]!), xt = try Matrix<Double>(arrays["x_test"]!)
        let train = try infiniteWidthKernels(x, x, architecture: c.architecture)
        let test = try infiniteWidthKernels(xt, x, architecture: c.architecture)
        // neural-tangents takes θ = arccos(cos θ) near θ = 0, where one rounding bit of cos θ gives θ ≈ 1e-8: its
        // relu NTK diagonals are off by up to ~2e-9 relative (tools/nt_limit_fixtures.py checks this against numpy).
        let tolerance = c.activation == .relu ? 1e-8 : 1e-12
        for (name, mine) in [("nngp_train", train.nngp), ("ntk_train", train.ntk), ("nngp_test", test.nngp), ("ntk_test", test.ntk)] {
            let reference = try Matrix<Double>(arrays["\(c.key)_\(name)"]!)
            #expect(mine.relativeDifference(to: reference) < tolerance, "\(c.key) \(name): \(mine.relativeDifference(to: reference))")
        }
    }

    static let wideCases: [Case] = [
        Case(activation: .relu, depth: 2, weightStd: 1.5, biasStd: 0.3),
        Case(activation: .erf, depth: 1, weightStd: 1.0, biasStd: 0.0),
        Case(activation: .linear, depth: 2, weightStd: 1.0, biasStd: 0.5),
    ]

    /// Wide random `ntk`-parametrized networks (width 4096, S = 4 draws): the mean of the readout's feature kernel
    /// σ_w²·x_L·x_L'/n + σ_b² and of the empirical NTK approach K and Θ with O(1/√(nS)) fluctuations. The tolerance
    /// is 4 standard errors (estimated from the spread of the S draws, summed over entries in Frobenius norm)
    /// plus an O(L/n) finite-width bias.
    @Test("the limits equal Monte-Carlo averages over wide random networks", arguments: wideCases)
    func wideNetworks(_ c: Case) throws {
        let width = 4096, draws = 4
        var rng = Xoshiro256StarStar(seed: 71)
        let x = Matrix<Double>.randomNormal(rows: 6, columns: 5, using: &rng)
        let limit = try infiniteWidthKernels(x, x, architecture: c.architecture)
        var features: [Matrix<Double>] = [], ntks: [Matrix<Double>] = []
        for _ in 0..<draws {
            let arch = MLPArchitecture(inputDimension: 5, hidden: Array(repeating: width, count: c.depth), outputs: 1,
                                       activation: c.activation, bias: true, parametrization: .ntk,
                                       initScale: c.weightStd, biasScale: c.biasStd)
            let model = try MLP(architecture: arch, rng: &rng)
            let last = try model.forward(x, keepDerivatives: false).inputs[c.depth]
            var feature = try last.matmul(last, transposeOther: true, alpha: c.weightStd * c.weightStd / Double(width))
            for i in feature.elements.indices { feature.elements[i] += c.biasStd * c.biasStd }
            features.append(feature)
            let ntk: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x)
            ntks.append(ntk.heads[0])
        }
        for (name, samples, reference) in [("NNGP", features, limit.nngp), ("NTK", ntks, limit.ntk)] {
            let mean = (1.0 / Double(draws)) * samples.dropFirst().reduce(samples[0], +)
            var variance = 0.0
            for s in samples { let d = s - mean; variance += d.frobeniusInner(d) / Double(draws - 1) }
            let standardError = (variance / Double(draws)).squareRoot()
            let bias = Double(c.depth + 1) / Double(width) * reference.frobeniusNorm
            let error = (mean - reference).frobeniusNorm
            #expect(error <= 4 * standardError + bias, "\(c) \(name): error \(error), standard error \(standardError)")
            #expect(error / reference.frobeniusNorm < 0.05, "\(c) \(name): relative error \(error / reference.frobeniusNorm)")
        }
    }

    @Test("an unsupported activation or depth 0 is refused with a clear error")
    func refusals() throws {
        let x = Matrix<Double>.identity(3)
        #expect(throws: TangentError.self) { try infiniteWidthKernels(x, x, architecture: LimitArchitecture(depth: 1, activation: .tanh)) }
        #expect(throws: TangentError.self) { try infiniteWidthKernels(x, x, architecture: LimitArchitecture(depth: 0, activation: .relu)) }
    }
}
