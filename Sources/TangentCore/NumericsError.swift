/// An error from the numerics layer (shapes, factorizations, solvers).
///
/// One error type for the domain, in the style of swift-nio: a machine-readable `code`, a human `message`
/// that says what went wrong and what to do, an optional underlying `cause`, and the source `location`
/// that raised it.
public struct NumericsError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// Operand shapes do not fit the operation.
        case shapeMismatch
        /// An argument is outside its valid domain (negative size, k > n, non-finite input, ...).
        case invalidArgument
        /// A matrix that must be positive definite is not, even after the documented jitter.
        case notPositiveDefinite
        /// An iterative LAPACK routine (eigen, SVD) failed to converge.
        case noConvergence
        /// LAPACK rejected an argument (a bug in Tangent: please report it).
        case lapackArgument
        /// A problem too large for the 32-bit LAPACK interface.
        case tooLarge
    }

    public let code: Code
    public let message: String
    public let cause: String?
    public let location: String

    public init(_ code: Code, _ message: String, cause: String? = nil,
                fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.cause = cause
        self.location = "\(fileID):\(line)"
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }
}
