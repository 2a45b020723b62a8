import Foundation

/// Writes a `.npy` file element by element, for arrays too large to hold in memory (e.g. a kernel of shape
/// (T, C, N, N) produced one N × N slice at a time).
///
/// The contract:
/// - `init` creates the file for `dtype` and `shape` as a temporary file next to `url`, writes the header
///   (byte-identical to `NPY.encode` / numpy's `np.save` for that dtype and shape) and reserves the whole
///   file's size on disk at once (`posix_fallocate`, or `ftruncate` where the file system cannot reserve).
///   A disk without room fails here with `.io`, naming the bytes needed and available.
/// - `append` adds elements strictly in C (row-major) order, converting them to the file's dtype, and writes
///   them with `pwrite` in large pieces: values already in the file's dtype go straight from the caller's
///   array, others through a 1 MiB conversion buffer. Nothing else is kept, whatever the array's size.
///   Appending more than the shape holds is `.shapeMismatch`, and nothing of that call is written.
/// - Every byte written (header included) goes through a running SHA-256, so `finish` knows the file's
///   digest without reading it back.
/// - `finish` checks that exactly the shape's element count was appended (`.shapeMismatch` otherwise; the
///   writer stays open and more can be appended), optionally flushes the file to disk, and renames it over
///   `url` atomically. The finished file's bytes equal `NPY.encode` of the same array.
/// - A writer dropped (or `discard`ed) before `finish` closes its file descriptor and removes the temporary
///   file; `url` is untouched. After an I/O error, the writer is discarded and every further call fails.
///
/// Conversions: to float64 and float32 as Swift's `Double(_:)`/`Float(_:)` do (rounding to nearest); to
/// int64, int32 and uint8 only values that the integer type holds exactly (a fraction, NaN, infinity or an
/// out-of-range value is `.unsupportedDType`, naming the element, and nothing of that call is written); to
/// bool only 0 and 1. All six dtypes of `NPYDType` can be written.
///
/// Not thread-safe: use a writer from one thread at a time.
public final class NPYFileWriter {
    /// What `finish` produced.
    public struct Record: Sendable, Equatable {
        /// The finished file.
        public let url: URL
        /// The file's size in bytes (header and data).
        public let byteCount: Int
        /// SHA-256 of the whole file, 64 lowercase hexadecimal characters.
        public let sha256: String
    }

    /// The destination.
    public let url: URL
    public let dtype: NPYDType
    public let shape: [Int]
    /// The number of elements the shape holds (1 for a 0-d array).
    public let elementCount: Int
    /// The size of the finished file in bytes.
    public let byteCount: Int
    /// Elements appended so far.
    public private(set) var elementsWritten = 0
    /// True once `finish` has moved the file into place.
    public private(set) var isFinished = false
    /// The finished file's record (nil until `finish`).
    public private(set) var record: Record?

    private var file: AtomicOutputFile?
    private var hasher = SHA256Sum.Hasher()

