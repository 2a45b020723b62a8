import Foundation

/// The minimal zip support `.npz` needs: reading STORED and DEFLATE members (with Zip64), and writing STORED
/// members reproducibly (fixed 1980-01-01 timestamps, Zip64 records only where sizes or offsets require them).
enum ZipArchive {
    /// One central-directory entry.
    struct Entry {
        var name: String
        var flags: UInt16
        var method: UInt16
        var crc32: UInt32
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        var localHeaderOffset: UInt64
    }

    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let zip64ExtraID: UInt16 = 0x0001
    static let max32: UInt64 = 0xFFFF_FFFF
    static let max16: UInt64 = 0xFFFF
    /// 1980-01-01 in MS-DOS date format (the time field is 00:00:00 = 0).
    static let dosDate1980: UInt16 = (0 << 9) | (1 << 5) | 1
    /// DEFLATE cannot expand data by more than about 1032:1; larger declared sizes are corrupt.
    static let maxDeflateRatio: UInt64 = 1032

    // MARK: - Reading

    /// The central directory of the archive in `bytes`, in archive order.
    static func entries(in bytes: UnsafeRawBufferPointer, source: String) throws -> [Entry] {
        let view = ByteView(bytes: bytes)
        let end = try findEnd(view, source: source)
        guard let diskNumber = view.u16(end + 4), let directoryDisk = view.u16(end + 6),
              let count16 = view.u16(end + 10), let size32 = view.u32(end + 12), let offset32 = view.u32(end + 16)
        else { throw corrupt("the end-of-central-directory record is cut short", source) }
        var entryCount = UInt64(count16), directorySize = UInt64(size32), directoryOffset = UInt64(offset32)
        var directoryLimit = end // the central directory must end before this offset
        var multiDisk = diskNumber != 0 || directoryDisk != 0

        if end >= 20, view.u32(end - 20) == zip64LocatorSignature {
            guard let recordOffset64 = view.u64(end - 20 + 8), let record = Int(exactly: recordOffset64),
                  record <= end - 20 - 56, view.u32(record) == zip64EndSignature,
                  let disk = view.u32(record + 16), let cdDisk = view.u32(record + 20),
                  let count = view.u64(record + 32), let size = view.u64(record + 40), let offset = view.u64(record + 48)
            else {
                throw corrupt("the Zip64 end-of-central-directory locator points to a missing or damaged Zip64 "
                              + "record", source)
            }
            entryCount = count
            directorySize = size
            directoryOffset = offset
            directoryLimit = record
            multiDisk = disk != 0 || cdDisk != 0
        }
        guard !multiDisk else {
            throw corrupt("the archive spans several disks (a split zip), which is not supported", source)
        }
        guard let start = Int(exactly: directoryOffset), let size = Int(exactly: directorySize),
              start <= directoryLimit, size <= directoryLimit - start else {
            throw corrupt("the central directory (offset \(directoryOffset), \(directorySize) bytes) lies outside "
                          + "the \(bytes.count)-byte archive", source)
        }
        guard entryCount <= UInt64(size / 46) else {
            throw corrupt("the archive claims \(entryCount) members but its central directory has room for at "
                          + "most \(size / 46)", source)
        }
        var entries: [Entry] = []
        var position = start
        let directoryEnd = start + size
        for index in 0..<Int(entryCount) {
            let (entry, next) = try parseCentralEntry(view, at: position, limit: directoryEnd, index: index,
                                                      source: source)
            entries.append(entry)
            position = next
        }
        return entries
    }

    /// Calls `body` with the uncompressed, CRC-checked contents of `entry`.
    ///
    /// A member whose uncompressed size exceeds `cap` is refused with `.tooLarge` before anything is
    /// allocated for it (a DEFLATE member's recorded size is checked before inflating; inflating then stops
    /// if the data would produce more than that size).
    static func withContents<R>(of entry: Entry, in bytes: UnsafeRawBufferPointer, source: String, cap: MemoryCap,
                                _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let memberSource = "\(source):\(entry.name)"
        let data = try storedData(of: entry, in: bytes, source: source)
        if entry.method == 0 {
            guard cap.allows(entry.uncompressedSize) else {
                throw cap.error("member '\(entry.name)' holds \(ByteCount.text(entry.uncompressedSize, exact: true))",
                                source: memberSource)
            }
            try checkCRC(entry, data, memberSource)
            return try body(data)
        }
        guard entry.uncompressedSize <= entry.compressedSize * maxDeflateRatio + 1024,
              let expected = Int(exactly: entry.uncompressedSize) else {
            throw corrupt("member '\(entry.name)' claims to inflate from \(entry.compressedSize) to "
                          + "\(entry.uncompressedSize) bytes, more than DEFLATE can produce", memberSource)
        }
        guard cap.allows(expected) else {
            throw cap.error("member '\(entry.name)' decompresses to \(ByteCount.text(expected, exact: true))",
                            source: memberSource)
        }
        let inflated: Data
        do {
            inflated = try Zlib.inflateRaw(data, expectedSize: expected)
        } catch {
            let problem = switch error {
            case .corrupt(let message): "its DEFLATE data is invalid (\(message))"
            case .tooShort(let produced): "it inflates to \(produced) bytes, not the \(expected) recorded"
            case .tooLong: "it inflates to more than the \(expected) bytes recorded"
            }
            throw corrupt("member '\(entry.name)': \(problem)", memberSource)
        }
        return try inflated.withUnsafeBytes { buffer in
            try checkCRC(entry, buffer, memberSource)
            return try body(buffer)
        }
    }

