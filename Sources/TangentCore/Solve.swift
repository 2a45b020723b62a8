/// How `choleskySolve` regularizes a matrix that is not numerically positive definite.
///
/// The first attempt factors A as given. If POTRF fails, A + δ·I is tried with
/// δ = `initialRelative`·(tr A / n), then δ multiplied by `growth` each retry, while δ ≤ `maxRelative`·(tr A / n).
/// If that still fails the solve throws `notPositiveDefinite`. The δ used is reported in the result.
public struct JitterPolicy: Sendable, Equatable {
    public var initialRelative: Double
    public var maxRelative: Double
    public var growth: Double

    public init(initialRelative: Double, maxRelative: Double, growth: Double = 10) {
        self.initialRelative = initialRelative
        self.maxRelative = maxRelative
        self.growth = growth
    }

    /// 1e-12 … 1e-4 relative for float64, 1e-6 … 1e-2 for float32.
    public static func standard<Scalar: TangentScalar>(for _: Scalar.Type) -> JitterPolicy {
        Scalar.self == Float.self ? JitterPolicy(initialRelative: 1e-6, maxRelative: 1e-2)
                                  : JitterPolicy(initialRelative: 1e-12, maxRelative: 1e-4)
    }

    /// Never add jitter: fail on the first non-positive-definite factorization.
    public static let none = JitterPolicy(initialRelative: 0, maxRelative: 0)
}

/// The solution X of A·X = B and the diagonal jitter δ that was added to A (0 when none was needed).
public struct CholeskySolution<Scalar: TangentScalar>: Sendable {
    public let solution: Matrix<Scalar>
    public let jitter: Double
}

/// The minimum-norm least-squares solution of A·X ≈ B, with A's effective rank and singular values.
public struct LeastSquaresSolution<Scalar: TangentScalar>: Sendable {
    public let solution: Matrix<Scalar>
    public let rank: Int
    public let singularValues: [Scalar]
}

extension Matrix {
    /// Solves A·X = B for symmetric positive definite A (self) by Cholesky (POTRF + POTRS), adding diagonal
    /// jitter per `jitter` when A is only semi-definite numerically. Only the upper triangle of A is read.
    public func choleskySolve(_ b: Matrix, jitter: JitterPolicy = .standard(for: Scalar.self)) throws
        -> CholeskySolution<Scalar>
    {
        guard isSquare else {
            throw NumericsError(.shapeMismatch, "choleskySolve needs a square matrix, got \(rows)×\(columns)")
        }
        guard b.rows == rows else {
            throw NumericsError(.shapeMismatch,
                                "choleskySolve: right-hand side has \(b.rows) rows but the matrix is \(rows)×\(rows)")
        }
        try Matrix.checkInterface(rows, b.columns)
        try checkFinite("the matrix passed to choleskySolve")
        try b.checkFinite("the right-hand side passed to choleskySolve")
        let n = rows
        if n == 0 || b.columns == 0 { return CholeskySolution(solution: b, jitter: 0) }
        let scale = Swift.max(Double(trace) / Double(n), Double(Scalar.leastNormalMagnitude))
        var delta = 0.0
        var nextRelative = jitter.initialRelative
        while true {
            var factor = elements
            if delta > 0 { for i in 0..<n { factor[i * n + i] += Scalar(delta) } }
            let info = Scalar._potrf(n: n, a: &factor)
            if info == 0 {
                var x = b
                let solveInfo = Scalar._potrs(n: n, nrhs: b.columns, a: factor, b: &x.elements_)
                guard solveInfo == 0 else { throw NumericsError(.lapackArgument, "POTRS failed (info \(solveInfo))") }
                return CholeskySolution(solution: x, jitter: delta)
            }
            guard info > 0 else { throw NumericsError(.lapackArgument, "POTRF rejected argument \(-info)") }
            guard nextRelative > 0, nextRelative <= jitter.maxRelative else {
                throw NumericsError(
                    .notPositiveDefinite,
                    "the \(n)×\(n) matrix is not positive definite (leading minor \(info) fails)"
                        + (delta > 0 ? " even with diagonal jitter \(delta)" : "")
                        + "; add a ridge, or use leastSquares for a rank-deficient system")
            }
            delta = nextRelative * scale
            nextRelative *= jitter.growth
        }
    }

    /// The minimum-norm solution of min ‖A·X − B‖_F (LAPACK GELSD, SVD-based). Singular values below
    /// `rcond`·σ_max count as zero; the default rcond is ε·max(m, n), as in numpy.linalg.lstsq.
    public func leastSquares(_ b: Matrix, rcond: Double? = nil) throws -> LeastSquaresSolution<Scalar> {
        guard b.rows == rows else {
            throw NumericsError(.shapeMismatch,
                                "leastSquares: right-hand side has \(b.rows) rows but the matrix has \(rows)")
        }
        try Matrix.checkInterface(rows, columns, b.columns)
        try checkFinite("the matrix passed to leastSquares")
        try b.checkFinite("the right-hand side passed to leastSquares")
        let m = rows, n = columns, nrhs = b.columns
        if m == 0 || n == 0 || nrhs == 0 {
            return LeastSquaresSolution(solution: Matrix(rows: n, columns: nrhs), rank: 0, singularValues: [])
        }
        let cutoff = rcond ?? Double(Scalar.ulpOfOne) * Double(Swift.max(m, n))
        var a = elements
        // GELSD overwrites B (max(m, n) × nrhs) with the solution in its first n rows.
        var work = [Scalar](repeating: 0, count: Swift.max(m, n) * nrhs)
        for i in 0..<m { for j in 0..<nrhs { work[i * nrhs + j] = b.elements_[i * nrhs + j] } }
        var s = [Scalar](repeating: 0, count: Swift.min(m, n))
        var rank = 0
        let info = Scalar._gelsd(m: m, n: n, nrhs: nrhs, a: &a, b: &work, s: &s, rcond: Scalar(cutoff), rank: &rank)
        guard info == 0 else {
            throw NumericsError(info < 0 ? .lapackArgument : .noConvergence, "GELSD failed (info \(info))")
        }
        let x = try Matrix(rows: n, columns: nrhs, elements: Array(work[0..<n * nrhs]))
        return LeastSquaresSolution(solution: x, rank: rank, singularValues: s)
    }

    /// The Moore–Penrose pseudo-inverse A⁺ = V·diag(1/σ_i)·Uᵀ over σ_i > rcond·σ_max (default ε·max(m, n)).
    public func pseudoInverse(rcond: Double? = nil) throws -> Matrix {
        let d = try svd()
        let cutoff = (rcond ?? Double(Scalar.ulpOfOne) * Double(Swift.max(rows, columns)))
            * Double(d.singularValues.first ?? 0)
        let inv = d.singularValues.map { Double($0) > cutoff ? 1 / $0 : 0 }
        var v = d.vt.transposed  // n × k
        v.scaleColumns(by: inv)
        return try v.matmul(d.u, transposeOther: true)
    }
}
