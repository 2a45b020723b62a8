/// Cholesky without copies, for matrices that fit in memory once but not twice (a 30,000 × 30,000 float64 kernel is
/// 7.2 GB): the caller fills a matrix, factors it in place, and solves with the factor.
extension Matrix {
    /// Factors self in place by POTRF (upper triangle, A = UᵀU; only the upper triangle is read and written).
    ///
    /// - Returns: true when A is numerically positive definite; false when a leading minor fails, in which case
    ///   self holds a partial factor and must be refilled before another attempt.
    /// - Throws: `.shapeMismatch` for a non-square matrix, `.nonFinite` for NaN or infinite entries,
    ///   `.lapackArgument` when LAPACK rejects an argument.
    public mutating func choleskyFactorInPlace() throws -> Bool {
        guard isSquare else {
            throw NumericsError(.shapeMismatch, "choleskyFactorInPlace needs a square matrix, got \(rows)×\(columns)")
        }
        try Matrix.checkInterface(rows)
        try checkFinite("the matrix passed to choleskyFactorInPlace")
        if rows == 0 { return true }
        let info = Scalar._potrf(n: rows, a: &elements_)
        guard info >= 0 else { throw NumericsError(.lapackArgument, "POTRF rejected argument \(-info)") }
        return info == 0
    }

    /// Solves A·X = B with self the factor U of `choleskyFactorInPlace` (POTRS); self is not copied.
    public func choleskySolveFactored(_ b: Matrix) throws -> Matrix {
        guard isSquare, b.rows == rows else {
            throw NumericsError(.shapeMismatch, "choleskySolveFactored: a \(rows)×\(columns) factor and a right-hand "
                                + "side of \(b.rows) rows")
        }
        try Matrix.checkInterface(rows, b.columns)
        try b.checkFinite("the right-hand side passed to choleskySolveFactored")
        if rows == 0 || b.columns == 0 { return b }
        var x = b
        let info = Scalar._potrs(n: rows, nrhs: b.columns, a: elements_, b: &x.elements_)
        guard info == 0 else { throw NumericsError(.lapackArgument, "POTRS failed (info \(info))") }
        return x
    }
}

extension Matrix {
    /// Overwrites rows start ..< start + block.rows with `block` (same width), converting its elements to `Scalar`.
    public mutating func setRows<Other: TangentScalar>(_ start: Int, from block: Matrix<Other>) throws {
        guard block.columns == columns, start >= 0, start + block.rows <= rows else {
            throw NumericsError(.shapeMismatch, "setRows: a \(block.rows)×\(block.columns) block at row \(start) "
                                + "does not fit a \(rows)×\(columns) matrix")
        }
        let base = start * columns
        let source = block.elements
        for k in 0..<source.count { elements_[base + k] = Scalar(Double(source[k])) }
    }
}
