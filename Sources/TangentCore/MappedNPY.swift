import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `.npy` array read in slices from a read-only memory mapping of its file, so that arrays larger than
/// memory can be read one piece at a time.
///
/// Opening reads and validates the preamble and header with `pread` and checks the file's size against the
/// shape before anything is mapped: every damaged file gives the same `NPYError` code and message as
/// `NPY.read`, and a truncated file is an error, never a SIGBUS. The accessors copy elements out as `Double`
/// and then release the copied pages from the process's resident set (`madvise(MADV_DONTNEED)`, whole pages
/// around the range), so reading T slices one after another keeps the resident memory at about one slice
/// instead of growing to the whole file.
///
/// Byte order and layout:
/// - little- and big-endian files are read from the mapping (big-endian elements are swapped as they are
///   copied);
/// - Fortran-order files of rank 2 or more are not mapped: opening decodes the whole array into memory in C
///   order (refused with `.tooLarge` when it exceeds `maximumSize`), and the accessors read from that copy.
///   `isMapped` tells which.
///
/// The object is immutable and may be shared between threads; the mapping is removed when it is released.
public final class MappedNPY: @unchecked Sendable {
    /// The dimensions; `[]` for a 0-d array.
    public let shape: [Int]
    /// The element type (byte order aside).
    public let dtype: NPYDType
    /// The number of elements (the product of `shape`).
    public let count: Int
    /// The file path, or `"archive.npz:member.npy"`, as used in errors.
    public let source: String
    /// True when elements are read from the mapped file; false when the array was decoded into memory when
    /// opened (Fortran order, or a DEFLATE member of an archive).
    public var isMapped: Bool { if case .mapped = backing { true } else { false } }

    private enum Backing {
        /// Elements start at byte `dataOffset` of the mapping.
        case mapped(FileMapping, dataOffset: Int, bigEndian: Bool)
        case decoded(NPYStorage)
    }

    private let backing: Backing
    /// Whether accessors release the pages they copied. Internal, for tests that measure the difference; set
    /// it before the object is shared (it is the one mutable property of this otherwise immutable type).
    var releasesPages = true

    /// Opens the `.npy` file at `url`.
    ///
    /// - Parameter maximumSize: only used for files that must be decoded whole (Fortran order): such a file
    ///   whose data exceeds this many bytes is refused with `.tooLarge`. nil (the default) means the memory
    ///   available (`Machine.availableMemoryBytes`).
    public convenience init(url: URL, maximumSize: Int? = nil) throws {
        let source = url.path
        let (fd, size) = try FileMapping.openRegularFile(url)
        defer { _ = close(fd) }
        let prefix = try FileMapping.pread(fd, offset: 0, count: min(size, NPYLayout.maximumPreambleLength),
                                           source: source)
        let (range, utf8) = try prefix.withUnsafeBytes {
            try NPYLayout.headerRange(prefix: $0, fileSize: size, source: source)
        }
        let headerBytes = try FileMapping.pread(fd, offset: range.lowerBound, count: range.count, source: source)
        guard headerBytes.count == range.count else {
            throw NPYError(.truncated, "truncated header: the file became shorter while it was read. Re-write it.",
                           source: source)
        }
        let layout = try NPYLayout(header: headerBytes, utf8: utf8, dataOffset: range.upperBound, fileSize: size,
                                   source: source)
        let mapping = try FileMapping(fd: fd, length: size, source: source)
        try self.init(layout: layout, mapping: mapping, offset: 0, source: source, cap: MemoryCap(maximumSize))
    }

    /// A view of the `.npy` bytes that start at byte `offset` of `mapping` and are laid out as `layout` says
    /// (already checked against their size).
    init(layout: NPYLayout, mapping: FileMapping, offset: Int, source: String, cap: MemoryCap) throws {
        let header = layout.header
        shape = header.shape
        dtype = header.dtype
        count = layout.count
        self.source = source
        let dataOffset = offset + layout.dataOffset
        if header.fortranOrder && header.shape.count > 1 {
            guard cap.allows(layout.byteCount) else {
                throw cap.error("the Fortran-order array must be decoded whole to be read, and its data is "
                                + ByteCount.text(layout.byteCount, exact: true), source: source)
            }
            let data = UnsafeRawBufferPointer(rebasing: mapping.bytes[dataOffset..<(dataOffset + layout.byteCount)])
            backing = .decoded(NPYArray(decoded: header, data: data, count: layout.count).storage)
            mapping.release(dataOffset..<(dataOffset + layout.byteCount))
        } else {
            backing = .mapped(mapping, dataOffset: dataOffset, bigEndian: header.bigEndian)
        }
    }

