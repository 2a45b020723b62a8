/// The one error shape of Tangent, for every domain (files and archives, numerics, data files, the pipeline
/// engine), in the manner of swift-nio's `FileSystemError`:
///
/// - `code`, a `Code` (a struct of named values, extended by each domain, so `error.code == .truncated` reads as an
///   enum and new codes need no change here);
/// - `message`, what is wrong and what to do about it;
/// - `source`, what it is about (a file path, `"archive.npz:member.npy"`, `"<memory>"`), when there is one;
/// - `cause`, the underlying error (a typed chain: a `TangentError`, a `SystemCallError`, …);
/// - `location`, the `#fileID:#line` that threw;
/// - `details`, items that belong to the error (the pipeline's diagnostics).
///
/// `description` is what a user sees: `source: message`, then the cause when it is one of Tangent's own errors
/// (`UserFacingError`). A Foundation error's text never reaches it; such a cause stays in `cause` for debugging.
public struct TangentError: Error, UserFacingError, Sendable, Equatable {
    /// A machine-readable error code. The domains declare theirs as static members (`NPYError.Code.truncated`,
    /// `PipelineError.Code.stageFailed`); `rawValue` is the code's name.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
    }

    /// Where an error was raised in Tangent's source.
    public struct Location: Hashable, Sendable, CustomStringConvertible {
        public var fileID: String
        public var line: Int
        public var description: String { "\(fileID):\(line)" }
    }

    public var code: Code
    /// What is wrong and what to do about it.
    public var message: String
    /// What the error is about: a file path, `"archive.npz:member.npy"`, `"<memory>"` (nil: nothing in particular).
    public var source: String?
    /// The underlying error.
    public var cause: (any Error & Sendable)?
    public var location: Location
    /// Items that belong to the error, each described on its own line (the pipeline's diagnostics).
    public var details: [any UserFacingError & Sendable]

    public init(_ code: Code, _ message: String, source: String? = nil, cause: (any Error & Sendable)? = nil,
                details: [any UserFacingError & Sendable] = [], fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.source = source
        self.cause = cause
        self.details = details
        location = Location(fileID: fileID, line: line)
    }

    public var description: String {
        if !details.isEmpty { return details.map(\.description).joined(separator: "\n") }
        var text = source.map { message.contains($0) ? message : "\($0): \(message)" } ?? message
        // A cause already told by the message (an elaboration of it) is not repeated.
        let told = (cause as? TangentError).map { text.contains($0.message) } ?? false
        if !told, let cause = cause.flatMap(TangentError.userText), !text.contains(cause) {
            text += text.hasSuffix(".") ? " (cause: \(cause))" : ": \(cause)"
        }
        return text
    }

    /// An error's text for a user: Tangent's own errors as they describe themselves, another error's description
    /// unless it is Foundation's (`NSError`/`CocoaError` text such as "Error Domain=NSCocoaErrorDomain …"), which is
    /// replaced by nil (callers say what failed themselves).
    public static func userText(_ error: any Error) -> String? {
        if let own = error as? UserFacingError { return own.description }
        let typeName = String(reflecting: type(of: error))
        let text = String(describing: error)
        let foundation = ["NSCocoaErrorDomain", "Error Domain=", "The operation could not be completed",
                          "The file “", "couldn’t be"]
        if typeName.hasPrefix("Foundation.") || typeName.contains("NSError") || foundation.contains(where: text.contains) {
            return nil
        }
        return text
    }

    /// Equal codes, messages and sources.
    public static func == (a: TangentError, b: TangentError) -> Bool {
        a.code == b.code && a.message == b.message && a.source == b.source
    }
}

/// An error whose description is written for a user (Tangent's own errors): shown as a cause, unlike a Foundation
/// error whose text is not.
public protocol UserFacingError: Error, CustomStringConvertible {}

extension SystemCallError: UserFacingError {}
