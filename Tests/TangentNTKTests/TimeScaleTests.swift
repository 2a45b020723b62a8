import Foundation
import Testing
import TangentCore
@testable import TangentNTK

@Suite("Time scales and loss phases")
struct TimeScaleTests {
    // Snapshot steps shared by the synthetic series below; d(a, b) counts these.
    static let steps = [0, 10, 20, 40, 80, 160, 320]
    static let norms = [1e-3, 1e-3, 2e-3, 5e-3, 0.05, 2, 10]           // ≥ 1 (10% of 10) first at 160, ≥ 9 at 320
    static let losses = [1.0, 1.0, 0.99, 0.98, 0.9, 0.4, 0.01]        // ≤ 0.5 first at 160

    func scales(alignment: [Double], norms: [Double] = norms, lossSteps: [Int] = steps, losses: [Double] = losses,
                minRise: Double = 0.1, minSnapshots: Int = 2) -> TimeScales {
        TimeScales(steps: Self.steps, alignment: alignment, kernelNorms: norms, lossSteps: lossSteps, losses: losses,
                   minRise: minRise, minSnapshots: minSnapshots)
    }

    @Test("t_align is measured from A(0) relative to the rise; t_norm, t_norm_10/90 and t_half are first crossings")
    func times() {
        // A(0) = 0.1, max 1.0: rise 0.9, threshold A − A(0) ≥ 0.81, i.e. A ≥ 0.91: first at step 20. The old rule
        // (A ≥ 0.9·A(T)) would give the same here; the raw-input case below is where they differ.
        let t = scales(alignment: [0.1, 0.5, 0.95, 0.99, 1.0, 1.0, 0.98])
        #expect(t.tAlign == 20 && t.tNorm == 160 && t.tHalf == 160)
        #expect(t.tNorm10 == 160 && t.tNorm90 == 320)
        #expect(t.alignmentInitial == 0.1 && t.alignmentMax == 1.0 && t.alignmentFinal == 0.98)
        #expect(abs(t.alignmentRise! - 0.9) < 1e-15)
        // d(20, 160) = #{≤ 160} − #{≤ 20} = 6 − 3.
        #expect(t.snapshotsAlignToNorm == 3 && t.snapshotsAlignToHalf == 3 && t.snapshotsNormToHalf == 0)
        #expect(t.snapshotsBetween(160, 20) == -3 && t.snapshotsBetween(15, 25) == 1 && t.snapshotsBetween(0, 0) == 0)
        #expect(t.lastSnapshot(atOrBefore: 100) == 4 && t.lastSnapshot(atOrBefore: 0) == 0)
        // A high start with a small rise: the first value past 90% of the rise, not "aligned from step 0".
        let raw = scales(alignment: [0.92, 0.92, 0.93, 0.95, 0.99, 1.0, 1.0])  // rise 0.08: A − 0.92 ≥ 0.072 at 160
        #expect(raw.tAlign == 160 && raw.verdict == .inconclusive)
        // t_half on a denser log grid between snapshots: 100 lies after 5 snapshots.
        let dense = scales(alignment: [0.1, 0.5, 0.95, 0.99, 1.0, 1.0, 1.0], lossSteps: [0, 10, 20, 40, 80, 100, 160, 320],
                           losses: [1, 1, 0.99, 0.98, 0.9, 0.5, 0.3, 0.01])
        #expect(dense.tHalf == 100 && dense.snapshotsNormToHalf == -1 && dense.snapshotsAlignToHalf == 2)
    }

    @Test("holds: the kernel aligns ≥ m snapshots before its norm grows and the loss halves, and t_norm ≤ t_half")
    func holds() {
        let t = scales(alignment: [0.1, 0.5, 0.95, 0.99, 1.0, 1.0, 1.0])
        #expect(t.verdict == .holds && t.silentAlignment)
        #expect(t.verdictReason.contains("t_align = 20") && t.verdictReason.hasSuffix("."))
    }

