import Foundation
import TangentCore

/// Reads one numeric array from a data file, choosing the reader by the file's name.
///
/// | name ends with | format |
/// |---|---|
/// | `.npy` | numpy array (any numeric dtype; bool reads as 0/1) |
/// | `.npz` | numpy archive: the member `member`, or the only member when `member` is nil |
/// | `.csv` | comma-separated numbers, optional header row (`CSVReader`) |
/// | `.idx`, `-idx3-ubyte`, `.idx1-ubyte`, … | MNIST-style IDX (`IDXReader`) |
///
/// and any of these followed by `.gz` is decompressed first (`Gzip`). Every error is a `DataFileError` naming
/// the file; problems found by the core `.npy`/`.npz`/gzip readers keep their message and become its `cause`.
public enum ArrayFileReader {
    public enum Format: String, Sendable, CaseIterable {
        case npy, npz, csv, idx
    }

    /// The format of the file at `path` by its name, and whether it is gzipped; nil for an unknown name.
    public static func format(ofPath path: String) -> (format: Format, gzipped: Bool)? {
        var name = (path.split(separator: "/").last.map(String.init) ?? path).lowercased()
        let gzipped = name.hasSuffix(".gz")
        if gzipped { name.removeLast(3) }
        if let format = Format.allCases.first(where: { name.hasSuffix(".\($0.rawValue)") }) { return (format, gzipped) }
        // MNIST names: train-images-idx3-ubyte, t10k-labels.idx1-ubyte, data.idx2.
        let parts = name.split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "_" }).map(String.init)
        guard parts.count >= 2, let last = parts.last else { return nil }
        func isIDXWord(_ word: String) -> Bool { word.hasPrefix("idx") && word.dropFirst(3).allSatisfy(\.isNumber) }
        let typeWords: Set = ["ubyte", "byte", "short", "int", "float", "double"]
        if isIDXWord(last) || (typeWords.contains(last) && isIDXWord(parts[parts.count - 2])) { return (.idx, gzipped) }
        return nil
    }

    /// Reads the array in the file at `path`; `member` names the array inside an `.npz` archive.
    public static func read(path: String, member: String? = nil) throws -> LoadedArray {
        guard let (format, gzipped) = format(ofPath: path) else {
            throw DataFileError(.unsupportedFormat,
                                "cannot tell the file's format from its name: use .npy, .npz, .csv, .idx or an "
                                + "MNIST name such as train-images-idx3-ubyte, each optionally followed by .gz",
                                source: path)
        }
        if let member, format != .npz {
            throw DataFileError(.unsupportedFormat,
                                "an array name (`\(member)`) was given but the file is not an .npz archive; "
                                + "only .npz files hold several arrays", source: path)
        }
        var data = try contents(of: path)
        if gzipped {
            do { data = try Gzip.decompress(data, source: path) } catch let error as NPYError {
                throw DataFileError(wrapping: error)
            }
        }
        return try decode(data, format: format, source: path, member: member)
    }

    /// Decodes the bytes of a file of `format` (already decompressed); `source` names it in errors.
    public static func decode(_ data: Data, format: Format, source: String, member: String? = nil) throws -> LoadedArray {
        do {
            switch format {
            case .npy:
                return try loaded(NPY.decode(data, source: source), source: source)
            case .npz:
                let (name, array) = try select(member, from: NPZ.decodeOrdered(data, source: source), source: source)
                return try loaded(array, source: "\(source):\(name)")
            case .csv:
                let table = try CSVReader.parse(data, source: source)
                return try LoadedArray(source: source, shape: [table.matrix.rows, table.matrix.columns],
                                       dtype: "text", values: table.matrix.elements)
            case .idx:
                return try IDXReader.decode(data, source: source)
            }
        } catch let error as NPYError {
            throw DataFileError(wrapping: error)
        }
    }

    /// The whole file at `path`, refused when larger than the memory available; errors name the path and the
    /// system's reason.
    public static func contents(of path: String) throws -> Data {
        do {
            return try FileContents.read(URL(fileURLWithPath: path))
        } catch let error as NPYError {
            throw DataFileError(wrapping: error)
        }
    }

    // MARK: - Internals

    /// The member `name` of an archive, or its only member when `name` is nil.
    private static func select(_ name: String?, from members: [(name: String, array: NPYArray)],
                               source: String) throws -> (String, NPYArray) {
        let names = members.map { "`\($0.name)`" }.joined(separator: ", ")
        if let name {
            guard let member = members.first(where: { $0.name == name }) else {
                throw DataFileError(.missingMember,
                                    "the archive has no array named `\(name)`; it holds "
                                    + (members.isEmpty ? "no arrays" : "\(names); name one of them"), source: source)
            }
            return (member.name, member.array)
        }
        guard members.count == 1, let only = members.first else {
            throw DataFileError(.missingMember,
                                members.isEmpty ? "the archive holds no arrays"
                                    : "the archive holds \(members.count) arrays (\(names)); name one of them",
                                source: source)
        }
        return (only.name, only.array)
    }

    /// An `NPYArray` as a `LoadedArray` (float64 values, the same shape).
    private static func loaded(_ array: NPYArray, source: String) throws -> LoadedArray {
        try LoadedArray(source: source, shape: array.shape, dtype: array.dtype.name, values: array.asDoubles())
    }
}

extension ArrayFileReader {
    /// Bytes that reading the file at `path` will allocate at its peak (file bytes, decompressed bytes and the
    /// float64 values), learned from its header, directory or gzip trailer without decoding it: so that files that
    /// will not fit, and decompression bombs, are refused before they are read. Decompression stays capped, since
    /// a hostile archive can understate its sizes.
    public static func estimatedBytes(path: String) throws -> Double {
        guard let (format, gzipped) = format(ofPath: path) else { return 0 }  // `read` reports the format
        var info = stat()
        let fileBytes = stat(path, &info) == 0 ? Double(info.st_size) : 0
        do {
            let decompressed = gzipped ? Double(try FileSizeEstimate.gzipDeclaredBytes(path: path)) : fileBytes
            switch format {
            case .npy where !gzipped:
                let header = try FileSizeEstimate.npyHeader(path: path)
                let count = header.shape.reduce(1.0) { $0 * Double($1) }
                return fileBytes + 8 * count
            case .npy: return fileBytes + decompressed * 3
            case .npz: return fileBytes + Double(try FileSizeEstimate.npzDeclaredBytes(path: path)) * 3
            case .csv: return fileBytes + decompressed * 5
            case .idx: return fileBytes + decompressed * 10  // uint8 pixels become float64 values
            }
        } catch let error as NPYError {
            throw DataFileError(wrapping: error)
        }
    }
}
