import TangentCore

/// Seeded random draws the synthetic-data generators share: bounded integers, permutations and orthonormal frames.
extension Xoshiro256StarStar {
    /// A uniform integer in 0 ..< n (n ≥ 1), exactly unbiased: 64-bit draws r are rejected while
    /// r < (2⁶⁴ − n) mod n, and the result is r mod n.
    public mutating func nextIndex(below n: Int) -> Int {
        precondition(n >= 1, "nextIndex(below:) needs n ≥ 1")
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let r = next()
            if r >= threshold { return Int(r % bound) }
        }
    }

    /// Shuffles `values` in place by Fisher–Yates: for i = n−1 down to 1, swap element i with element
    /// `nextIndex(below: i + 1)`.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, nextIndex(below: i + 1))
        }
    }
}

/// Haar-random orthonormal frames.
///
/// `columns(rows: n, columns: k)` returns Q (n × k, k ≤ n) with QᵀQ = I_k: draw k Gaussian vectors g_j ~ N(0, I_n)
/// one after another (n normals each), then orthonormalize them in order by modified Gram–Schmidt, applied twice
/// for accuracy. Q is the Q factor of G = Q·R with a positive diagonal R, which is Haar-distributed on the Stiefel
/// manifold; in particular the first column is g₁/|g₁|, a uniform unit vector.
public enum RandomOrthonormal {
    public static func columns(rows n: Int, columns k: Int, using rng: inout Xoshiro256StarStar) throws -> Matrix<Double> {
        guard n >= 0, k >= 0, k <= n else {
            throw NumericsError(.invalidArgument,
                                "an n × k orthonormal frame needs 0 ≤ k ≤ n, got n = \(n), k = \(k)")
        }
        var vectors: [[Double]] = []
        vectors.reserveCapacity(k)
        for j in 0..<k {
            var v: [Double] = rng.normals(n)
            let original = norm(v)
            for _ in 0..<2 {
                for q in vectors {
                    let d = dot(q, v)
                    for i in 0..<n { v[i] -= d * q[i] }
                }
            }
            let length = norm(v)
            // A Gaussian vector lies in the span of the previous ones with probability zero.
            guard length > 1e-10 * original, length > 0 else {
                throw NumericsError(.noConvergence, "random orthonormal frame: column \(j) is degenerate; try another seed")
            }
            vectors.append(v.map { $0 / length })
        }
        return Matrix(rows: n, columns: k) { i, j in vectors[j][i] }
    }

    /// Rows instead of columns: k × n with orthonormal rows (the transpose of `columns(rows: n, columns: k)`).
    public static func rows(_ k: Int, columns n: Int, using rng: inout Xoshiro256StarStar) throws -> Matrix<Double> {
        try columns(rows: n, columns: k, using: &rng).transposed
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }

    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
}
