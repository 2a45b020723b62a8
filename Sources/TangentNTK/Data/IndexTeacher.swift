import TangentCore

/// Single- and multi-index targets: y = s·(1/√K)·Σ_{k=1}^{K} g(w_kᵀx).
///
/// The K directions w_k (rows of W, K × D, K ≤ D) are orthonormal and Haar-random
/// (`RandomOrthonormal.rows(K, columns: D)`); g is an `Activation`. K = 1 is the single-index model
/// y = s·g(wᵀx) with w = g₀/|g₀| a uniform unit vector. No normalization beyond 1/√K: with isotropic inputs
/// each w_kᵀx ~ N(0, 1) and the K terms are independent.
public struct IndexTeacher: Sendable, Equatable {
    /// W (K × D), orthonormal rows.
    public let directions: Matrix<Double>
    public let activation: Activation
    /// s
    public let scale: Double

    public init(directions: Matrix<Double>, activation: Activation, scale: Double) {
        self.directions = directions
        self.activation = activation
        self.scale = scale
    }

    public static func random(inputDimension d: Int, indices k: Int, activation: Activation, scale s: Double = 1,
                              using rng: inout Xoshiro256StarStar) throws -> IndexTeacher {
        guard k >= 1, k <= d else {
            throw NumericsError(.invalidArgument, "an index teacher needs 1 ≤ K ≤ D orthonormal directions, got K = \(k), D = \(d)")
        }
        guard s.isFinite else { throw NumericsError(.invalidArgument, "teacher scale must be finite, got \(s)") }
        return IndexTeacher(directions: try RandomOrthonormal.rows(k, columns: d, using: &rng), activation: activation, scale: s)
    }

    /// K
    public var indices: Int { directions.rows }

    /// y for the rows of X (P × D): P × 1.
    public func callAsFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
        guard x.columns == directions.columns else {
            throw NumericsError(.shapeMismatch, "inputs have \(x.columns) features but the teacher expects \(directions.columns)")
        }
        let z = try x.matmul(directions, transposeOther: true)  // P × K, z_μk = w_kᵀx_μ
        let factor = scale / Double(indices).squareRoot()
        return Matrix(rows: x.rows, columns: 1) { i, _ in
            var sum = 0.0
            for k in 0..<indices { sum += activation.apply(z[i, k]) }
            return factor * sum
        }
    }
}
