import TangentCore

/// An error from reading data files (`.npy`, `.npz`, `.csv`, IDX, gzip) or from assembling a dataset out of them.
///
/// One error type for the domain, in the style of `NPYError`: a machine-readable `code`, a human `message` that
/// says what is wrong and what to do about it, the `source` file (a path, or `"archive.npz:member"`), an optional
/// underlying `cause`, and the source `location` that raised it. Errors about two files (a shape mismatch)
/// name the first in `source` and the second, with both shapes, in the message.
public struct DataFileError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The operating system could not read the file.
        case io
        /// The file name has no extension this reader knows.
        case unsupportedFormat
        /// The file does not start the way its format requires (IDX magic, npy magic, gzip magic).
        case badMagic
        /// The file ends before the data its header declares.
        case truncated
        /// The file's structure is damaged (bad gzip stream, corrupt archive, bytes beyond the declared data).
        case corrupt
        /// A CSV row has a different number of columns than the first row.
        case raggedRows
        /// A CSV cell is not a number.
        case notNumeric
        /// An element type the reader cannot turn into numbers (bool, complex, strings, unknown IDX type).
        case unsupportedType
        /// An `.npz` member was not named and the archive has several, or the named one is missing.
        case missingMember
        /// Shapes of two files (or of a file and what it must hold) do not fit together.
        case shapeMismatch
        /// Targets must be class ids (integers in one column) but are not.
        case notClassIDs
        /// A requested class id does not occur in the data, or there are too few samples of a class.
        case classSelection
        /// A file that goes with another is not given (test inputs without test targets, or the reverse), or a
        /// file holds no samples.
        case missingData
        /// The file, or what it decompresses to, needs more memory than is available.
        case tooLarge
    }

    public let code: Code
    /// What is wrong and what to do about it.
    public let message: String
    /// The file path, or `"archive.npz:member"` for a member of an archive.
    public let source: String
    /// The underlying error, if any (an `NPYError` from the `.npy`/`.npz`/gzip readers).
    public let cause: (any Error & Sendable)?
    /// `#fileID:#line` of the code that threw.
    public let location: String

    /// Creates an error; `fileID` and `line` default to the throwing call site.
    public init(_ code: Code, _ message: String, source: String, cause: (any Error & Sendable)? = nil,
                fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.source = source
        self.cause = cause
        self.location = "\(fileID):\(line)"
    }

    /// `"<source>: <message>"`, or the message alone when it names the source itself.
    public var description: String { message.contains(source) ? message : "\(source): \(message)" }

    /// The same problem as an `NPYError` from the core readers, keeping its message and source.
    init(wrapping error: NPYError, fileID: String = #fileID, line: Int = #line) {
        let code: Code = switch error.code {
        case .io: .io
        case .badMagic: .badMagic
        case .truncated: .truncated
        case .unsupportedDType: .unsupportedType
        case .missingMember: .missingMember
        case .tooLarge: .tooLarge
        case .badHeader, .unsupportedVersion, .shapeMismatch, .corruptArchive, .unsupportedCompression: .corrupt
        }
        self.init(code, error.message, source: error.source, cause: error, fileID: fileID, line: line)
    }
}
