/// Where the parts of a `.npy` file lie: its validated header, and the offset and size of its data.
///
/// Found in two steps so that a file can be checked before it is read or mapped: `headerRange` needs only the
/// first bytes of the file and its size, `init(header:...)` the header dictionary's bytes. `NPY.decode`
/// (whole files in memory) and `MappedNPY` (mapped files and archive members) share them, so both raise the
/// same `NPYError` codes and messages for the same damage.
struct NPYLayout {
    var header: NPYHeader
    /// Offset of the first element from the start of the file.
    var dataOffset: Int
    /// Number of elements (the product of the shape).
    var count: Int
    /// Bytes of element data: `count * itemSize`, which is exactly what follows the header.
    var byteCount: Int

    /// The longest preamble: magic (6), version (2), header length (4 in versions 2.0 and 3.0).
    static let maximumPreambleLength = 12

    /// Checks the preamble and returns where the header dictionary lies and whether it is UTF-8 (format 3.0).
    ///
    /// `prefix` holds the first `min(fileSize, maximumPreambleLength)` or more bytes of a file of `fileSize`
    /// bytes. Errors: `.badMagic`, `.unsupportedVersion`, `.truncated` (the file ends inside the preamble or
    /// the declared header).
    static func headerRange(prefix bytes: UnsafeRawBufferPointer, fileSize: Int,
                            source: String) throws -> (range: Range<Int>, utf8: Bool) {
        let magic = NPYHeader.magic
        guard fileSize >= magic.count, bytes.count >= magic.count, bytes.prefix(magic.count).elementsEqual(magic) else {
            if fileSize < magic.count, bytes.prefix(fileSize).elementsEqual(magic.prefix(fileSize)) {
                throw NPYError(.truncated,
                               "truncated header: the file is only \(fileSize) bytes, shorter than the 10-byte "
                               + ".npy preamble. The file was cut short; re-write it.",
                               source: source)
            }
            throw NPYError(.badMagic,
                           "not a .npy file: expected the magic bytes 93 4E 55 4D 50 59 (\\x93NUMPY) at the start "
                           + "but found \(hex(bytes.prefix(6)))\(magicHint(bytes)). Check that the path points to "
                           + "a file written by np.save or NPY.write.",
                           source: source)
        }
        guard fileSize >= magic.count + 2, bytes.count >= magic.count + 2 else {
            throw NPYError(.truncated, "truncated header: the file ends inside the format version bytes. "
                           + "The file was cut short; re-write it.", source: source)
        }
        let major = bytes[6], minor = bytes[7]
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default:
            throw NPYError(.unsupportedVersion,
                           "unsupported .npy format version \(major).\(minor); this reader supports 1.0, 2.0 and "
                           + "3.0. Re-save the array with np.save (or np.lib.format.write_array(..., "
                           + "version=(1, 0))).",
                           source: source)
        }
        let headerStart = 8 + lengthBytes
        guard fileSize >= headerStart, bytes.count >= headerStart else {
            throw NPYError(.truncated,
                           "truncated header: the file is only \(fileSize) bytes and ends inside the "
                           + "header-length field of the \(headerStart)-byte preamble. The file was cut short; "
                           + "re-write it.",
                           source: source)
        }
        var headerLength = 0
        for i in 0..<lengthBytes { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        let available = fileSize - headerStart
        guard headerLength <= available else {
            throw NPYError(.truncated,
                           "truncated header: the preamble declares a \(headerLength)-byte header but only "
                           + "\(available) bytes follow it. The file was cut short; re-write it.",
                           source: source)
        }
        return (headerStart..<(headerStart + headerLength), major == 3)
    }

    /// Parses the header dictionary `headerBytes` (which ends at `dataOffset`) and checks that a file of
    /// `fileSize` bytes holds exactly the data it declares. Errors: `.badHeader`, `.unsupportedDType`,
    /// `.truncated` (too little data), `.shapeMismatch` (bytes beyond the data).
    init(header headerBytes: [UInt8], utf8: Bool, dataOffset: Int, fileSize: Int, source: String) throws {
        let header = try NPYHeader.parse(headerBytes, utf8: utf8, source: source)
        let dataCount = fileSize - dataOffset
        let shapeText = NPYArray.describe(shape: header.shape)
        guard let count = NPYArray.elementCount(of: header.shape),
              case let (byteCount, overflow) = count.multipliedReportingOverflow(by: header.dtype.itemSize),
              !overflow else {
            throw NPYError(.badHeader,
                           "malformed header: shape \(shapeText) of '\(header.descr)' describes more bytes than "
                           + "can exist. The header is corrupt; re-write the file.",
                           source: source)
        }
        if dataCount < byteCount {
            throw NPYError(.truncated,
                           "truncated data: header declares shape \(shapeText) of \(header.descr) = \(byteCount) "
                           + "bytes but only \(dataCount) bytes follow. The file was cut short; re-write it.",
                           source: source)
        }
        if dataCount > byteCount {
            throw NPYError(.shapeMismatch,
                           "shape/data mismatch: header declares shape \(shapeText) of \(header.descr) = "
                           + "\(byteCount) bytes but \(dataCount) bytes follow (\(dataCount - byteCount) "
                           + "extra). The header and the data disagree; re-write the file with np.save or "
                           + "NPY.write.",
                           source: source)
        }
        self.header = header
        self.dataOffset = dataOffset
        self.count = count
        self.byteCount = byteCount
    }

    /// Both steps on `bytes`, which hold a whole file.
    init(file bytes: UnsafeRawBufferPointer, source: String) throws {
        let (range, utf8) = try NPYLayout.headerRange(prefix: bytes, fileSize: bytes.count, source: source)
        try self.init(header: Array(bytes[range]), utf8: utf8, dataOffset: range.upperBound, fileSize: bytes.count,
                      source: source)
    }

    private static func hex(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        bytes.isEmpty ? "nothing (the file is empty)" : bytes.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }

    private static func magicHint(_ bytes: UnsafeRawBufferPointer) -> String {
        if bytes.starts(with: [0x50, 0x4B]) { return " (this looks like a zip archive: use NPZ.read for .npz files)" }
        return ""
    }
}
