import Foundation

/// Reading and writing numpy `.npz` archives: zip files whose members `name.npy` each hold one array.
///
/// Writing stores members uncompressed (like `np.savez`), in the given order, with fixed timestamps so the
/// output is reproducible. Reading accepts STORED and DEFLATE members (`np.savez` and
/// `np.savez_compressed`), with or without Zip64 records, and verifies every member's CRC-32. Members whose
/// names do not end in `.npy` (and directories) are ignored. Errors are `NPYError`; problems inside a member
/// name it as `"archive.npz:member.npy"`.
///
/// Memory: the readers take `maximumSize` (nil, the default, means `Machine.availableMemoryBytes` at the
/// time of the call). A file larger than it, a member whose uncompressed size exceeds it, or members whose
/// uncompressed sizes together exceed it are refused with `.tooLarge` before the memory is allocated.
/// `NPZ.mappedMember` reads a member slice by slice instead (see `MappedNPY`).
public enum NPZ {
    /// The `.npz` bytes for `arrays`, stored as members `"<name>.npy"` in order.
    ///
    /// Throws `NPYError` `.corruptArchive` if a name is empty, repeated, or longer than a zip allows (the
    /// archive would be unreadable or ambiguous), and `.shapeMismatch` for an array whose shape does not
    /// match its storage.
    public static func encode(_ arrays: [(name: String, array: NPYArray)]) throws -> Data {
        try encode(arrays, forceZip64: false)
    }

    /// Decodes an archive into a dictionary keyed by member name without the `.npy` suffix.
    public static func decode(_ data: Data, source: String = "<memory>",
                              maximumSize: Int? = nil) throws -> [String: NPYArray] {
        let ordered = try decodeOrdered(data, source: source, maximumSize: maximumSize)
        return Dictionary(ordered, uniquingKeysWith: { _, last in last })
    }

    /// Decodes an archive into `(name, array)` pairs in archive order; names lack the `.npy` suffix.
    public static func decodeOrdered(_ data: Data, source: String = "<memory>",
                                     maximumSize: Int? = nil) throws -> [(name: String, array: NPYArray)] {
        try decodeOrdered(data, source: source, cap: MemoryCap(maximumSize))
    }

    /// Reads a `.npz` file into a dictionary keyed by member name without `.npy`. Errors name the path.
    public static func read(contentsOf url: URL, maximumSize: Int? = nil) throws -> [String: NPYArray] {
        let ordered = try readOrdered(contentsOf: url, maximumSize: maximumSize)
        return Dictionary(ordered, uniquingKeysWith: { _, last in last })
    }

    /// Reads a `.npz` file into `(name, array)` pairs in archive order. Errors name the path.
    public static func readOrdered(contentsOf url: URL,
                                   maximumSize: Int? = nil) throws -> [(name: String, array: NPYArray)] {
        let cap = MemoryCap(maximumSize)
        return try decodeOrdered(FileIO.read(url, cap: cap), source: url.path, cap: cap)
    }

    /// Reads the single array `name` (without `.npy`) from a `.npz` file, decoding no other member.
    /// Throws `.missingMember`, listing the available names, if the archive has no such array.
    public static func read(member name: String, contentsOf url: URL, maximumSize: Int? = nil) throws -> NPYArray {
        let source = url.path
        let cap = MemoryCap(maximumSize)
        return try FileIO.read(url, cap: cap).withUnsafeBytes { bytes in
            let entry = try member(name, in: bytes, source: source)
            return try ZipArchive.withContents(of: entry, in: bytes, source: source, cap: cap) { contents in
                try NPY.decode(bytes: contents, source: "\(source):\(entry.name)")
            }
        }
    }

    /// Writes `arrays` to `url` as an `.npz` archive, atomically (temporary file, fsync, rename), with the
    /// bytes of `encode(arrays)`.
    ///
    /// Streams: each member's CRC-32 is computed over its elements in place, then its local header and its
    /// bytes are written straight from the array's memory in large pieces, and the central directory last.
    /// Beyond the arrays themselves, memory use is the central directory and, on big-endian hosts only, a
    /// 1 MiB buffer for byte-swapping.
    public static func write(_ arrays: [(name: String, array: NPYArray)], to url: URL) throws {
        try write(arrays, to: url, forceZip64: false)
    }

    // MARK: - Internals

    /// `forceZip64` writes Zip64 records even for small archives, to exercise those paths in tests.
    static func encode(_ arrays: [(name: String, array: NPYArray)], forceZip64: Bool,
                       source: String = "<memory>") throws -> Data {
        try checkNames(arrays, source: source)
        return ZipArchive.write(arrays.map { ($0.name + ".npy", NPY.encode($0.array)) }, forceZip64: forceZip64)
    }

