/// Errors of the `.npy` / `.npz` / gzip readers and writers: a `TangentError` with `source` the file path,
/// `"<memory>"`, or `"archive.npz:member.npy"` for a member of an archive.
public typealias NPYError = TangentError

extension TangentError.Code {
    /// The bytes do not start with the `\x93NUMPY` magic string: not a `.npy` file.
    public static let badMagic = Self(rawValue: "badMagic")
    /// A `.npy` format version other than 1.0, 2.0 or 3.0.
    public static let unsupportedVersion = Self(rawValue: "unsupportedVersion")
    /// The header dictionary is not a valid Python literal or lacks the required keys.
    public static let badHeader = Self(rawValue: "badHeader")
    /// The array's dtype is not one Tangent can represent (complex, strings, objects, ...).
    public static let unsupportedDType = Self(rawValue: "unsupportedDType")
    /// The file ends before the header or the data it declares.
    public static let truncated = Self(rawValue: "truncated")
    /// Shapes do not fit: an element count that does not match the data, or operands of an operation.
    public static let shapeMismatch = Self(rawValue: "shapeMismatch")
    /// A zip archive's structure is damaged (missing records, bad offsets, CRC mismatch, ...), or gzip data
    /// (`Gzip.decompress`) is not gzip, corrupt or cut short.
    public static let corruptArchive = Self(rawValue: "corruptArchive")
    /// A zip member uses a compression method other than STORED (0) or DEFLATE (8), or is encrypted.
    public static let unsupportedCompression = Self(rawValue: "unsupportedCompression")
    /// A requested member is not in the archive.
    public static let missingMember = Self(rawValue: "missingMember")
    /// The operating system failed to read or write a file (including a disk without room for a file
    /// that `NPYFileWriter` pre-sizes).
    public static let io = Self(rawValue: "io")
    /// The data would need more memory than the cap allows: a file larger than the memory available, a zip
    /// member or gzip stream that decompresses past the cap (`Machine.availableMemoryBytes` by default), or a
    /// problem too large for the 32-bit LAPACK interface.
    public static let tooLarge = Self(rawValue: "tooLarge")
}
