import TangentCore

/// A numeric array read from a data file, as a float64 matrix whose rows are samples.
///
/// The matrix has `shape[0]` rows; a 1-D array becomes one column, and an array of rank 3 or more is flattened
/// per sample (MNIST's `(N, 28, 28)` images become `(N, 784)`), in C order. The file's own shape and element
/// type are kept for messages and for deciding whether the values can be class ids.
public struct LoadedArray: Sendable, Equatable {
    /// Where the array came from: a path, or `"archive.npz:member"`.
    public var source: String
    /// The array's shape in the file, before flattening.
    public var shape: [Int]
    /// The element type in the file: `float64`, `float32`, `int64`, `int32`, `int16`, `int8`, `uint8`, `bool`
    /// or `text` (CSV).
    public var dtype: String
    /// The values, samples as rows.
    public var matrix: Matrix<Double>

    /// An array of `shape` from its C-order `values` (whose count must be the product of `shape`).
    /// Throws `.shapeMismatch` for a 0-d array (a scalar is not a data set).
    public init(source: String, shape: [Int], dtype: String, values: [Double]) throws {
        guard let rows = shape.first else {
            throw DataFileError(.shapeMismatch,
                                "holds a single number (shape ()), not an array of samples. Save one row per "
                                + "sample.", source: source)
        }
        var columns = 1
        for dimension in shape.dropFirst() {
            let (product, overflow) = columns.multipliedReportingOverflow(by: dimension)
            guard !overflow, dimension >= 0 else {
                throw DataFileError(.corrupt, "shape \(Self.describe(shape: shape)) is too large to be real; the "
                                    + "file is damaged", source: source)
            }
            columns = product
        }
        do {
            matrix = try Matrix(rows: rows, columns: columns, elements: values)
        } catch {
            throw DataFileError(.corrupt, "shape \(Self.describe(shape: shape)) does not match its \(values.count) "
                                + "values", source: source)
        }
        self.source = source
        self.shape = shape
        self.dtype = dtype
    }

    /// True for integer (and bool) element types.
    public var isIntegerType: Bool { ["int64", "int32", "int16", "int8", "uint8", "bool"].contains(dtype) }

    /// The number of samples (rows).
    public var rows: Int { matrix.rows }

    /// The shape in the file as numpy prints it: `(12, 4, 4)`.
    public var shapeText: String { Self.describe(shape: shape) }

    /// The values as class ids: the array must be one column (shape `(N,)` or `(N, 1)`) of integers.
    ///
    /// `role` (e.g. `"train_targets"`) starts the message. Throws `.notClassIDs` naming the first value that is
    /// not an integer, or the shape when there are several columns.
    public func classIDs(role: String? = nil) throws -> [Int] {
        let what = role.map { "\($0) " } ?? ""
        guard matrix.columns == 1 else {
            throw DataFileError(.notClassIDs,
                                "\(what)has shape \(shapeText), \(matrix.columns) values per row; class ids "
                                + "need one column (shape (N,) or (N, 1)). Use encoding: none for targets that are "
                                + "already vectors.", source: source)
        }
        var ids: [Int] = []
        ids.reserveCapacity(matrix.rows)
        for (row, value) in matrix.elements.enumerated() {
            guard value == value.rounded(), abs(value) < 9e15 else {
                throw DataFileError(.notClassIDs,
                                    "\(what)row \(row) holds \(value), which is not a class id (an integer). Class "
                                    + "encodings (onehot, plusminus, zeroone), classes and per_class need integer "
                                    + "targets; use encoding: none for real-valued targets.", source: source)
            }
            ids.append(Int(value))
        }
        return ids
    }

    /// `(12, 4, 4)`, `(12,)`, `()`: a shape as numpy prints it.
    public static func describe(shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}