    @Test("a run whose times differ by one snapshot gives inconclusive; with m = 1 it holds")
    func oneSnapshotApart() {
        // t_align = 80, t_norm = t_half = 160: d(t_align, t_norm) = 1 < m = 2, and no ordering is violated.
        let alignment = [0.1, 0.1, 0.12, 0.2, 0.95, 1.0, 1.0]
        let t = scales(alignment: alignment)
        #expect(t.tAlign == 80 && t.snapshotsAlignToNorm == 1)
        #expect(t.verdict == .inconclusive && !t.silentAlignment)
        #expect(t.verdictReason.contains("too close"))
        #expect(scales(alignment: alignment, minSnapshots: 1).verdict == .holds)
        // One snapshot the wrong way round is not a clear violation either.
        let reversed = scales(alignment: [0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 1.0])       // t_align = 320, t_norm = 160
        #expect(reversed.snapshotsAlignToNorm == -1 && reversed.verdict == .inconclusive)
        #expect(scales(alignment: [0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 1.0], minSnapshots: 1).verdict == .fails)
    }

    @Test("rise below min_rise gives inconclusive whatever the ordering")
    func smallRise() {
        let alignment = [0.9, 0.94, 0.96, 0.96, 0.96, 0.96, 0.96]                 // rise 0.06, t_align = 20
        let t = scales(alignment: alignment)
        #expect(t.tAlign == 20 && t.verdict == .inconclusive)
        #expect(t.verdictReason.contains("min_rise = 0.1") && t.verdictReason.contains("0.06"))
        // Judged on its times once the threshold is below the rise.
        #expect(scales(alignment: alignment, minRise: 0.05).verdict == .holds)
    }

    @Test("fails: an ordering violated by at least m snapshots (norm before alignment, loss before alignment or norm)")
    func fails() {
        // The norm reaches 10% at 20 but the alignment only at 320: d(t_align, t_norm) = 3 − 7 = −4.
        let early = scales(alignment: [0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 1.0], norms: [1e-3, 0.5, 2, 5, 8, 9, 10])
        #expect(early.tNorm == 20 && early.snapshotsAlignToNorm == -4 && early.verdict == .fails)
        #expect(early.verdictReason.contains("grew before it aligned"))
        // The loss halves at 10 but the kernel aligns at 80 (t_norm = 160): d(t_align, t_half) = 2 − 5 = −3.
        let fitted = scales(alignment: [0.1, 0.1, 0.12, 0.2, 0.95, 1.0, 1.0], losses: [1, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01])
        #expect(fitted.snapshotsAlignToNorm == 1 && fitted.snapshotsAlignToHalf == -3 && fitted.verdict == .fails)
        #expect(fitted.verdictReason.contains("loss halved"))
        // Aligned early, but the loss halves (at 20) three snapshots before the norm grows (at 160).
        let small = scales(alignment: [0.1, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0], losses: [1, 0.9, 0.5, 0.4, 0.3, 0.2, 0.01])
        #expect(small.tAlign == 10 && small.snapshotsAlignToHalf == 1 && small.snapshotsNormToHalf == -3)
        #expect(small.verdict == .fails && small.verdictReason.contains("still small"))
    }

    @Test("missing times give inconclusive: a loss that never halves, no snapshots, an undefined alignment")
    func missing() {
        let t = scales(alignment: [0.1, 0.5, 0.95, 0.99, 1.0, 1.0, 1.0], losses: [1, 1, 1, 0.9, 0.8, 0.7, 0.6])
        #expect(t.tHalf == nil && t.snapshotsAlignToHalf == nil && t.verdict == .inconclusive)
        #expect(t.verdictReason.contains("never fell to half"))
        let empty = TimeScales(steps: [], alignment: [], kernelNorms: [], lossSteps: [0, 1], losses: [1, 0.1])
        #expect(empty.tAlign == nil && empty.tNorm == nil && empty.verdict == .inconclusive)
        let zero = scales(alignment: [.nan, 0.5, 0.95, 0.99, 1.0, 1.0, 1.0])
        #expect(zero.tAlign == nil && zero.alignmentRise == nil && zero.verdict == .inconclusive)
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
