import Foundation

/// Fixed-size element types that can be bulk-copied from and to little/big-endian bytes.
protocol NPYElement {
    var byteSwappedElement: Self { get }
}

extension Double: NPYElement { var byteSwappedElement: Double { Double(bitPattern: bitPattern.byteSwapped) } }
extension Float: NPYElement { var byteSwappedElement: Float { Float(bitPattern: bitPattern.byteSwapped) } }
extension Int64: NPYElement { var byteSwappedElement: Int64 { byteSwapped } }
extension Int32: NPYElement { var byteSwappedElement: Int32 { byteSwapped } }
extension UInt8: NPYElement { var byteSwappedElement: UInt8 { self } }

enum NPYElements {
    static let hostIsLittleEndian = 1.littleEndian == 1

    /// Copies `count` elements of `T` out of `raw` (which must hold at least `count * stride` bytes) with one
    /// memcpy, byte-swapping afterwards if the file's byte order differs from the host's.
    static func load<T: NPYElement>(_ raw: UnsafeRawBufferPointer, count: Int, bigEndian: Bool) -> [T] {
        let byteCount = count * MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if byteCount > 0, let source = raw.baseAddress, let target = buffer.baseAddress {
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: byteCount)
                if bigEndian == hostIsLittleEndian {
                    for i in 0..<count { buffer[i] = buffer[i].byteSwappedElement }
                }
            }
            initialized = count
        }
    }

    /// Bools are stored one byte each; any non-zero byte is true (as numpy treats it).
    static func loadBools(_ raw: UnsafeRawBufferPointer, count: Int) -> [Bool] {
        [Bool](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer.initializeElement(at: i, to: raw[i] != 0) }
            initialized = count
        }
    }

    /// Appends `values` to `data` as little-endian bytes (one memcpy on little-endian hosts).
    static func appendLittleEndian<T: NPYElement>(_ values: [T], to data: inout Data) {
        if hostIsLittleEndian {
            values.withUnsafeBufferPointer { data.append($0) }
        } else {
            values.map(\.byteSwappedElement).withUnsafeBufferPointer { data.append($0) }
        }
    }

    /// Appends bools as bytes 0 and 1: Swift stores `Bool` as exactly one such byte, so this is a memcpy.
    static func appendBools(_ values: [Bool], to data: inout Data) {
        values.withUnsafeBufferPointer { bools in
            bools.withMemoryRebound(to: UInt8.self) { data.append($0) }
        }
    }

    /// The largest piece of element bytes handed out at once by `forEachLittleEndianChunk`.
    static let chunkBytes = 1 << 26
    /// The size of the buffer used to byte-swap or convert elements on their way to a file.
    static let stagingBytes = 1 << 20

    /// Calls `body` with the little-endian bytes of `values`, in order, in pieces of at most `chunkBytes`:
    /// views of the elements' own memory on little-endian hosts (no copy), byte-swapped copies in one reused
    /// `stagingBytes` buffer on big-endian hosts. Bools are their own bytes (0 or 1). Nothing is called for
    /// no elements.
    static func forEachLittleEndianChunk<T: NPYElement>(_ values: UnsafeBufferPointer<T>,
                                                        _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let stride = MemoryLayout<T>.stride
        if hostIsLittleEndian || stride == 1 {
            try forEachChunk(UnsafeRawBufferPointer(values), body)
            return
        }
        let perChunk = max(1, stagingBytes / stride)
        var staging = [T]()
        staging.reserveCapacity(min(perChunk, values.count))
        var start = 0
        while start < values.count {
            let end = min(values.count, start + perChunk)
            staging.removeAll(keepingCapacity: true)
            for value in values[start..<end] { staging.append(value.byteSwappedElement) }
            try staging.withUnsafeBytes(body)
            start = end
        }
    }

    /// Bools are stored as their own bytes (0 or 1).
    static func forEachLittleEndianChunk(_ values: UnsafeBufferPointer<Bool>,
                                         _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try forEachChunk(UnsafeRawBufferPointer(values), body)
    }

    /// `raw` in pieces of at most `chunkBytes`.
    private static func forEachChunk(_ raw: UnsafeRawBufferPointer,
                                     _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var start = 0
        while start < raw.count {
            let end = min(raw.count, start + chunkBytes)
            try body(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
            start = end
        }
    }

    /// `forEachLittleEndianChunk` over the elements of `storage`: the bytes `.npy` files hold after the header.
    static func forEachLittleEndianChunk(of storage: NPYStorage,
                                         _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        switch storage {
        case .float64(let v): try v.withUnsafeBufferPointer { try forEachLittleEndianChunk($0, body) }
        case .float32(let v): try v.withUnsafeBufferPointer { try forEachLittleEndianChunk($0, body) }
        case .int64(let v): try v.withUnsafeBufferPointer { try forEachLittleEndianChunk($0, body) }
        case .int32(let v): try v.withUnsafeBufferPointer { try forEachLittleEndianChunk($0, body) }
        case .uint8(let v): try v.withUnsafeBufferPointer { try forEachLittleEndianChunk($0, body) }
        case .bool(let v): try v.withUnsafeBufferPointer { try forEachLittleEndianChunk($0, body) }
        }
    }

    /// Reorders elements stored in Fortran (column-major) order for `shape` into C (row-major) order.
    /// `values.count` must be the product of `shape`.
    static func fortranToC<T>(_ values: [T], shape: [Int]) -> [T] {
        let rank = shape.count
        guard rank > 1, !values.isEmpty else { return values }
        // Fortran strides, in elements: axis 0 is contiguous.
        var stride = [Int](repeating: 1, count: rank)
        for axis in 1..<rank { stride[axis] = stride[axis - 1] * shape[axis - 1] }
        var index = [Int](repeating: 0, count: rank)
        return [T](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { source in
                var offset = 0
                for position in 0..<values.count {
                    out.initializeElement(at: position, to: source[offset])
                    // Advance the C-order odometer (last axis fastest) and the matching Fortran offset.
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        offset += stride[axis]
                        if index[axis] < shape[axis] { break }
                        offset -= stride[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
            initialized = values.count
        }
    }
}

extension NPYElements {
    /// Converts `target.count` elements of `dtype` stored in `raw` (which must hold at least that many; any
    /// alignment) to `Double` into `target`: float32 and the integer types exactly (int64 beyond ±2^53
    /// rounds), bool to 0 or 1.
    static func convertToDoubles(_ raw: UnsafeRawBufferPointer, dtype: NPYDType, bigEndian: Bool,
                                 into target: UnsafeMutableBufferPointer<Double>) {
        switch dtype {
        case .float64: convert(raw, bigEndian, into: target) { (x: Double) in x }
        case .float32: convert(raw, bigEndian, into: target) { (x: Float) in Double(x) }
        case .int64: convert(raw, bigEndian, into: target) { (x: Int64) in Double(x) }
        case .int32: convert(raw, bigEndian, into: target) { (x: Int32) in Double(x) }
        case .uint8: convert(raw, false, into: target) { (x: UInt8) in Double(x) }
        case .bool: convert(raw, false, into: target) { (x: UInt8) in x != 0 ? 1 : 0 }
        }
    }

    private static func convert<T: NPYElement & BitwiseCopyable>(
        _ raw: UnsafeRawBufferPointer, _ bigEndian: Bool, into target: UnsafeMutableBufferPointer<Double>,
        _ transform: (T) -> Double
    ) {
        let stride = MemoryLayout<T>.stride
        precondition(raw.count >= target.count * stride, "not enough bytes for the elements")
        if T.self == Double.self, bigEndian != hostIsLittleEndian, let source = raw.baseAddress,
           let destination = target.baseAddress {
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: target.count * stride)
            return
        }
        let swap = stride > 1 && bigEndian == hostIsLittleEndian
        for i in 0..<target.count {
            let value = raw.loadUnaligned(fromByteOffset: i * stride, as: T.self)
            target[i] = transform(swap ? value.byteSwappedElement : value)
        }
    }
}