    /// The bytes `entry` occupies in the archive (compressed, for DEFLATE), after checking that it is not
    /// encrypted, uses STORED or DEFLATE, has a matching local file header, lies inside the archive, and (if
    /// STORED) records equal compressed and uncompressed sizes. Reads only the local header: nothing is
    /// decompressed or checksummed.
    static func storedData(of entry: Entry, in bytes: UnsafeRawBufferPointer,
                           source: String) throws -> UnsafeRawBufferPointer {
        let memberSource = "\(source):\(entry.name)"
        if entry.flags & 1 != 0 {
            throw NPYError(.unsupportedCompression,
                           "member '\(entry.name)' is encrypted, which is not supported. Re-create the archive "
                           + "without a password (np.savez).",
                           source: memberSource)
        }
        guard entry.method == 0 || entry.method == 8 else {
            throw NPYError(.unsupportedCompression,
                           "member '\(entry.name)' uses compression method \(entry.method)"
                           + "\(methodName(entry.method)); only 0 (stored) and 8 (deflate) are supported. Re-save "
                           + "it with np.savez or np.savez_compressed.",
                           source: memberSource)
        }
        let view = ByteView(bytes: bytes)
        guard let header = Int(exactly: entry.localHeaderOffset), view.u32(header) == localHeaderSignature,
              let nameLength = view.u16(header + 26), let extraLength = view.u16(header + 28),
              let nameBytes = view.slice(header + 30, count: Int(nameLength)) else {
            throw corrupt("member '\(entry.name)': no local file header at offset \(entry.localHeaderOffset)",
                          memberSource)
        }
        guard decodeName(nameBytes) == entry.name else {
            throw corrupt("member '\(entry.name)': the local file header names it "
                          + "'\(decodeName(nameBytes))'", memberSource)
        }
        let dataStart = header + 30 + Int(nameLength) + Int(extraLength)
        guard let compressedSize = Int(exactly: entry.compressedSize),
              let data = view.slice(dataStart, count: compressedSize) else {
            throw corrupt("member '\(entry.name)': its \(entry.compressedSize) bytes of data run past the end of the "
                          + "\(bytes.count)-byte archive (truncated?)", memberSource)
        }
        if entry.method == 0, entry.compressedSize != entry.uncompressedSize {
            throw corrupt("stored member '\(entry.name)' has compressed size \(entry.compressedSize) but "
                          + "uncompressed size \(entry.uncompressedSize)", memberSource)
        }
        return data
    }

    /// Checks that `entry` has a local file header naming it as the central directory does (what Python's
    /// `zipfile` checks before reading any member): a member whose name was damaged in one of the two places is a
    /// corrupt archive, even when Tangent would otherwise skip the member.
    static func checkLocalName(of entry: Entry, in bytes: UnsafeRawBufferPointer, source: String) throws {
        let view = ByteView(bytes: bytes)
        guard let header = Int(exactly: entry.localHeaderOffset), view.u32(header) == localHeaderSignature,
              let nameLength = view.u16(header + 26),
              let nameBytes = view.slice(header + 30, count: Int(nameLength)) else {
            throw corrupt("member '\(entry.name)': no local file header at offset \(entry.localHeaderOffset)",
                          "\(source):\(entry.name)")
        }
        guard decodeName(nameBytes) == entry.name else {
            throw corrupt("member '\(entry.name)': the local file header names it '\(decodeName(nameBytes))'",
                          "\(source):\(entry.name)")
        }
    }

    static func checkCRC(_ entry: Entry, _ data: UnsafeRawBufferPointer, _ source: String) throws {
        try checkCRC(entry, actual: Zlib.crc32(data), source)
    }

    /// Compares the CRC-32 `actual` of a member's data with the one the archive records.
    static func checkCRC(_ entry: Entry, actual: UInt32, _ source: String) throws {
        guard actual == entry.crc32 else {
            throw corrupt("CRC-32 mismatch in member '\(entry.name)': the archive records \(hex32(entry.crc32)) but "
                          + "the data hashes to \(hex32(actual))", source)
        }
    }

    /// Finds the end-of-central-directory record, searching backwards to allow a trailing comment.
    private static func findEnd(_ view: ByteView, source: String) throws -> Int {
        let count = view.bytes.count
        if count >= 22 {
            let lowest = max(0, count - 22 - 0xFFFF)
            for candidate in stride(from: count - 22, through: lowest, by: -1)
            where view.u32(candidate) == endSignature {
                if let commentLength = view.u16(candidate + 20), candidate + 22 + Int(commentLength) <= count {
                    return candidate
                }
            }
        }
        let hint = view.u32(0).map { $0 & 0xFFFF } == 0x4E93 ? " (it looks like a .npy file: use NPY.read)" : ""
        throw NPYError(.corruptArchive,
                       "not a readable zip/.npz archive: no end-of-central-directory record found in its "
                       + "\(count) bytes\(hint). The file is truncated or not an .npz; re-create it with np.savez "
                       + "or NPZ.write.",
                       source: source)
    }

