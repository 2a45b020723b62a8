import Foundation

/// Whether a training run shows silent alignment (`TimeScales.verdict`).
public enum SilentAlignmentVerdict: String, Sendable, CaseIterable {
    case holds, fails, inconclusive
}

/// The silent-alignment time scales of a training run and a verdict that tolerates the resolution of the
/// snapshot grid (Atanasov, Bordelon & Pehlevan 2022, "Neural networks as kernel learners: the silent alignment
/// effect": the tangent kernel evolves in eigenstructure while small and before the loss appreciably decreases,
/// then grows only in overall scale).
///
/// With A(t) the alignment of the kernel with the targets at the snapshot steps t_0 < … < t_T, ‖K(t)‖_F its norm
/// and L(t) the train loss at the logged steps:
///
/// - `alignmentInitial` = A(t_0), `alignmentMax` = max_t A(t), `alignmentFinal` = A(t_T),
///   `alignmentRise` = max_t A(t) − A(t_0): the alignment is measured relative to its own rise, so a kernel that
///   starts well aligned (raw anisotropic inputs) does not look "aligned from step 0";
/// - t_align: the first snapshot step with A(t) − A(t_0) ≥ `alignmentFraction`·(max A − A(t_0)) (default 0.9);
/// - t_norm: the first snapshot step with ‖K(t)‖_F ≥ `normFraction`·‖K(t_T)‖_F (default 0.1); `tNorm10` and
///   `tNorm90` are the same at the fractions 0.1 and 0.9;
/// - t_half: the first logged step with L(t) ≤ ½·L(first logged step).
///
/// Times are recorded steps (no interpolation), so they are only known to within one snapshot interval. The
/// verdict therefore counts snapshots: d(a, b) = #{snapshot steps ≤ b} − #{snapshot steps ≤ a}, the signed number
/// of snapshots from a to b. Silent alignment claims t_align < t_norm ≤ t_half. With m = `minSnapshots`
/// (default 2) and `minRise` (default 0.1):
///
/// 1. `inconclusive` when a time is missing (no snapshots, an undefined alignment, or a loss that never halves)
///    or when `alignmentRise` < `minRise` (the alignment barely moved: there is no alignment phase to time);
/// 2. else `holds` when d(t_align, t_norm) ≥ m, d(t_align, t_half) ≥ m and d(t_norm, t_half) ≥ 0;
/// 3. else `fails` when an ordering is clearly violated: d(t_align, t_norm) ≤ −m, d(t_align, t_half) ≤ −m or
///    d(t_norm, t_half) ≤ −m;
/// 4. else `inconclusive`: the times lie within m snapshots of each other, closer than the grid can order them.
///
/// `silentAlignment` is `verdict == .holds`.
public struct TimeScales: Sendable, Equatable {
    /// The snapshot steps the times refer to.
    public let steps: [Int]
    public let tAlign: Int?
    public let tNorm: Int?
    public let tHalf: Int?
    /// First snapshot steps with ‖K(t)‖_F ≥ 0.1·‖K(t_T)‖_F and ≥ 0.9·‖K(t_T)‖_F.
    public let tNorm10: Int?
    public let tNorm90: Int?
    /// A(t_0), max_t A(t), A(t_T) and max_t A(t) − A(t_0); nil without snapshots or when the alignment is
    /// undefined (NaN: a zero kernel or zero targets).
    public let alignmentInitial: Double?
    public let alignmentMax: Double?
    public let alignmentFinal: Double?
    public let alignmentRise: Double?
    /// d(t_align, t_norm), d(t_align, t_half), d(t_norm, t_half) (nil when a time is missing).
    public let snapshotsAlignToNorm: Int?
    public let snapshotsAlignToHalf: Int?
    public let snapshotsNormToHalf: Int?
    public let verdict: SilentAlignmentVerdict
    /// One sentence saying why.
    public let verdictReason: String

    public var silentAlignment: Bool { verdict == .holds }