    /// Creates the file for an array of `dtype` and `shape` (see the type's contract).
    ///
    /// Throws `.shapeMismatch` for a negative dimension or a shape whose byte size overflows, `.io` when the
    /// temporary file cannot be created or the disk lacks room.
    public init(url: URL, dtype: NPYDType, shape: [Int]) throws {
        guard let count = NPYArray.elementCount(of: shape),
              case let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize), !overflow else {
            throw NPYError(.shapeMismatch,
                           "invalid shape \(NPYArray.describe(shape: shape)): dimensions must be non-negative and the "
                           + "array's size must fit in Int. Pass a valid shape.", source: url.path)
        }
        let header = NPYHeader.encode(dtype: dtype, shape: shape)
        self.url = url
        self.dtype = dtype
        self.shape = shape
        elementCount = count
        byteCount = header.count + bytes
        let file = try AtomicOutputFile(url: url)
        try file.preallocate(byteCount)
        if byteCount >= Self.directWriteThreshold { file.useDirectWrites() }
        self.file = file
        try write(header)
    }

    deinit { file?.discard() }

    /// Files at least this large (64 MiB) are written around the page cache (`AtomicOutputFile.useDirectWrites`).
    static let directWriteThreshold = 64 << 20

    /// Appends `values` (see the type's contract for conversions).
    public func append(_ values: [Double]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    /// Appends `values` (see the type's contract for conversions). Disfavored so that an array literal such
    /// as `[1, 2]` means `[Double]`.
    @_disfavoredOverload
    public func append(_ values: [Float]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    /// Appends `values` (see the type's contract for conversions). Disfavored so that an array literal such
    /// as `[1, 2]` means `[Double]`.
    @_disfavoredOverload
    public func append(_ values: [Int64]) throws {
        try values.withUnsafeBufferPointer { try append($0) }
    }

    /// Appends the matrix's elements row by row.
    public func append<Scalar: TangentScalar>(contentsOf matrix: Matrix<Scalar>) throws {
        if Scalar.self == Double.self {
            try append(unsafeBitCast(matrix.elements, to: [Double].self))
        } else {
            try append(unsafeBitCast(matrix.elements, to: [Float].self))
        }
    }

    /// Checks that the whole array was appended, flushes the file to disk when `sync` is true (the default),
    /// and moves it into place at `url` (see the type's contract).
    @discardableResult
    public func finish(sync: Bool = true) throws -> Record {
        let file = try openFile()
        guard elementsWritten == elementCount else {
            throw NPYError(.shapeMismatch,
                           "cannot finish: shape \(NPYArray.describe(shape: shape)) holds \(elementCount) elements "
                           + "but \(elementsWritten) were appended. Append the remaining "
                           + "\(elementCount - elementsWritten) before finish().", source: url.path)
        }
        do {
            try file.commit(sync: sync)
        } catch {
            discard()
            throw error
        }
        self.file = nil
        isFinished = true
        let record = Record(url: url, byteCount: byteCount, sha256: hasher.hexDigest())
        self.record = record
        return record
    }

    /// Abandons the file: closes it and removes the temporary file (idempotent). Further calls fail.
    public func discard() {
        file?.discard()
        file = nil
    }

    // MARK: - Internals

    private func openFile() throws -> AtomicOutputFile {
        guard let file else {
            throw NPYError(.io, "the writer is closed: finish() or discard() was called, or an earlier write failed. "
                           + "Create a new NPYFileWriter.", source: url.path)
        }
        return file
    }

    /// Checks that `count` more elements fit the shape.
    private func reserve(_ count: Int) throws {
        _ = try openFile()
        guard count <= elementCount - elementsWritten else {
            throw NPYError(.shapeMismatch,
                           "cannot append \(count) elements: shape \(NPYArray.describe(shape: shape)) holds "
                           + "\(elementCount) and \(elementsWritten) were already appended (room for "
                           + "\(elementCount - elementsWritten)). Append exactly the shape's elements, in C order.",
                           source: url.path)
        }
    }

    /// Hashes and writes `bytes` at the end of what was written; discards the file on failure.
    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        let file = try openFile()
        hasher.update(bytes)
        do {
            try file.write(bytes)
        } catch {
            discard()
            throw error
        }
    }

    private func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    private func append<Source: NPYConvertible>(_ values: UnsafeBufferPointer<Source>) throws {
        try reserve(values.count)
        switch dtype {
        case .float64: try write(values, as: Double.self)
        case .float32: try write(values, as: Float.self)
        case .int64: try write(values, as: Int64.self)
        case .int32: try write(values, as: Int32.self)
        case .uint8: try write(values, as: UInt8.self)
        case .bool: try write(values, as: Bool.self)
        }
        elementsWritten += values.count
    }

    /// Converts `values` to `Target` and writes their little-endian bytes: directly from `values` when no
    /// conversion is needed, otherwise through a reused staging buffer. For integer targets every value is
    /// checked before anything is written.
    private func write<Source: NPYConvertible, Target: NPYStorable>(_ values: UnsafeBufferPointer<Source>,
                                                                   as _: Target.Type) throws {
        if Source.self == Target.self, let same = values.baseAddress {
            let typed = UnsafeBufferPointer(start: UnsafeRawPointer(same).assumingMemoryBound(to: Target.self),
                                            count: values.count)
            try Target.forEachLittleEndianChunk(typed) { try write($0) }
            return
        }
        if !Target.isFloatingPoint {
            if let bad = values.firstIndex(where: { $0.exactInt64.flatMap(Target.exactly) == nil }) {
                throw NPYError(.unsupportedDType,
                               "cannot store element \(elementsWritten + bad) (\(values[bad])) as \(dtype.name): it "
                               + "is not a value \(dtype.name) holds exactly. Round or clip the values first, or "
                               + "write a float dtype. Nothing of this append was written.",
                               source: url.path)
            }
        }
        let perChunk = max(1, NPYElements.stagingBytes / MemoryLayout<Target>.stride)
        var staging = [Target]()
        staging.reserveCapacity(min(perChunk, values.count))
        var start = 0
        while start < values.count {
            let end = min(values.count, start + perChunk)
            staging.removeAll(keepingCapacity: true)
            for value in values[start..<end] { staging.append(Target.converting(value)) }
            try staging.withUnsafeBufferPointer { buffer in try Target.forEachLittleEndianChunk(buffer) { try write($0) } }
            start = end
        }
    }
}

