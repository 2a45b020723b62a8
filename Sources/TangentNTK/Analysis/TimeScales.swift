/// The silent-alignment time scales of a training run (PAPERS.md §5):
///
/// - t_align: the first snapshot step at which A(t) ≥ `alignmentFraction`·A(T) (default 0.9), A the alignment;
/// - t_norm: the first snapshot step at which ‖K(t)‖_F ≥ `normFraction`·‖K(T)‖_F (default 0.1);
/// - t_half: the first logged step at which the train loss is ≤ half its initial value;
/// - silent alignment holds when t_align < t_norm ≤ t_half.
///
/// Times are the recorded steps themselves (no interpolation), so their resolution is the snapshot spacing.
public struct TimeScales: Sendable, Equatable {
    public var tAlign: Int?
    public var tNorm: Int?
    public var tHalf: Int?

    public var silentAlignment: Bool {
        guard let a = tAlign, let n = tNorm, let h = tHalf else { return false }
        return a < n && n <= h
    }

    public init(steps: [Int], alignment: [Double], kernelNorms: [Double], lossSteps: [Int], losses: [Double],
                alignmentFraction: Double = 0.9, normFraction: Double = 0.1) {
        func first(_ values: [Double], reaching target: Double) -> Int? {
            zip(steps, values).first { $0.1 >= target }?.0
        }
        tAlign = alignment.last.flatMap { first(alignment, reaching: alignmentFraction * $0) }
        tNorm = kernelNorms.last.flatMap { first(kernelNorms, reaching: normFraction * $0) }
        tHalf = losses.first.flatMap { initial in zip(lossSteps, losses).first { $0.1 <= 0.5 * initial }?.0 }
    }
}
