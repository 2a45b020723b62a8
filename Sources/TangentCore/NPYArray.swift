/// The element types Tangent reads and writes, named by their numpy `descr` (as written by `np.save`).
///
/// On reading, the big-endian forms `>f8 >f4 >i8 >i4` are accepted too and byte-swapped on load.
public enum NPYDType: String, Sendable, CaseIterable {
    case float64 = "<f8"
    case float32 = "<f4"
    case int64 = "<i8"
    case int32 = "<i4"
    case uint8 = "|u1"
    case bool = "|b1"

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .uint8, .bool: 1
        }
    }

    /// The numpy type name (`"float64"`, `"bool"`, ...).
    public var name: String {
        switch self {
        case .float64: "float64"
        case .float32: "float32"
        case .int64: "int64"
        case .int32: "int32"
        case .uint8: "uint8"
        case .bool: "bool"
        }
    }
}

/// The elements of an `NPYArray`, in C (row-major) order.
public enum NPYStorage: Sendable, Equatable {
    case float64([Double])
    case float32([Float])
    case int64([Int64])
    case int32([Int32])
    case uint8([UInt8])
    case bool([Bool])

    /// The dtype of the elements.
    public var dtype: NPYDType {
        switch self {
        case .float64: .float64
        case .float32: .float32
        case .int64: .int64
        case .int32: .int32
        case .uint8: .uint8
        case .bool: .bool
        }
    }

    /// The number of elements.
    public var count: Int {
        switch self {
        case .float64(let v): v.count
        case .float32(let v): v.count
        case .int64(let v): v.count
        case .int32(let v): v.count
        case .uint8(let v): v.count
        case .bool(let v): v.count
        }
    }
}

/// An n-dimensional array as stored in a `.npy` file: a shape and its elements in C (row-major) order.
///
/// Arrays read in Fortran order are transposed into C order on load, so `storage` is always row-major.
/// Equality compares shapes and elements (so, as for `[Double]`, arrays containing NaN are never equal).
public struct NPYArray: Sendable, Equatable {
    /// The dimensions; `[]` for a 0-d (scalar) array. Keep the product equal to `storage.count`:
    /// `NPY.encode` requires it, and the throwing writers report a mismatch as `.shapeMismatch`.
    public var shape: [Int]
    /// The elements in C order.
    public var storage: NPYStorage

    /// The element type.
    public var dtype: NPYDType { storage.dtype }

    /// The number of elements: the product of `shape` (1 for a 0-d array). If `shape` was set to something
    /// invalid (a negative or overflowing dimension), this is `storage.count` instead.
    public var count: Int { NPYArray.elementCount(of: shape) ?? storage.count }

    /// Creates an array; throws `NPYError` `.shapeMismatch` unless the product of `shape` is `storage.count`.
    public init(shape: [Int], storage: NPYStorage, fileID: String = #fileID, line: Int = #line) throws {
        guard let count = NPYArray.elementCount(of: shape) else {
            throw NPYError(.shapeMismatch,
                           "invalid shape \(NPYArray.describe(shape: shape)): dimensions must be non-negative and "
                           + "their product must fit in Int. Pass a valid shape.",
                           source: "<memory>", fileID: fileID, line: line)
        }
        guard count == storage.count else {
            throw NPYError(.shapeMismatch,
                           "shape \(NPYArray.describe(shape: shape)) needs \(count) elements but \(storage.count) "
                           + "\(storage.dtype.name) values were given. Pass exactly as many values as the "
                           + "product of the shape.",
                           source: "<memory>", fileID: fileID, line: line)
        }
        self.shape = shape
        self.storage = storage
    }

    /// A float64 array. Throws `.shapeMismatch` if `values.count` is not the product of `shape`.
    public init(_ values: [Double], shape: [Int]) throws { try self.init(shape: shape, storage: .float64(values)) }
    /// A float32 array. Throws `.shapeMismatch` if `values.count` is not the product of `shape`.
    public init(_ values: [Float], shape: [Int]) throws { try self.init(shape: shape, storage: .float32(values)) }
    /// An int64 array. Throws `.shapeMismatch` if `values.count` is not the product of `shape`.
    public init(_ values: [Int64], shape: [Int]) throws { try self.init(shape: shape, storage: .int64(values)) }
    /// An int32 array. Throws `.shapeMismatch` if `values.count` is not the product of `shape`.
    public init(_ values: [Int32], shape: [Int]) throws { try self.init(shape: shape, storage: .int32(values)) }
    /// A uint8 array. Throws `.shapeMismatch` if `values.count` is not the product of `shape`.
    public init(_ values: [UInt8], shape: [Int]) throws { try self.init(shape: shape, storage: .uint8(values)) }
    /// A bool array. Throws `.shapeMismatch` if `values.count` is not the product of `shape`.
    public init(_ values: [Bool], shape: [Int]) throws { try self.init(shape: shape, storage: .bool(values)) }

    /// The elements converted to `Double` (bool becomes 0 or 1; int64 beyond ±2^53 rounds).
    public func asDoubles() -> [Double] {
        switch storage {
        case .float64(let v): v
        case .float32(let v): v.map(Double.init)
        case .int64(let v): v.map(Double.init)
        case .int32(let v): v.map(Double.init)
        case .uint8(let v): v.map(Double.init)
        case .bool(let v): v.map { $0 ? 1 : 0 }
        }
    }

    /// The elements if the dtype is float64, else nil.
    public var doubles: [Double]? { if case .float64(let v) = storage { v } else { nil } }
    /// The elements if the dtype is float32, else nil.
    public var floats: [Float]? { if case .float32(let v) = storage { v } else { nil } }
    /// The elements if the dtype is int64, else nil.
    public var int64s: [Int64]? { if case .int64(let v) = storage { v } else { nil } }
    /// The elements if the dtype is int32, else nil.
    public var int32s: [Int32]? { if case .int32(let v) = storage { v } else { nil } }
    /// The elements if the dtype is uint8, else nil.
    public var uint8s: [UInt8]? { if case .uint8(let v) = storage { v } else { nil } }
    /// The elements if the dtype is bool, else nil.
    public var bools: [Bool]? { if case .bool(let v) = storage { v } else { nil } }

    /// The product of `shape`, or nil if a dimension is negative or the product overflows `Int`.
    /// A zero dimension makes the product 0 regardless of the others.
    static func elementCount(of shape: [Int]) -> Int? {
        if shape.contains(where: { $0 < 0 }) { return nil }
        if shape.contains(0) { return 0 }
        var product = 1
        for dim in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// A shape as Python writes a tuple: `()`, `(5,)`, `(3, 4)`.
    static func describe(shape: [Int]) -> String {
        switch shape.count {
        case 0: "()"
        case 1: "(\(shape[0]),)"
        default: "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
    }
}
