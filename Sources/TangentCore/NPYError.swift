/// An error from reading or writing `.npy` / `.npz` files (and from decompressing gzip data).
///
/// One error type for the domain, in the style of swift-nio: a machine-readable `code`, a human `message`
/// that says what is wrong and what to do about it, the `source` it came from (a file path, `"<memory>"`,
/// or `"archive.npz:member.npy"` for a member of an archive), an optional underlying `cause`, and the
/// source `location` that raised it.
public struct NPYError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The bytes do not start with the `\x93NUMPY` magic string: not a `.npy` file.
        case badMagic
        /// A `.npy` format version other than 1.0, 2.0 or 3.0.
        case unsupportedVersion
        /// The header dictionary is not a valid Python literal or lacks the required keys.
        case badHeader
        /// The array's dtype is not one Tangent can represent (complex, strings, objects, ...).
        case unsupportedDType
        /// The file ends before the header or the data it declares.
        case truncated
        /// The element count implied by a shape does not match the data.
        case shapeMismatch
        /// A zip archive's structure is damaged (missing records, bad offsets, CRC mismatch, ...), or gzip data
        /// (`Gzip.decompress`) is not gzip, corrupt or cut short.
        case corruptArchive
        /// A zip member uses a compression method other than STORED (0) or DEFLATE (8), or is encrypted.
        case unsupportedCompression
        /// A requested member is not in the archive.
        case missingMember
        /// The operating system failed to read or write a file (including a disk without room for a file
        /// that `NPYFileWriter` pre-sizes).
        case io
        /// The data would need more memory than the cap allows: a file larger than the memory available, a zip
        /// member or gzip stream that decompresses past the cap (`Machine.availableMemoryBytes` by default).
        case tooLarge
    }

    public let code: Code
    /// What is wrong and what to do about it.
    public let message: String
    /// The file path, `"<memory>"`, or `"archive.npz:member.npy"`.
    public let source: String
    /// The underlying error, if any.
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

    /// `"<source>: <message>"`, followed by the cause when there is one.
    public var description: String {
        var text = "\(source): \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }
}