    public init(steps: [Int], alignment: [Double], kernelNorms: [Double], lossSteps: [Int], losses: [Double],
                alignmentFraction: Double = 0.9, normFraction: Double = 0.1, minRise: Double = 0.1,
                minSnapshots: Int = 2) {
        self.steps = steps
        func first(_ values: [Double], reaching target: Double) -> Int? {
            zip(steps, values).first { $0.1 >= target }?.0
        }
        func normTime(_ fraction: Double) -> Int? { kernelNorms.last.flatMap { first(kernelNorms, reaching: fraction * $0) } }
        tNorm = normTime(normFraction)
        tNorm10 = normTime(0.1)
        tNorm90 = normTime(0.9)
        tHalf = losses.first.flatMap { initial in zip(lossSteps, losses).first { $0.1 <= 0.5 * initial }?.0 }

        let defined = !alignment.isEmpty && alignment.allSatisfy { !$0.isNaN }
        if defined, let a0 = alignment.first, let aT = alignment.last, let aMax = alignment.max() {
            alignmentInitial = a0
            alignmentMax = aMax
            alignmentFinal = aT
            alignmentRise = aMax - a0
            let target = alignmentFraction * (aMax - a0)
            tAlign = zip(steps, alignment).first { $0.1 - a0 >= target }?.0
        } else {
            (alignmentInitial, alignmentMax, alignmentFinal, alignmentRise, tAlign) = (nil, nil, nil, nil, nil)
        }

        func count(_ t: Int) -> Int { steps.filter { $0 <= t }.count }
        func d(_ a: Int?, _ b: Int?) -> Int? { a.flatMap { a in b.map { count($0) - count(a) } } }
        snapshotsAlignToNorm = d(tAlign, tNorm)
        snapshotsAlignToHalf = d(tAlign, tHalf)
        snapshotsNormToHalf = d(tNorm, tHalf)

        (verdict, verdictReason) = Self.judge(
            tAlign: tAlign, tNorm: tNorm, tHalf: tHalf, alignmentDefined: defined || alignment.isEmpty,
            initial: alignmentInitial, max: alignmentMax, rise: alignmentRise, minRise: minRise, m: minSnapshots,
            alignToNorm: snapshotsAlignToNorm, alignToHalf: snapshotsAlignToHalf, normToHalf: snapshotsNormToHalf)
    }

    /// d(a, b) = #{snapshot steps ≤ b} − #{snapshot steps ≤ a}: the signed number of snapshots from a to b.
    public func snapshotsBetween(_ a: Int, _ b: Int) -> Int {
        steps.filter { $0 <= b }.count - steps.filter { $0 <= a }.count
    }

    /// The index of the last snapshot whose step is ≤ `step` (nil when every snapshot is later).
    public func lastSnapshot(atOrBefore step: Int) -> Int? {
        steps.lastIndex { $0 <= step }
    }

    private static func judge(tAlign: Int?, tNorm: Int?, tHalf: Int?, alignmentDefined: Bool, initial: Double?,
                              max: Double?, rise: Double?, minRise: Double, m: Int,
                              alignToNorm: Int?, alignToHalf: Int?, normToHalf: Int?)
        -> (SilentAlignmentVerdict, String)
    {
        func f(_ x: Double) -> String { formatShort(x) }
        guard alignmentDefined else {
            return (.inconclusive, "The alignment is undefined at some snapshot (a zero kernel or zero targets), so t_align is missing.")
        }
        guard let a = tAlign, let n = tNorm else {
            return (.inconclusive, "There are no kernel snapshots, so t_align and t_norm are missing.")
        }
        guard let h = tHalf else {
            return (.inconclusive, "The train loss never fell to half its initial value, so t_half is missing.")
        }
        if let rise, let initial, let max, rise < minRise {
            return (.inconclusive, "The alignment rose by only \(f(rise)) (from \(f(initial)) to at most \(f(max))), "
                    + "less than min_rise = \(f(minRise)): there is no alignment phase to time.")
        }
        guard let an = alignToNorm, let ah = alignToHalf, let nh = normToHalf else {
            return (.inconclusive, "A time is missing.")  // unreachable: every time is known here
        }
        let times = "t_align = \(a), t_norm = \(n), t_half = \(h)"
        if an >= m, ah >= m, nh >= 0 {
            return (.holds, "\(times): the kernel aligned \(an) snapshots before its norm reached its threshold and "
                    + "\(ah) before the loss halved (at least min_snapshots = \(m)), and t_norm ≤ t_half.")
        }
        if an <= -m {
            return (.fails, "\(times): the kernel norm reached its threshold \(-an) snapshots before the kernel aligned "
                    + "(at least min_snapshots = \(m)), so the kernel grew before it aligned.")
        }
        if ah <= -m {
            return (.fails, "\(times): the loss halved \(-ah) snapshots before the kernel aligned (at least "
                    + "min_snapshots = \(m)), so the network fitted before its kernel aligned.")
        }
        if nh <= -m {
            return (.fails, "\(times): the loss halved \(-nh) snapshots before the kernel norm reached its threshold "
                    + "(at least min_snapshots = \(m)), so the loss fell while the kernel was still small.")
        }
        return (.inconclusive, "\(times): the snapshots from t_align to t_norm (\(an)), t_align to t_half (\(ah)) and "
                + "t_norm to t_half (\(nh)) are too close to order with min_snapshots = \(m).")
    }
}

/// A number with four significant digits, for messages.
private func formatShort(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    if x == 0 { return "0" }
    var s = String(format: "%.4g", x)
    if s.contains("e") { return s }
    if s.contains(".") {
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
    }
    return s
}
