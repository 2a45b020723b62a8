import Foundation
import Testing
import TangentCore
@testable import TangentNTK

/// Coordinate-check metrics and time scales against tools/coordcheck_timescales_reference.py (numpy).
@Suite("Coordinate-check metrics and time scales match numpy")
struct AnalysisReferenceTests {
    struct Expected: Decodable {
        let rms: [Double]
        let rms_delta: [Double]
        let exponent: Double
        let t_align: Int
        let t_norm: Int
        let t_half: Int
        let alignment: [Double]
    }

    func load() throws -> ([String: NPYArray], Expected) {
        let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let arrays = try NPZ.read(contentsOf: folder.appendingPathComponent("coordcheck_timescales.npz"))
        let expected = try JSONDecoder().decode(Expected.self,
                                                from: Data(contentsOf: folder.appendingPathComponent("coordcheck_timescales_expected.json")))
        return (arrays, expected)
    }

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }

    @Test("RMS of h_l and Δh_l and the fitted width exponent")
    func coordinateCheck() throws {
        let (arrays, expected) = try load()
        let arch = MLPArchitecture(inputDimension: 4, hidden: [6, 5], outputs: 2, activation: .tanh, parametrization: .standard)
        func model(_ prefix: String) throws -> MLP {
            try MLP(architecture: arch, weights: (0..<3).map { try Matrix<Double>(arrays["\(prefix)_W\($0)"]!) })
        }
        let x = try Matrix<Double>(arrays["x"]!)
        let h0 = try model("init").preactivations(x), h1 = try model("later").preactivations(x)
        for l in 0..<3 {
            #expect(close(rootMeanSquare(h1[l]), expected.rms[l]), "layer \(l)")
            #expect(close(rootMeanSquare(h1[l] - h0[l]), expected.rms_delta[l]), "layer \(l)")
        }
        let exponent = try fittedWidthExponent(widths: arrays["fit_widths"]!.asDoubles(), values: arrays["fit_values"]!.asDoubles())
        #expect(close(exponent, expected.exponent))
    }

    @Test("t_align, t_norm, t_half and the alignment series")
    func timeScales() throws {
        let (arrays, expected) = try load()
        let stacked = arrays["kernels"]!, n = stacked.shape[1]
        let values = stacked.asDoubles()
        let kernels = try (0..<stacked.shape[0]).map {
            try Matrix<Double>(rows: n, columns: n, elements: Array(values[$0 * n * n..<($0 + 1) * n * n]))
        }
        let y = try Matrix<Double>(arrays["y"]!)
        let alignment = try kernels.map { try kernelAlignment($0, y) }
        for (a, b) in zip(alignment, expected.alignment) { #expect(close(a, b)) }
        let steps = arrays["steps"]!.asDoubles().map { Int($0) }
        let t = TimeScales(steps: steps, alignment: alignment, kernelNorms: kernels.map(\.frobeniusNorm),
                           lossSteps: steps, losses: arrays["losses"]!.asDoubles())
        #expect(t.tAlign == expected.t_align && t.tNorm == expected.t_norm && t.tHalf == expected.t_half)
        #expect(t.silentAlignment == (expected.t_align < expected.t_norm && expected.t_norm <= expected.t_half))
    }
}
