import TangentCore

/// Noise on targets.
///
/// - Regression: y ← y + σ·ε with ε ~ N(0, 1) independent for every entry (drawn row by row), σ = `std`.
/// - Classification: exactly m = round(ρ·P) samples (ρ the fraction, rounding half away from zero) are chosen
///   uniformly without replacement (the first m positions of a Fisher–Yates shuffle of 0 ..< P), and each gets a
///   new class drawn uniformly among the other C − 1 classes; the targets are then re-encoded from the new labels.
public enum LabelNoise {
    /// Y + σ·E, E standard normal (P × C).
    public static func addGaussian(to y: Matrix<Double>, std: Double, using rng: inout Xoshiro256StarStar) throws -> Matrix<Double> {
        guard std.isFinite, std >= 0 else {
            throw NumericsError(.invalidArgument, "label noise standard deviation must be finite and ≥ 0, got \(std)")
        }
        var out = y
        for i in 0..<out.elements.count { out.elements[i] += std * rng.nextNormal() }
        return out
    }

    /// Labels with round(ρ·P) of them moved to another class; also returns the flipped positions (sorted).
    public static func flip(_ labels: [Int], fraction: Double, classes c: Int,
                            using rng: inout Xoshiro256StarStar) throws -> (labels: [Int], flipped: [Int]) {
        guard fraction.isFinite, fraction >= 0, fraction <= 1 else {
            throw NumericsError(.invalidArgument, "the fraction of flipped labels must be in [0, 1], got \(fraction)")
        }
        guard c >= 2 else { throw NumericsError(.invalidArgument, "flipping labels needs at least 2 classes, got \(c)") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= c }) {
            throw NumericsError(.invalidArgument, "class id \(bad) is outside 0..<\(c)")
        }
        let m = Int((fraction * Double(labels.count)).rounded(.toNearestOrAwayFromZero))
        guard m > 0 else { return (labels, []) }
        // Partial Fisher–Yates: the first m entries of a uniform permutation.
        var order = Array(0..<labels.count)
        for i in 0..<m { order.swapAt(i, i + rng.nextIndex(below: labels.count - i)) }
        var out = labels
        let chosen = order[0..<m].sorted()
        for i in chosen {
            let shift = 1 + rng.nextIndex(below: c - 1)  // 1 … C−1: every other class equally likely
            out[i] = (labels[i] + shift) % c
        }
        return (out, chosen)
    }
}
