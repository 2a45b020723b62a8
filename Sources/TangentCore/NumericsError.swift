/// Errors of the numerics layer (shapes, factorizations, solvers): a `TangentError` without a source.
public typealias NumericsError = TangentError

extension TangentError.Code {
    /// An argument is outside its valid domain (negative size, k > n, non-finite input, ...).
    public static let invalidArgument = Self(rawValue: "invalidArgument")
    /// A matrix that must be positive definite is not, even after the documented jitter.
    public static let notPositiveDefinite = Self(rawValue: "notPositiveDefinite")
    /// An iterative LAPACK routine (eigen, SVD) failed to converge.
    public static let noConvergence = Self(rawValue: "noConvergence")
    /// LAPACK rejected an argument (a bug in Tangent: please report it).
    public static let lapackArgument = Self(rawValue: "lapackArgument")
}
