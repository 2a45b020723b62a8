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
        let timescales: Times
        let kernel_cosine_half_final: Double
        let verdict_cases: [Case]
    }

    struct Times: Decodable {
        let t_align: Int?
        let t_norm: Int?
        let t_norm_10: Int?
        let t_norm_90: Int?
        let t_half: Int?
        let alignment_rise: Double
        let snapshots_align_to_norm: Int?
        let snapshots_align_to_half: Int?
        let snapshots_norm_to_half: Int?
        let verdict: String
    }

    struct Case: Decodable {
        let steps: [Int]
        let alignment: [Double]
        let norms: [Double]
        let loss_steps: [Int]
        let losses: [Double]
        let min_snapshots: Int
        let expected: Times
    }

    func matches(_ t: TimeScales, _ e: Times) -> Bool {
        t.tAlign == e.t_align && t.tNorm == e.t_norm && t.tNorm10 == e.t_norm_10 && t.tNorm90 == e.t_norm_90
            && t.tHalf == e.t_half && close(t.alignmentRise ?? .nan, e.alignment_rise)
            && t.snapshotsAlignToNorm == e.snapshots_align_to_norm && t.snapshotsAlignToHalf == e.snapshots_align_to_half
            && t.snapshotsNormToHalf == e.snapshots_norm_to_half && t.verdict.rawValue == e.verdict
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

    @Test("t_align, t_norm, t_half, the d values, the verdict and the alignment series")
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
        #expect(matches(t, expected.timescales), "\(t)")
        let half = try #require(t.tHalf)
        let h = try #require(t.lastSnapshot(atOrBefore: half))
        #expect(close(kernelCosine(kernels[h], kernels[kernels.count - 1]), expected.kernel_cosine_half_final))
    }

    @Test("the verdict rule agrees with numpy on random sigmoidal runs (every verdict occurs)")
    func verdictCases() throws {
        let (_, expected) = try load()
        var seen: Set<String> = []
        for (i, c) in expected.verdict_cases.enumerated() {
            let t = TimeScales(steps: c.steps, alignment: c.alignment, kernelNorms: c.norms, lossSteps: c.loss_steps,
                               losses: c.losses, minSnapshots: c.min_snapshots)
            #expect(matches(t, c.expected), "case \(i): \(t)")
            seen.insert(c.expected.verdict)
        }
        #expect(seen == ["holds", "fails", "inconclusive"])
    }
}
