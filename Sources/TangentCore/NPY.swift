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
        NPYElements.forEachLittleEndianChunk(of: array.storage) { chunk in
            if let base = chunk.baseAddress { data.append(base.assumingMemoryBound(to: UInt8.self), count: chunk.count) }
        }
        return data
    }

    /// Decodes `.npy` bytes. `source` names the data in error messages (a path, or `"<memory>"`).
    public static func decode(_ data: Data, source: String = "<memory>") throws -> NPYArray {
        try data.withUnsafeBytes { try decode(bytes: $0, source: source) }
    }

    /// Reads a `.npy` file. Errors name the file's path.
    ///
    /// - Parameter maximumSize: a file larger than this many bytes is refused with `.tooLarge` before it is
    ///   read; nil (the default) means the memory available (`Machine.availableMemoryBytes`).
    public static func read(contentsOf url: URL, maximumSize: Int? = nil) throws -> NPYArray {
        let data = try FileIO.read(url, cap: MemoryCap(maximumSize))
        return try decode(data, source: url.path)
    }

    /// Writes `array` to `url` atomically: the bytes go to a temporary file in the same directory, which is
    /// flushed to disk and then renamed over `url`, so readers never see a partial file. The elements are
    /// written from the array's own memory in large pieces; the file's bytes are never gathered in memory.
    public static func write(_ array: NPYArray, to url: URL) throws {
        try checkConsistent(array, source: url.path)
        let file = try AtomicOutputFile(url: url)
        try file.write(NPYHeader.encode(dtype: array.dtype, shape: array.shape))
        try NPYElements.forEachLittleEndianChunk(of: array.storage) { try file.write($0) }
        try file.commit(sync: true)
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

    /// Decodes `.npy` bytes in `bytes` (indices start at 0). Allocates nothing before the header and the data
    /// size have been checked against `bytes`, so a header cannot make it allocate more than the bytes hold.
    static func decode(bytes: UnsafeRawBufferPointer, source: String) throws -> NPYArray {
        let layout = try NPYLayout(file: bytes, source: source)
        let data = UnsafeRawBufferPointer(rebasing: bytes[layout.dataOffset...])
        return NPYArray(decoded: layout.header, data: data, count: layout.count)
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
