import Foundation
import Testing
import TangentCore
@testable import TangentNTK

@Suite("Time scales and loss phases")
struct TimeScaleTests {
    @Test("t_align, t_norm and t_half are the first recorded steps past their thresholds; the verdict follows")
    func timescales() {
        let steps = [0, 10, 20, 40, 80, 160]
        let alignment = [0.1, 0.5, 0.95, 0.99, 1.0, 1.0]          // ≥ 0.9 first at 20
        let norms = [0.001, 0.001, 0.002, 0.05, 5, 10]             // ≥ 1 (10% of 10) first at 80
        let losses = [1.0, 1.0, 0.99, 0.9, 0.4, 0.01]              // ≤ 0.5 first at 80
        let t = TimeScales(steps: steps, alignment: alignment, kernelNorms: norms, lossSteps: steps, losses: losses)
        #expect(t.tAlign == 20 && t.tNorm == 80 && t.tHalf == 80)
        #expect(t.silentAlignment)
        let late = TimeScales(steps: steps, alignment: [0.1, 0.1, 0.1, 0.1, 0.2, 1.0], kernelNorms: norms,
                              lossSteps: steps, losses: losses)
        #expect(late.tAlign == 160 && !late.silentAlignment)
    }

    @Test("an exact power law is fitted with R² = 1; an earlier fast phase ends where the power law takes over")
    func powerLaw() throws {
        let steps = (0...60).map { Int(pow(10, Double($0) / 15).rounded()) }
        let pure = steps.map { 3 * pow(Double(max($0, 1)), -0.7) }
        let fit = try PowerLawFit(steps: steps, losses: pure)
        #expect(abs(fit.alpha - 0.7) < 1e-12 && abs(fit.coefficient - 3) < 1e-10 && abs(fit.rSquared - 1) < 1e-12)
        // Before step 100 the loss is far above the late power law (a slow plateau, then a fast drop).
        let phased = zip(steps, pure).map { $0.0 < 100 ? 50 * $0.1 : $0.1 }
        let fit2 = try PowerLawFit(steps: steps, losses: phased)
        #expect(abs(fit2.alpha - 0.7) < 1e-12)
        #expect(fit2.fastPhaseEnd == steps.first { $0 >= 100 })
        #expect(throws: NumericsError.self) { try PowerLawFit(steps: [1, 2], losses: [1, 0.5]) }
    }
}
