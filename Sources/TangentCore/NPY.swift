import Foundation

/// Reading and writing numpy `.npy` files.
///
/// Writing produces exactly the bytes numpy 2.x `np.save` writes for a C-order array (format 1.0).
/// Reading accepts formats 1.0, 2.0 and 3.0, C or Fortran order, and the dtypes of `NPYDType` in
/// little-endian or big-endian byte order. Errors are `NPYError`.
public enum NPY {
    /// The `.npy` bytes for `array`, identical to what `np.save` writes.
    ///
    /// - Precondition: the product of `array.shape` equals `array.storage.count` (guaranteed unless `shape`
    ///   or `storage` was mutated inconsistently after initialization; `write` reports that as an error).
    public static func encode(_ array: NPYArray) -> Data {
        precondition(NPYArray.elementCount(of: array.shape) == array.storage.count,
                     "NPYArray shape \(NPYArray.describe(shape: array.shape)) does not match its "
                     + "\(array.storage.count) elements")
        let header = NPYHeader.encode(dtype: array.dtype, shape: array.shape)
        var data = Data()
        data.reserveCapacity(header.count + array.storage.count * array.dtype.itemSize)
        data.append(contentsOf: header)
        switch array.storage {
        case .float64(let v): NPYElements.appendLittleEndian(v, to: &data)
        case .float32(let v): NPYElements.appendLittleEndian(v, to: &data)
        case .int64(let v): NPYElements.appendLittleEndian(v, to: &data)
        case .int32(let v): NPYElements.appendLittleEndian(v, to: &data)
        case .uint8(let v): NPYElements.appendLittleEndian(v, to: &data)
        case .bool(let v): NPYElements.appendBools(v, to: &data)
        }
        return data
    }

    /// Decodes `.npy` bytes. `source` names the data in error messages (a path, or `"<memory>"`).
    public static func decode(_ data: Data, source: String = "<memory>") throws -> NPYArray {
        try data.withUnsafeBytes { try decode(bytes: $0, source: source) }
    }

    /// Reads a `.npy` file. Errors name the file's path.
    public static func read(contentsOf url: URL) throws -> NPYArray {
        let data = try FileIO.read(url)
        return try decode(data, source: url.path)
    }

    /// Writes `array` to `url` atomically: the bytes go to a temporary file in the same directory, which is
    /// flushed to disk and then renamed over `url`, so readers never see a partial file.
    public static func write(_ array: NPYArray, to url: URL) throws {
        try checkConsistent(array, source: url.path)
        try FileIO.writeAtomically(encode(array), to: url)
    }

    // MARK: - Internals

    static func checkConsistent(_ array: NPYArray, source: String) throws {
        guard NPYArray.elementCount(of: array.shape) == array.storage.count else {
            throw NPYError(.shapeMismatch,
                           "cannot save: shape \(NPYArray.describe(shape: array.shape)) does not match the "
                           + "\(array.storage.count) \(array.dtype.name) elements in storage. Set a shape whose "
                           + "product is the element count.",
                           source: source)
        }
    }

    /// Decodes `.npy` bytes in `bytes` (indices start at 0).
    static func decode(bytes: UnsafeRawBufferPointer, source: String) throws -> NPYArray {
        let magic = NPYHeader.magic
        guard bytes.count >= magic.count, bytes.prefix(magic.count).elementsEqual(magic) else {
            if bytes.elementsEqual(magic.prefix(bytes.count)) {
                throw NPYError(.truncated,
                               "truncated header: the file is only \(bytes.count) bytes, shorter than the 10-byte "
                               + ".npy preamble. The file was cut short; re-write it.",
                               source: source)
            }
            throw NPYError(.badMagic,
                           "not a .npy file: expected the magic bytes 93 4E 55 4D 50 59 (\\x93NUMPY) at the start "
                           + "but found \(hex(bytes.prefix(6)))\(magicHint(bytes)). Check that the path points to "
                           + "a file written by np.save or NPY.write.",
                           source: source)
        }
        guard bytes.count >= magic.count + 2 else {
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
        guard bytes.count >= headerStart else {
            throw NPYError(.truncated,
                           "truncated header: the file is only \(bytes.count) bytes and ends inside the "
                           + "header-length field of the \(headerStart)-byte preamble. The file was cut short; "
                           + "re-write it.",
                           source: source)
        }
        var headerLength = 0
        for i in 0..<lengthBytes { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        let available = bytes.count - headerStart
        guard headerLength <= available else {
            throw NPYError(.truncated,
                           "truncated header: the preamble declares a \(headerLength)-byte header but only "
                           + "\(available) bytes follow it. The file was cut short; re-write it.",
                           source: source)
        }
        let headerBytes = Array(bytes[headerStart..<(headerStart + headerLength)])
        let header = try NPYHeader.parse(headerBytes, utf8: major == 3, source: source)

        let dataStart = headerStart + headerLength
        let dataBytes = UnsafeRawBufferPointer(rebasing: bytes[dataStart...])
        let shapeText = NPYArray.describe(shape: header.shape)
        guard let count = NPYArray.elementCount(of: header.shape),
              case let (byteCount, overflow) = count.multipliedReportingOverflow(by: header.dtype.itemSize),
              !overflow else {
            throw NPYError(.badHeader,
                           "malformed header: shape \(shapeText) of '\(header.descr)' describes more bytes than "
                           + "can exist. The header is corrupt; re-write the file.",
                           source: source)
        }
        if dataBytes.count < byteCount {
            throw NPYError(.truncated,
                           "truncated data: header declares shape \(shapeText) of \(header.descr) = \(byteCount) "
                           + "bytes but only \(dataBytes.count) bytes follow. The file was cut short; re-write it.",
                           source: source)
        }
        if dataBytes.count > byteCount {
            throw NPYError(.shapeMismatch,
                           "shape/data mismatch: header declares shape \(shapeText) of \(header.descr) = "
                           + "\(byteCount) bytes but \(dataBytes.count) bytes follow (\(dataBytes.count - byteCount) "
                           + "extra). The header and the data disagree; re-write the file with np.save or "
                           + "NPY.write.",
                           source: source)
        }
        return NPYArray(decoded: header, data: dataBytes, count: count)
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

extension NPYArray {
    /// Builds the array from validated header and exactly `count` elements of data.
    init(decoded header: NPYHeader, data: UnsafeRawBufferPointer, count: Int) {
        let big = header.bigEndian
        var storage: NPYStorage = switch header.dtype {
        case .float64: .float64(NPYElements.load(data, count: count, bigEndian: big))
        case .float32: .float32(NPYElements.load(data, count: count, bigEndian: big))
        case .int64: .int64(NPYElements.load(data, count: count, bigEndian: big))
        case .int32: .int32(NPYElements.load(data, count: count, bigEndian: big))
        case .uint8: .uint8(NPYElements.load(data, count: count, bigEndian: big))
        case .bool: .bool(NPYElements.loadBools(data, count: count))
        }
        if header.fortranOrder {
            let shape = header.shape
            storage = switch storage {
            case .float64(let v): .float64(NPYElements.fortranToC(v, shape: shape))
            case .float32(let v): .float32(NPYElements.fortranToC(v, shape: shape))
            case .int64(let v): .int64(NPYElements.fortranToC(v, shape: shape))
            case .int32(let v): .int32(NPYElements.fortranToC(v, shape: shape))
            case .uint8(let v): .uint8(NPYElements.fortranToC(v, shape: shape))
            case .bool(let v): .bool(NPYElements.fortranToC(v, shape: shape))
            }
        }
        self.shape = header.shape
        self.storage = storage
    }
}
