import Foundation

/// What a data file will take in memory once decoded, learned from its header or directory without decoding it:
/// used to refuse files that will not fit (and decompression bombs) before reading them.
public enum FileSizeEstimate {
    /// The shape and dtype a `.npy` file declares (reads only its header, checked as `NPY.read` checks it, but not
    /// against the file's size: a header that claims more data than the file holds is reported by its claim).
    public static func npyHeader(path: String) throws -> (shape: [Int], dtype: NPYDType) {
        let prefix = try readPrefix(path, bytes: 65_536 + NPYLayout.maximumPreambleLength)
        var info = stat()
        let fileSize = stat(path, &info) == 0 ? Int(info.st_size) : prefix.count
        return try prefix.withUnsafeBytes { bytes in
            let (range, utf8) = try NPYLayout.headerRange(prefix: bytes, fileSize: fileSize, source: path)
            guard range.upperBound <= bytes.count else {
                throw NPYError(.badHeader, "the header is longer than 64 KiB; re-write the file with np.save", source: path)
            }
            let header = try NPYHeader.parse(Array(bytes[range]), utf8: utf8, source: path)
            return (header.shape, header.dtype)
        }
    }

    /// The sum of the uncompressed sizes an `.npz` (zip) archive declares for its members (reads its directory).
    public static func npzDeclaredBytes(path: String) throws -> UInt64 {
        try NPZ.declaredBytes(contentsOf: URL(fileURLWithPath: path))
    }

    /// The uncompressed size a gzip file declares in its trailer (ISIZE, the size modulo 2³²; a multi-member or
    /// hostile file can understate it, so decompression stays capped).
    public static func gzipDeclaredBytes(path: String) throws -> UInt64 {
        let handle = try open(path)
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        guard end >= 18 else { return 0 }
        try handle.seek(toOffset: end - 4)
        let tail = [UInt8](try handle.read(upToCount: 4) ?? Data())
        guard tail.count == 4 else { return 0 }
        return UInt64(tail[0]) | UInt64(tail[1]) << 8 | UInt64(tail[2]) << 16 | UInt64(tail[3]) << 24
    }

    /// The first `bytes` bytes of the file (fewer when it is shorter).
    public static func readPrefix(_ path: String, bytes: Int) throws -> Data {
        let handle = try open(path)
        defer { try? handle.close() }
        return try handle.read(upToCount: bytes) ?? Data()
    }

    private static func open(_ path: String) throws -> FileHandle {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw NPYError(.io, "cannot open the file for reading (does it exist, and is it readable?)", source: path)
        }
        return handle
    }
}