    private static func parseCentralEntry(_ view: ByteView, at position: Int, limit: Int, index: Int,
                                          source: String) throws -> (Entry, next: Int) {
        guard position <= limit - 46, view.u32(position) == centralHeaderSignature,
              let flags = view.u16(position + 8), let method = view.u16(position + 10),
              let crc = view.u32(position + 16), let compressed = view.u32(position + 20),
              let uncompressed = view.u32(position + 24), let nameLength = view.u16(position + 28),
              let extraLength = view.u16(position + 30), let commentLength = view.u16(position + 32),
              let offset = view.u32(position + 42) else {
            throw corrupt("central directory entry \(index + 1) at offset \(position) is damaged", source)
        }
        // "Version needed to extract" (major × 10 + minor, low byte): 6.3 is the newest format this reader (like
        // Python's zipfile) understands; np.savez writes 2.0, or 4.5 with Zip64.
        if let needed = view.u16(position + 6), needed & 0xFF > 63 {
            throw NPYError(.unsupportedCompression,
                           "central directory entry \(index + 1) needs zip version \((needed & 0xFF) / 10).\((needed & 0xFF) % 10) "
                           + "to extract; this reader supports up to 6.3. Re-create the archive (np.savez or NPZ.write).",
                           source: source)
        }
        let nameStart = position + 46
        let next = nameStart + Int(nameLength) + Int(extraLength) + Int(commentLength)
        guard next <= limit, let nameBytes = view.slice(nameStart, count: Int(nameLength)),
              let extra = view.slice(nameStart + Int(nameLength), count: Int(extraLength)) else {
            throw corrupt("central directory entry \(index + 1) runs past the end of the directory", source)
        }
        var entry = Entry(name: decodeName(nameBytes), flags: flags, method: method,
                          crc32: crc, compressedSize: UInt64(compressed), uncompressedSize: UInt64(uncompressed),
                          localHeaderOffset: UInt64(offset))
        try applyZip64Extra(ByteView(bytes: extra), to: &entry, source: source)
        return (entry, next)
    }

    /// Replaces 0xFFFFFFFF size/offset fields with the 64-bit values of the Zip64 extra field, which holds
    /// exactly the replaced fields in the order: uncompressed size, compressed size, local header offset.
    private static func applyZip64Extra(_ extra: ByteView, to entry: inout Entry, source: String) throws {
        var position = 0
        while let id = extra.u16(position), let length = extra.u16(position + 2) {
            let body = position + 4
            position = body + Int(length)
            guard id == zip64ExtraID else { continue }
            var field = body
            func next() throws -> UInt64 {
                guard field + 8 <= position, let value = extra.u64(field) else {
                    throw corrupt("member '\(entry.name)': its Zip64 extra field is too short", source)
                }
                field += 8
                return value
            }
            if entry.uncompressedSize == max32 { entry.uncompressedSize = try next() }
            if entry.compressedSize == max32 { entry.compressedSize = try next() }
            if entry.localHeaderOffset == max32 { entry.localHeaderOffset = try next() }
            return
        }
    }

    /// Member names: UTF-8 (flag bit 11, and in practice ASCII otherwise), else Latin-1.
    static func decodeName(_ bytes: UnsafeRawBufferPointer) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // Not UTF-8: treat as Latin-1 (close to the CP437 of old zip tools for the characters that matter).
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    private static func methodName(_ method: UInt16) -> String {
        switch method {
        case 1: " (shrink)"
        case 6: " (implode)"
        case 9: " (deflate64)"
        case 12: " (bzip2)"
        case 14: " (LZMA)"
        case 93: " (zstd)"
        case 95: " (xz)"
        case 98: " (PPMd)"
        default: ""
        }
    }

    private static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    static func corrupt(_ problem: String, _ source: String, fileID: String = #fileID, line: Int = #line) -> NPYError {
        NPYError(.corruptArchive, "corrupt archive: \(problem). Re-create the archive (np.savez or NPZ.write).",
                 source: source, fileID: fileID, line: line)
    }
}

/// Bounds-checked little-endian reads from a byte buffer; out-of-range reads return nil.
struct ByteView {
    let bytes: UnsafeRawBufferPointer

    func u16(_ offset: Int) -> UInt16? { load(offset) }
    func u32(_ offset: Int) -> UInt32? { load(offset) }
    func u64(_ offset: Int) -> UInt64? { load(offset) }

    private func load<T: FixedWidthInteger>(_ offset: Int) -> T? {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset <= bytes.count - size else { return nil }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    func slice(_ offset: Int, count: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }
}

extension Data {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
