import TangentCore

/// How class ids become regression targets.
///
/// - `onehot`: C columns, 1 for the class and 0 elsewhere.
/// - `plusminus`: ±1. With two classes a single column (+1 for the second class, −1 for the first, as in the
///   papers' binary tasks); with more, C columns of +1 for the class and −1 elsewhere.
/// - `zeroone`: 0/1. With two classes a single column (1 for the second class); with more, the same as `onehot`.
public enum TargetEncoding: String, Sendable, CaseIterable {
    case onehot, plusminus, zeroone

    /// Target columns for `classCount` classes: 1 for two classes with plusminus or zeroone, else classCount.
    public func columns(classCount: Int) -> Int { classCount == 2 && self != .onehot ? 1 : classCount }

    /// Encodes `labels`, which index into `classes` (0 ..< classCount).
    public func encode(_ labels: [Int], classCount: Int) throws -> Matrix<Double> {
        guard classCount >= 1 else { throw NumericsError(.invalidArgument, "need at least one class, got \(classCount)") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
            throw NumericsError(.invalidArgument, "class index \(bad) is outside 0..<\(classCount)")
        }
        let columns = columns(classCount: classCount)
        let binary = columns == 1 && classCount == 2
        let (on, off): (Double, Double) = self == .plusminus ? (1, -1) : (1, 0)
        var y = Matrix<Double>(rows: labels.count, columns: columns, repeating: off)
        for (i, label) in labels.enumerated() {
            if binary {
                y[i, 0] = label == 1 ? on : off
            } else {
                y[i, label] = on
            }
        }
        return y
    }
}