    /// A view of an array already in memory (a decompressed archive member).
    init(decoded array: NPYArray, source: String) {
        shape = array.shape
        dtype = array.dtype
        count = array.storage.count
        self.source = source
        backing = .decoded(array.storage)
    }

    /// The elements at flat C-order positions `range`, converted to `Double` (float32 and the integer types
    /// exactly, int64 beyond ±2^53 rounded, bool as 0 or 1). Throws `.shapeMismatch` if `range` is not within
    /// `0..<count`.
    public func doubles(range: Range<Int>) throws -> [Double] {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw NPYError(.shapeMismatch,
                           "elements \(range.lowerBound)..<\(range.upperBound) are outside the \(count) elements of "
                           + "shape \(NPYArray.describe(shape: shape)). Ask for a range within 0..<\(count).",
                           source: source)
        }
        let result = [Double](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            copy(range, into: buffer)
            initialized = range.count
        }
        release(range)
        return result
    }

    /// The 2-D slice over the last two axes at the indices `leading` of the others (e.g. for shape
    /// (T, C, N, N), `matrix(at: [t, c])` is the N × N matrix at [t, c]), optionally restricted to `rows` and
    /// `columns` of that slice, converted to `Double` as `doubles(range:)` does.
    ///
    /// Throws `.shapeMismatch` if the array has rank < 2, `leading` does not have rank − 2 indices, or an
    /// index or range is out of bounds.
    public func matrix(at leading: [Int], rows: Range<Int>? = nil,
                       columns: Range<Int>? = nil) throws -> Matrix<Double> {
        let rank = shape.count
        let shapeText = NPYArray.describe(shape: shape)
        guard rank >= 2 else {
            throw NPYError(.shapeMismatch, "matrix(at:) reads the last two axes, but the array has shape \(shapeText) "
                           + "(rank \(rank)). Use doubles(range:) for arrays of rank 0 and 1.", source: source)
        }
        guard leading.count == rank - 2 else {
            throw NPYError(.shapeMismatch, "matrix(at:) needs \(rank - 2) leading indices for shape \(shapeText), "
                           + "got \(leading.count) (\(leading)). Pass one index per axis before the last two.",
                           source: source)
        }
        for (axis, index) in leading.enumerated() where !(0..<shape[axis]).contains(index) {
            throw NPYError(.shapeMismatch, "index \(index) on axis \(axis) is out of range for shape \(shapeText) "
                           + "(valid: 0..<\(shape[axis])). Pass indices within the shape.", source: source)
        }
        let height = shape[rank - 2], width = shape[rank - 1]
        let rows = rows ?? 0..<height
        let columns = columns ?? 0..<width
        guard rows.lowerBound >= 0, rows.upperBound <= height, columns.lowerBound >= 0, columns.upperBound <= width
        else {
            throw NPYError(.shapeMismatch, "rows \(rows.lowerBound)..<\(rows.upperBound) and columns "
                           + "\(columns.lowerBound)..<\(columns.upperBound) do not fit the \(height) × \(width) "
                           + "slices of shape \(shapeText). Pass ranges within the slice.", source: source)
        }
        var slice = 0
        for (axis, index) in leading.enumerated() { slice = slice * shape[axis] + index }
        let base = slice * height * width
        let elements = [Double](unsafeUninitializedCapacity: rows.count * columns.count) { buffer, initialized in
            if columns.count == width {
                copy((base + rows.lowerBound * width)..<(base + rows.upperBound * width), into: buffer)
            } else if !columns.isEmpty {
                for (k, row) in rows.enumerated() {
                    let start = base + row * width + columns.lowerBound
                    let target = UnsafeMutableBufferPointer(rebasing: buffer[(k * columns.count)..<((k + 1) * columns.count)])
                    copy(start..<(start + columns.count), into: target)
                }
            }
            initialized = rows.count * columns.count
        }
        if !rows.isEmpty, !columns.isEmpty {
            release((base + rows.lowerBound * width + columns.lowerBound)..<(base + (rows.upperBound - 1) * width
                                                                            + columns.upperBound))
        }
        return try! Matrix(rows: rows.count, columns: columns.count, elements: elements)
    }

    // MARK: - Internals

    /// Converts the elements at flat positions `range` (within bounds) into `target` (of `range.count`).
    private func copy(_ range: Range<Int>, into target: UnsafeMutableBufferPointer<Double>) {
        guard !range.isEmpty else { return }
        switch backing {
        case .mapped(let mapping, let dataOffset, let bigEndian):
            let item = dtype.itemSize
            let start = dataOffset + range.lowerBound * item
            let raw = UnsafeRawBufferPointer(rebasing: mapping.bytes[start..<(start + range.count * item)])
            NPYElements.convertToDoubles(raw, dtype: dtype, bigEndian: bigEndian, into: target)
        case .decoded(let storage):
            switch storage {
            case .float64(let v): for (k, i) in range.enumerated() { target[k] = v[i] }
            case .float32(let v): for (k, i) in range.enumerated() { target[k] = Double(v[i]) }
            case .int64(let v): for (k, i) in range.enumerated() { target[k] = Double(v[i]) }
            case .int32(let v): for (k, i) in range.enumerated() { target[k] = Double(v[i]) }
            case .uint8(let v): for (k, i) in range.enumerated() { target[k] = Double(v[i]) }
            case .bool(let v): for (k, i) in range.enumerated() { target[k] = v[i] ? 1 : 0 }
            }
        }
    }

    /// Releases the pages holding the elements at flat positions `range`.
    private func release(_ range: Range<Int>) {
        guard releasesPages, case .mapped(let mapping, let dataOffset, _) = backing, !range.isEmpty else { return }
        let item = dtype.itemSize
        mapping.release((dataOffset + range.lowerBound * item)..<(dataOffset + range.upperBound * item))
    }
}

