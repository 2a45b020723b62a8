import Foundation

// PROVISIONAL stub with the API of the streaming writer being built on branch io-streaming; replaced at merge.

/// A finished file: its path, size and SHA-256 (nil when not computed).
public struct NPYFileRecord: Sendable, Equatable {
    public var path: String
    public var size: Int
    public var sha256: String?
}

/// Writes a `.npy` file of a fixed dtype and shape by appending its elements in C order.
public final class NPYFileWriter {
    public let url: URL
    public let dtype: NPYDType
    public let shape: [Int]
    private let handle: FileHandle
    private var written = 0
    private let total: Int
    public private(set) var isFinished = false

    public init(url: URL, dtype: NPYDType, shape: [Int]) throws {
        self.url = url
        self.dtype = dtype
        self.shape = shape
        total = shape.reduce(1, *)
        guard FileManager.default.createFile(atPath: url.path, contents: Data(NPYHeader.encode(dtype: dtype, shape: shape))),
              let handle = FileHandle(forWritingAtPath: url.path) else {
            throw NPYError(.io, "cannot create the file", source: url.path)
        }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    public func append(_ values: [Double]) throws {
        var data = Data()
        switch dtype {
        case .float32: NPYElements.appendLittleEndian(values.map { Float($0) }, to: &data)
        default: NPYElements.appendLittleEndian(values, to: &data)
        }
        handle.write(data)
        written += values.count
    }

    public func append(_ values: [Float]) throws {
        var data = Data()
        switch dtype {
        case .float64: NPYElements.appendLittleEndian(values.map { Double($0) }, to: &data)
        default: NPYElements.appendLittleEndian(values, to: &data)
        }
        handle.write(data)
        written += values.count
    }

    public func append<S: TangentScalar>(contentsOf matrix: Matrix<S>) throws {
        if let m = matrix as? Matrix<Double> { try append(m.elements) } else if let m = matrix as? Matrix<Float> { try append(m.elements) }
    }

    @discardableResult
    public func finish(fsync: Bool = false) throws -> NPYFileRecord {
        guard written == total else {
            throw NPYError(.shapeMismatch, "wrote \(written) of \(total) elements", source: url.path)
        }
        try handle.close()
        isFinished = true
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return NPYFileRecord(path: url.path, size: size ?? 0, sha256: nil)
    }
}

/// A `.npy` file read slice by slice (PROVISIONAL: pread-based stub of the memory-mapped reader).
public final class MappedNPY {
    public let url: URL
    public let shape: [Int]
    public let dtype: NPYDType
    private let dataOffset: Int
    private let handle: FileHandle

    public init(url: URL) throws {
        self.url = url
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw NPYError(.io, "cannot open the file", source: url.path)
        }
        self.handle = handle
        let prefix = handle.readData(ofLength: 65536)
        let bytes = [UInt8](prefix)
        guard bytes.count >= 10 else { throw NPYError(.truncated, "too short", source: url.path) }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        var headerLength = 0
        for i in 0..<lengthBytes { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        let start = 8 + lengthBytes
        guard bytes.count >= start + headerLength else { throw NPYError(.truncated, "header", source: url.path) }
        let header = try NPYHeader.parse(Array(bytes[start..<start + headerLength]), utf8: major == 3, source: url.path)
        shape = header.shape
        dtype = header.dtype
        dataOffset = start + headerLength
    }

    deinit { try? handle.close() }

    /// Elements `range` (flat, C order) as Double.
    public func doubles(range: Range<Int>) throws -> [Double] {
        try handle.seek(toOffset: UInt64(dataOffset + range.lowerBound * dtype.itemSize))
        let data = handle.readData(ofLength: range.count * dtype.itemSize)
        guard data.count == range.count * dtype.itemSize else { throw NPYError(.truncated, "short read", source: url.path) }
        return try NPY.decode(Data(NPYHeader.encode(dtype: dtype, shape: [range.count])) + data).asDoubles()
    }

    /// The trailing 2-D slice at `leading` indices.
    public func matrix(at leading: [Int]) throws -> Matrix<Double> {
        let rows = shape[shape.count - 2], columns = shape[shape.count - 1]
        var offset = 0
        for (i, index) in leading.enumerated() { offset = offset * shape[i] + index }
        let start = offset * rows * columns
        return try Matrix(rows: rows, columns: columns, elements: try doubles(range: start..<start + rows * columns))
    }
}
