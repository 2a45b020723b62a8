import TangentCore

/// Errors of reading data files (`.npy`, `.npz`, `.csv`, IDX, gzip) and of assembling a dataset out of them: a
/// `TangentError` whose `source` is the file (a path, or `"archive.npz:member"`). Errors about two files (a shape
/// mismatch) name the first in `source` and the second, with both shapes, in the message.
public typealias DataFileError = TangentError

extension TangentError.Code {
    /// The file name has no extension this reader knows.
    public static let unsupportedFormat = Self(rawValue: "unsupportedFormat")
    /// The file's structure is damaged (bad gzip stream, corrupt archive, bytes beyond the declared data).
    public static let corrupt = Self(rawValue: "corrupt")
    /// A CSV row has a different number of columns than the first row.
    public static let raggedRows = Self(rawValue: "raggedRows")
    /// A CSV cell is not a number, or a value is NaN or infinite.
    public static let notNumeric = Self(rawValue: "notNumeric")
    /// An element type the reader cannot turn into numbers (bool, complex, strings, unknown IDX type).
    public static let unsupportedType = Self(rawValue: "unsupportedType")
    /// Targets must be class ids (integers in one column) but are not.
    public static let notClassIDs = Self(rawValue: "notClassIDs")
    /// A requested class id does not occur in the data, there are too few samples of a class, or a single class
    /// cannot be encoded.
    public static let classSelection = Self(rawValue: "classSelection")
    /// A file that goes with another is not given (test inputs without test targets, or the reverse), or a file
    /// holds no samples, or a shipped data set (`ShippedData`) cannot be found.
    public static let missingData = Self(rawValue: "missingData")
}

extension TangentError {
    /// A problem of the core `.npy`/`.npz`/gzip readers as a data-file error: codes of the file layer map to
    /// the data-file codes (a bad header or a damaged archive is `.corrupt`, an unsupported dtype `.unsupportedType`),
    /// keeping the message and source; data-file errors pass unchanged.
    public init(wrapping error: TangentError, fileID: String = #fileID, line: Int = #line) {
        let mapped: Code? = switch error.code {
        case .unsupportedDType: .unsupportedType
        case .badHeader, .unsupportedVersion, .shapeMismatch, .corruptArchive, .unsupportedCompression: .corrupt
        default: nil
        }
        guard let mapped else {
            self = error
            return
        }
        self.init(mapped, error.message, source: error.source, cause: error, fileID: fileID, line: line)
    }
}