extension NPZ {
    /// A `MappedNPY` view of the array `name` (without `.npy`) in the `.npz` file at `url`, read slice by slice
    /// from a mapping of the archive.
    ///
    /// The archive's central directory and the member's local header are checked against the file's size
    /// before the member is touched, and the member's `.npy` header is validated as `NPY.read` does, with
    /// errors naming `"archive.npz:name.npy"`. A missing name is `.missingMember`, listing the arrays present.
    ///
    /// - STORED members (`np.savez`, `NPZ.write`) are mapped. Their CRC-32 is not checked unless `verifyCRC`
    ///   is true, since checking reads the whole member (in pieces whose pages are released, so it costs time
    ///   but not memory); a mismatch is `.corruptArchive`.
    /// - DEFLATE members (`np.savez_compressed`) cannot be mapped: they are inflated and decoded in full
    ///   (`isMapped` is false), refused with `.tooLarge` beyond `maximumSize` (nil, the default: the memory
    ///   available), and always CRC-checked.
    public static func mappedMember(_ name: String, contentsOf url: URL, verifyCRC: Bool = false,
                                    maximumSize: Int? = nil) throws -> MappedNPY {
        let source = url.path
        let cap = MemoryCap(maximumSize)
        let mapping = try FileMapping(url: url)
        let archive = mapping.bytes
        let entry = try member(name, in: archive, source: source)
        let memberSource = "\(source):\(entry.name)"
        let data = try ZipArchive.storedData(of: entry, in: archive, source: source)
        let offset = data.baseAddress.flatMap { start in archive.baseAddress.map { start - $0 } } ?? 0
        if entry.method != 0 {
            let array = try ZipArchive.withContents(of: entry, in: archive, source: source, cap: cap) { contents in
                try NPY.decode(bytes: contents, source: memberSource)
            }
            return MappedNPY(decoded: array, source: memberSource)
        }
        if verifyCRC {
            var crc: UInt32 = 0
            var start = 0
            while start < data.count {
                let end = min(data.count, start + NPYElements.chunkBytes)
                crc = Zlib.crc32(UnsafeRawBufferPointer(rebasing: data[start..<end]), continuing: crc)
                mapping.release((offset + start)..<(offset + end))
                start = end
            }
            try ZipArchive.checkCRC(entry, actual: crc, memberSource)
        }
        let layout = try NPYLayout(file: data, source: memberSource)
        return try MappedNPY(layout: layout, mapping: mapping, offset: offset, source: memberSource, cap: cap)
    }
}
