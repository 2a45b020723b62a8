/// A thin singular value decomposition A = U·diag(s)·Vᵀ (LAPACK GESDD).
public struct SingularValueDecomposition<Scalar: TangentScalar>: Sendable {
    /// m × k with orthonormal columns, k = min(m, n).
    public let u: Matrix<Scalar>
    /// σ_1 ≥ σ_2 ≥ … ≥ σ_k ≥ 0
    public let singularValues: [Scalar]
    /// k × n with orthonormal rows.
    public let vt: Matrix<Scalar>
}

extension Matrix {
    /// The thin SVD. Throws `noConvergence` if LAPACK fails and `invalidArgument` on NaN or inf.
    public func svd() throws -> SingularValueDecomposition<Scalar> {
        try Matrix.checkInterface(rows, columns)
        try checkFinite("the matrix passed to svd")
        let k = Swift.min(rows, columns)
        if k == 0 {
            return SingularValueDecomposition(u: Matrix(rows: rows, columns: 0), singularValues: [],
                                              vt: Matrix(rows: 0, columns: columns))
        }
        var a = elements
        var s = [Scalar](repeating: 0, count: k)
        var u = Matrix(rows: rows, columns: k)
        var vt = Matrix(rows: k, columns: columns)
        let info = Scalar._gesdd(vectors: true, m: rows, n: columns, a: &a, s: &s, u: &u.elements_, vt: &vt.elements_)
        guard info == 0 else {
            throw NumericsError(info < 0 ? .lapackArgument : .noConvergence, "GESDD failed (info \(info))")
        }
        return SingularValueDecomposition(u: u, singularValues: s, vt: vt)
    }

    /// σ_1 ≥ … ≥ σ_min(m,n) (values only: cheaper than `svd()`).
    public func singularValues() throws -> [Scalar] {
        try Matrix.checkInterface(rows, columns)
        try checkFinite("the matrix passed to singularValues")
        let k = Swift.min(rows, columns)
        if k == 0 { return [] }
        var a = elements
        var s = [Scalar](repeating: 0, count: k)
        var u = [Scalar](repeating: 0, count: 1)
        var vt = [Scalar](repeating: 0, count: columns)  // unreferenced for values only; LAPACKE checks ldvt ≥ n
        let info = Scalar._gesdd(vectors: false, m: rows, n: columns, a: &a, s: &s, u: &u, vt: &vt)
        guard info == 0 else {
            throw NumericsError(info < 0 ? .lapackArgument : .noConvergence, "GESDD failed (info \(info))")
        }
        return s
    }
}
