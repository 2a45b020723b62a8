/// Symmetric eigendecomposition through LAPACK (SYEVD for all pairs, SYEVR for the top k).
///
/// Eigenvalues are returned in **descending** order; `vectors` holds the matching unit eigenvectors as
/// **columns**, so that A·V = V·diag(values).
public struct SymmetricEigen<Scalar: TangentScalar>: Sendable {
    /// λ_1 ≥ λ_2 ≥ …
    public let values: [Scalar]
    /// n × k, column i is the eigenvector of `values[i]`; nil when only values were asked for.
    public let vectors: Matrix<Scalar>?
}

extension Matrix {
    private func checkSymmetricInput(_ op: String) throws {
        guard isSquare else {
            throw NumericsError(.shapeMismatch, "\(op) needs a square matrix, got \(rows)×\(columns)")
        }
        try Matrix.checkInterface(rows)
        try checkFinite("the matrix passed to \(op)")
    }

    private static func lapackFailure(_ routine: String, _ info: Int32) -> NumericsError {
        info < 0
            ? NumericsError(.lapackArgument, "\(routine) rejected argument \(-info)")
            : NumericsError(.noConvergence, "\(routine) did not converge (info \(info))")
    }

    /// All eigenvalues (descending) and, when `vectors` is true, eigenvectors of this symmetric matrix.
    /// Only the upper triangle is read.
    public func symmetricEigen(vectors: Bool = true) throws -> SymmetricEigen<Scalar> {
        try checkSymmetricInput("symmetricEigen")
        let n = rows
        if n == 0 { return SymmetricEigen(values: [], vectors: vectors ? Matrix(rows: 0, columns: 0) : nil) }
        var a = elements
        var w = [Scalar](repeating: 0, count: n)
        let info = Scalar._syevd(vectors: vectors, n: n, a: &a, w: &w)
        guard info == 0 else { throw Matrix.lapackFailure("SYEVD", info) }
        // LAPACK returns ascending values; reverse values and vector columns.
        let values = Array(w.reversed())
        guard vectors else { return SymmetricEigen(values: values, vectors: nil) }
        var v = Matrix(rows: n, columns: n)
        for i in 0..<n {
            for j in 0..<n { v.elements_[i * n + j] = a[i * n + (n - 1 - j)] }
        }
        return SymmetricEigen(values: values, vectors: v)
    }

    /// The eigenvalues of this symmetric matrix, descending.
    public func symmetricEigenvalues() throws -> [Scalar] { try symmetricEigen(vectors: false).values }

    /// The k largest eigenvalues (descending) and optionally their eigenvectors (SYEVR, index range).
    public func topEigen(_ k: Int, vectors: Bool = true) throws -> SymmetricEigen<Scalar> {
        try checkSymmetricInput("topEigen")
        let n = rows
        guard k >= 0 && k <= n else {
            throw NumericsError(.invalidArgument, "topEigen asked for k = \(k) of a \(n)×\(n) matrix; use 0 ≤ k ≤ \(n)")
        }
        if k == 0 { return SymmetricEigen(values: [], vectors: vectors ? Matrix(rows: n, columns: 0) : nil) }
        var a = elements
        var w = [Scalar](repeating: 0, count: n)
        var z = [Scalar](repeating: 0, count: vectors ? n * k : 1)
        var found = 0
        let info = Scalar._syevr(vectors: vectors, n: n, il: n - k + 1, iu: n, a: &a, w: &w, z: &z, found: &found)
        guard info == 0 else { throw Matrix.lapackFailure("SYEVR", info) }
        guard found == k else {
            throw NumericsError(.noConvergence, "SYEVR found \(found) of the \(k) requested eigenvalues")
        }
        let values = Array(w[0..<k].reversed())
        guard vectors else { return SymmetricEigen(values: values, vectors: nil) }
        var v = Matrix(rows: n, columns: k)
        for i in 0..<n {
            for j in 0..<k { v.elements_[i * k + j] = z[i * k + (k - 1 - j)] }
        }
        return SymmetricEigen(values: values, vectors: v)
    }
}
