import TangentCore

/// Seeded class assignments for synthetic classification tasks (class ids 0 ..< C).
public enum ClassLabels {
    /// Balanced labels: the sequence 0, 1, …, C−1, 0, 1, … of length P, shuffled by Fisher–Yates. Every class
    /// gets ⌊P/C⌋ or ⌈P/C⌉ samples (the first P mod C classes get one more).
    public static func balanced(count p: Int, classes c: Int, using rng: inout Xoshiro256StarStar) throws -> [Int] {
        try check(p, c)
        var labels = (0..<p).map { $0 % c }
        rng.shuffle(&labels)
        return labels
    }

    /// Independent labels, each uniform over 0 ..< C (`nextIndex(below: C)`). With C = 2 and the `plusminus`
    /// encoding these are random ±1 labels.
    public static func uniform(count p: Int, classes c: Int, using rng: inout Xoshiro256StarStar) throws -> [Int] {
        try check(p, c)
        return (0..<p).map { _ in rng.nextIndex(below: c) }
    }

    /// How many samples carry each class: counts[c].
    public static func counts(_ labels: [Int], classes c: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: c)
        for label in labels where label >= 0 && label < c { counts[label] += 1 }
        return counts
    }

    static func check(_ p: Int, _ c: Int) throws {
        guard p >= 0 else { throw NumericsError(.invalidArgument, "sample count must be ≥ 0, got \(p)") }
        guard c >= 1 else { throw NumericsError(.invalidArgument, "need at least one class, got \(c)") }
    }
}
