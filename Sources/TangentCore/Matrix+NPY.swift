/// Conversions between `Matrix` and `.npy` arrays.
extension NPYArray {
    /// A `<f8` or `<f4` array of `values` with `shape` (the product of `shape` must be `values.count`).
    public init<Scalar: TangentScalar>(_ values: [Scalar], shape: [Int]) throws {
        // TangentScalar is Double or Float; the bit casts avoid an element-wise array cast.
        let storage: NPYStorage = Scalar.self == Double.self
            ? .float64(unsafeBitCast(values, to: [Double].self)) : .float32(unsafeBitCast(values, to: [Float].self))
        try self.init(shape: shape, storage: storage)
    }

    /// A 2-D `<f8` or `<f4` array with the matrix's shape and elements.
    public init<Scalar: TangentScalar>(_ matrix: Matrix<Scalar>) {
        try! self.init(matrix.elements, shape: [matrix.rows, matrix.columns])
    }

    /// A 1-D `<f8` or `<f4` array of `values`.
    public init<Scalar: TangentScalar>(vector values: [Scalar]) {
        try! self.init(values, shape: [values.count])
    }
}

extension Matrix {
    /// A matrix from a 2-D numeric array (a 1-D array becomes a column; a 0-d array a 1×1 matrix), converting
    /// the dtype to `Scalar`. `name` appears in the error for arrays of rank > 2 or non-numeric dtype.
    public init(_ array: NPYArray, name: String = "array") throws {
        let shape = array.shape
        let (rows, columns): (Int, Int)
        switch shape.count {
        case 0: (rows, columns) = (1, 1)
        case 1: (rows, columns) = (shape[0], 1)
        case 2: (rows, columns) = (shape[0], shape[1])
        default:
            throw NumericsError(.shapeMismatch,
                                "\(name) has shape \(shape) (rank \(shape.count)); a matrix needs rank 1 or 2")
        }
        if case .bool = array.storage {
            throw NumericsError(.invalidArgument, "\(name) has dtype bool; a matrix needs a numeric dtype")
        }
        let elements: [Scalar]
        switch array.storage {
        case .float64(let v) where Scalar.self == Double.self: elements = unsafeBitCast(v, to: [Scalar].self)
        case .float32(let v) where Scalar.self == Float.self: elements = unsafeBitCast(v, to: [Scalar].self)
        default: elements = array.asDoubles().map { Scalar($0) }
        }
        try self.init(rows: rows, columns: columns, elements: elements)
    }
}

/// Writing files atomically: a temporary file in the same folder, flushed, then renamed into place.
public enum AtomicFile {
    /// Writes `data` to `url` so that readers see either the old file or the whole new one, never a part.
    public static func write(_ data: Data, to url: URL) throws { try FileIO.writeAtomically(data, to: url) }
}

import Foundation