/// The element types `NPYFileWriter.append` takes.
protocol NPYConvertible: CustomStringConvertible {
    /// The value rounded to `Double`.
    var doubleValue: Double { get }
    /// The value rounded to `Float`.
    var floatValue: Float { get }
    /// The value as an `Int64` if it is one exactly (no fraction, not NaN or infinite, in range), else nil.
    var exactInt64: Int64? { get }
}

extension Double: NPYConvertible {
    var doubleValue: Double { self }
    var floatValue: Float { Float(self) }
    var exactInt64: Int64? { Int64(exactly: self) }
}

extension Float: NPYConvertible {
    var doubleValue: Double { Double(self) }
    var floatValue: Float { self }
    var exactInt64: Int64? { Int64(exactly: self) }
}

extension Int64: NPYConvertible {
    var doubleValue: Double { Double(self) }
    var floatValue: Float { Float(self) }
    var exactInt64: Int64? { self }
}

/// The element types of `.npy` files, as `NPYFileWriter` converts to them.
protocol NPYStorable {
    /// True for float64 and float32, to which every value converts (rounding); false for the integer types
    /// and bool, which take only the values `exactly` accepts.
    static var isFloatingPoint: Bool { get }
    /// `value` if this type holds it exactly, else nil (integer and bool types; bool holds 0 and 1).
    static func exactly(_ value: Int64) -> Self?
    /// `value` converted; for integer and bool types only called on values that `exactly` accepts.
    static func converting<Source: NPYConvertible>(_ value: Source) -> Self
    /// `NPYElements.forEachLittleEndianChunk` for this type.
    static func forEachLittleEndianChunk(_ values: UnsafeBufferPointer<Self>,
                                         _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows
}

extension Double: NPYStorable {
    static var isFloatingPoint: Bool { true }
    static func exactly(_ value: Int64) -> Double? { Double(exactly: value) }
    static func converting<Source: NPYConvertible>(_ value: Source) -> Double { value.doubleValue }
    static func forEachLittleEndianChunk(_ values: UnsafeBufferPointer<Double>,
                                         _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try NPYElements.forEachLittleEndianChunk(values, body)
    }
}

extension Float: NPYStorable {
    static var isFloatingPoint: Bool { true }
    static func exactly(_ value: Int64) -> Float? { Float(exactly: value) }
    static func converting<Source: NPYConvertible>(_ value: Source) -> Float { value.floatValue }
    static func forEachLittleEndianChunk(_ values: UnsafeBufferPointer<Float>,
                                         _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try NPYElements.forEachLittleEndianChunk(values, body)
    }
}

extension Int64: NPYStorable {
    static var isFloatingPoint: Bool { false }
    static func exactly(_ value: Int64) -> Int64? { value }
    static func converting<Source: NPYConvertible>(_ value: Source) -> Int64 { value.exactInt64! }
    static func forEachLittleEndianChunk(_ values: UnsafeBufferPointer<Int64>,
                                         _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try NPYElements.forEachLittleEndianChunk(values, body)
    }
}

extension Int32: NPYStorable {
    static var isFloatingPoint: Bool { false }
    static func exactly(_ value: Int64) -> Int32? { Int32(exactly: value) }
    static func converting<Source: NPYConvertible>(_ value: Source) -> Int32 { Int32(value.exactInt64!) }
    static func forEachLittleEndianChunk(_ values: UnsafeBufferPointer<Int32>,
                                         _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try NPYElements.forEachLittleEndianChunk(values, body)
    }
}

extension UInt8: NPYStorable {
    static var isFloatingPoint: Bool { false }
    static func exactly(_ value: Int64) -> UInt8? { UInt8(exactly: value) }
    static func converting<Source: NPYConvertible>(_ value: Source) -> UInt8 { UInt8(value.exactInt64!) }
    static func forEachLittleEndianChunk(_ values: UnsafeBufferPointer<UInt8>,
                                         _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try NPYElements.forEachLittleEndianChunk(values, body)
    }
}

extension Bool: NPYStorable {
    static var isFloatingPoint: Bool { false }
    static func exactly(_ value: Int64) -> Bool? { value == 0 ? false : value == 1 ? true : nil }
    static func converting<Source: NPYConvertible>(_ value: Source) -> Bool { value.exactInt64! != 0 }
    static func forEachLittleEndianChunk(_ values: UnsafeBufferPointer<Bool>,
                                         _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try NPYElements.forEachLittleEndianChunk(values, body)
    }
}
