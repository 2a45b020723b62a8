import Foundation
import Testing
import TangentCore
@testable import TangentNTK

@Suite("Analysis: spectral metrics of weight matrices")
struct AnalysisSpectralTests {
    @Test("spectral parametrization: ‖W_l(0)‖_* = σ·√(fan_out/fan_in), so every spectral ratio is σ; ΔW = 0 at t = 0")
    func spectralInitialization() throws {
        var rng = Xoshiro256StarStar(seed: 21)
        let sigma = 1.3
        let arch = MLPArchitecture(inputDimension: 8, hidden: [32, 16], outputs: 3, parametrization: .spectral,
                                   initScale: sigma)
        let model = try MLP(architecture: arch, rng: &rng)
        let metrics = try model.spectralMetrics(relativeTo: model)
        #expect(metrics.count == 3)
        for (l, m) in metrics.enumerated() {
            #expect(abs(m.spectralRatio - sigma) < 1e-12, "layer \(l)")
            #expect(abs(m.spectral - sigma * m.scale) < 1e-12)
            #expect(m.deltaSpectral == 0 && m.deltaFrobenius == 0 && m.deltaSpectralRatio == 0)
            #expect(m.stableRank >= 1 - 1e-12 && m.stableRank <= Double(min(m.fanIn, m.fanOut)) + 1e-12)
            #expect(abs(m.frobenius - model.weights[l].frobeniusNorm) < 1e-15)
        }
        #expect(metrics.map(\.fanIn) == [8, 32, 16] && metrics.map(\.fanOut) == [32, 16, 3])
    }

    @Test("a rank-one update ΔW = u·vᵀ has spectral and Frobenius norm |u|·|v| and stable rank 1")
    func rankOne() throws {
        var rng = Xoshiro256StarStar(seed: 4)
        let u = Matrix<Double>.randomNormal(rows: 7, columns: 1, using: &rng)
        let v = Matrix<Double>.randomNormal(rows: 1, columns: 5, using: &rng)
        let outer = try u.matmul(v)
        let w0 = Matrix<Double>.randomNormal(rows: 7, columns: 5, using: &rng)
        var w = w0
        for i in 0..<w.elements.count { w.elements[i] += outer.elements[i] }
        let m = try LayerSpectralMetrics(weight: w, initial: w0)
        let norm = u.frobeniusNorm * v.frobeniusNorm
        #expect(abs(m.deltaSpectral - norm) < 1e-12 * norm)
        #expect(abs(m.deltaFrobenius - norm) < 1e-12 * norm)
        #expect(abs(m.deltaSpectralRatio - norm / (7.0 / 5.0).squareRoot()) < 1e-12 * norm)
        let alone = try LayerSpectralMetrics(weight: outer, initial: Matrix(rows: 7, columns: 5))
        #expect(abs(alone.stableRank - 1) < 1e-12)
        #expect(abs(alone.spectral - norm) < 1e-12 * norm)
    }

    @Test("the identity has stable rank n; the zero matrix has stable rank 0; shapes must match")
    func edges() throws {
        var identity = Matrix<Double>(rows: 4, columns: 4)
        for i in 0..<4 { identity[i, i] = 1 }
        let m = try LayerSpectralMetrics(weight: identity, initial: identity)
        #expect(abs(m.stableRank - 4) < 1e-12 && abs(m.spectral - 1) < 1e-12 && m.spectralRatio == m.spectral)
        #expect(try LayerSpectralMetrics(weight: Matrix(rows: 2, columns: 3), initial: Matrix(rows: 2, columns: 3)).stableRank == 0)
        #expect(throws: NumericsError.self) {
            try LayerSpectralMetrics(weight: Matrix(rows: 2, columns: 3), initial: Matrix(rows: 3, columns: 2))
        }
    }
}