    static func write(_ arrays: [(name: String, array: NPYArray)], to url: URL, forceZip64: Bool) throws {
        try checkNames(arrays, source: url.path)
        let file = try AtomicOutputFile(url: url)
        var zip = ZipArchiveWriter(forceZip64: forceZip64)
        for (name, array) in arrays {
            let header = NPYHeader.encode(dtype: array.dtype, shape: array.shape)
            var crc = header.withUnsafeBytes { Zlib.crc32($0) }
            NPYElements.forEachLittleEndianChunk(of: array.storage) { crc = Zlib.crc32($0, continuing: crc) }
            let size = header.count + array.storage.count * array.dtype.itemSize
            try file.write(zip.localHeader(name: name + ".npy", size: UInt64(size), crc: crc))
            try file.write(header)
            try NPYElements.forEachLittleEndianChunk(of: array.storage) { try file.write($0) }
        }
        try file.write(zip.trailer())
        try file.commit(sync: true)
    }

    /// Refuses empty, repeated or over-long names, and arrays whose shape does not match their storage.
    private static func checkNames(_ arrays: [(name: String, array: NPYArray)], source: String) throws {
        var seen = Set<String>()
        for (name, array) in arrays {
            let member = name + ".npy"
            guard !name.isEmpty, member.utf8.count <= Int(UInt16.max) else {
                throw NPYError(.corruptArchive,
                               "cannot save an array named '\(name.prefix(40))': names must be non-empty and at "
                               + "most \(Int(UInt16.max) - 4) bytes of UTF-8. Choose another name.",
                               source: source)
            }
            guard seen.insert(name).inserted else {
                throw NPYError(.corruptArchive,
                               "cannot save two arrays named '\(name)': the archive would be ambiguous. Give each "
                               + "array a unique name.",
                               source: source)
            }
            try NPY.checkConsistent(array, source: "\(source):\(member)")
        }
    }

    static func decodeOrdered(_ data: Data, source: String, cap: MemoryCap) throws -> [(name: String, array: NPYArray)] {
        try data.withUnsafeBytes { bytes in
            var result: [(name: String, array: NPYArray)] = []
            var seen = Set<String>()
            let entries = try arrayEntries(in: bytes, source: source)
            for entry in entries {
                guard seen.insert(entry.name).inserted else {
                    throw ZipArchive.corrupt("the archive has more than one member named '\(entry.name)'", source)
                }
            }
            let total = entries.reduce(UInt64(0)) { $0.addingReportingOverflow($1.uncompressedSize).partialValue }
            if entries.count > 1, !cap.allows(total) {
                throw cap.error("the archive's \(entries.count) arrays hold \(ByteCount.text(total, exact: true)) "
                                + "together", source: source)
            }
            for entry in entries {
                let array = try ZipArchive.withContents(of: entry, in: bytes, source: source, cap: cap) { contents in
                    try NPY.decode(bytes: contents, source: "\(source):\(entry.name)")
                }
                result.append((String(entry.name.dropLast(4)), array))
            }
            return result
        }
    }

    /// The entry of array `name` (without `.npy`); `.missingMember` naming the available arrays if absent.
    static func member(_ name: String, in bytes: UnsafeRawBufferPointer, source: String) throws -> ZipArchive.Entry {
        let entries = try arrayEntries(in: bytes, source: source)
        let matches = entries.filter { $0.name == name + ".npy" }
        guard matches.count <= 1 else {
            throw ZipArchive.corrupt("the archive has more than one member named '\(name).npy'", source)
        }
        guard let entry = matches.first else {
            let available = entries.map { "'\($0.name.dropLast(4))'" }.joined(separator: ", ")
            throw NPYError(.missingMember,
                           "the archive has no array named '\(name)' (member '\(name).npy'); it contains "
                           + (available.isEmpty ? "no arrays" : available) + ". Check the name.",
                           source: source)
        }
        return entry
    }

    /// The array names (without `.npy`) of the `.npz` file at `url`, in archive order, read from its central
    /// directory alone (the file is mapped; no member is read).
    public static func memberNames(contentsOf url: URL) throws -> [String] {
        let mapping = try FileMapping(url: url)
        return try arrayEntries(in: mapping.bytes, source: url.path).map { String($0.name.dropLast(4)) }
    }

    /// The sum of the uncompressed sizes the archive's directory declares for its members (a hostile archive can
    /// understate them, so reading stays capped).
    public static func declaredBytes(contentsOf url: URL) throws -> UInt64 {
        let mapping = try FileMapping(url: url)
        return try ZipArchive.entries(in: mapping.bytes, source: url.path).reduce(UInt64(0)) { $0 &+ $1.uncompressedSize }
    }

    /// The central-directory entries that hold arrays (names ending in `.npy`). The others are skipped, but only
    /// after checking that their local headers agree with the directory (a damaged name is corruption, not an
    /// extra file).
    private static func arrayEntries(in bytes: UnsafeRawBufferPointer, source: String) throws -> [ZipArchive.Entry] {
        let entries = try ZipArchive.entries(in: bytes, source: source)
        for entry in entries where !entry.name.hasSuffix(".npy") {
            try ZipArchive.checkLocalName(of: entry, in: bytes, source: source)
        }
        return entries.filter { $0.name.hasSuffix(".npy") }
    }
}
