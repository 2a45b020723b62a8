/// A dense matrix of `Double` or `Float`, stored contiguously in row-major order.
///
/// `Matrix` is a value type (copy-on-write through its array storage). Element (i, j) lives at
/// `elements[i * columns + j]`. Heavy operations (`matmul`, `gram`, eigen, solves) go to OpenBLAS, LAPACK or the
/// C kernels; see the extensions in this module.
public struct Matrix<Scalar: TangentScalar>: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// Row-major elements; `count == rows * columns`.
    @usableFromInline internal var elements_: [Scalar]

    /// The row-major elements.
    @inlinable public var elements: [Scalar] {
        get { elements_ }
        _modify {
            let count = elements_.count
            yield &elements_
            precondition(elements_.count == count, "Matrix elements must keep their count")
        }
    }

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        var elements = Matrix(uninitializedRows: rows, columns: columns).elements_
        Scalar._fill(value, &elements)  // a C kernel: the generic Array(repeating:) copies each element through witnesses
        self.elements_ = elements
    }

    /// A matrix whose elements are left uninitialized, for outputs that an operation overwrites entirely
    /// (GEMM with beta 0, element-wise kernels). Reading an element before writing it is undefined.
    init(uninitializedRows rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        self.elements_ = [Scalar](unsafeUninitializedCapacity: rows * columns) { _, count in count = rows * columns }
    }

    /// A matrix over row-major `elements`; throws when `elements.count != rows * columns`.
    public init(rows: Int, columns: Int, elements: [Scalar]) throws {
        guard rows >= 0, columns >= 0 else {
            throw NumericsError(.invalidArgument, "matrix dimensions must be non-negative, got \(rows)×\(columns)")
        }
        guard elements.count == rows * columns else {
            throw NumericsError(.shapeMismatch,
                                "\(elements.count) elements cannot form a \(rows)×\(columns) matrix (needs \(rows * columns))")
        }
        self.rows = rows
        self.columns = columns
        self.elements_ = elements
    }

    /// A matrix from nested rows (all rows must have the same length).
    public init(_ rowArrays: [[Scalar]]) throws {
        let columns = rowArrays.first?.count ?? 0
        guard rowArrays.allSatisfy({ $0.count == columns }) else {
            throw NumericsError(.shapeMismatch, "rows of different lengths: \(rowArrays.map(\.count))")
        }
        try self.init(rows: rowArrays.count, columns: columns, elements: rowArrays.flatMap { $0 })
    }

    /// A matrix whose element (i, j) is `body(i, j)`.
    public init(rows: Int, columns: Int, _ body: (Int, Int) throws -> Scalar) rethrows {
        self.init(rows: rows, columns: columns)
        for i in 0..<rows {
            for j in 0..<columns { elements[i * columns + j] = try body(i, j) }
        }
    }

    /// The n×n identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.elements[i * n + i] = 1 }
        return m
    }

    /// A diagonal matrix with `values` on the diagonal.
    public static func diagonal(_ values: [Scalar]) -> Matrix {
        var m = Matrix(rows: values.count, columns: values.count)
        for (i, v) in values.enumerated() { m.elements[i * values.count + i] = v }
        return m
    }

    public var shape: (rows: Int, columns: Int) { (rows, columns) }
    public var count: Int { elements.count }
    public var isSquare: Bool { rows == columns }

    @inlinable public subscript(i: Int, j: Int) -> Scalar {
        get {
            precondition(i >= 0 && i < rows && j >= 0 && j < columns, "Matrix index (\(i), \(j)) out of range")
            return elements_[i * columns + j]
        }
        set {
            precondition(i >= 0 && i < rows && j >= 0 && j < columns, "Matrix index (\(i), \(j)) out of range")
            elements_[i * columns + j] = newValue
        }
    }

    /// Row i as an array.
    public func row(_ i: Int) -> [Scalar] { Array(elements[i * columns..<(i + 1) * columns]) }

    /// Column j as an array.
    public func column(_ j: Int) -> [Scalar] { (0..<rows).map { elements[$0 * columns + j] } }

    /// The diagonal.
    public var diagonalElements: [Scalar] { (0..<Swift.min(rows, columns)).map { elements[$0 * columns + $0] } }

    /// Σ_i A_ii
    public var trace: Scalar { diagonalElements.reduce(0, +) }

    /// Aᵀ (blocked copy, C kernel).
    public var transposed: Matrix { transposed(columns: 0..<columns) }

    /// The transpose of columns `range`: a `range.count` × `rows` matrix (blocked copy, C kernel).
    public func transposed(columns range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns, "transposed(columns:) out of range")
        var t = Matrix(uninitializedRows: range.count, columns: rows)
        if rows > 0 && !range.isEmpty {
            Scalar._transpose(rows: rows, cols: range.count, a: elements, offset: range.lowerBound, lda: columns,
                              b: &t.elements)
        }
        return t
    }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        // The slice is contiguous in row-major order.
        try! Matrix(rows: range.count, columns: columns,
                    elements: Array(elements[range.lowerBound * columns..<range.upperBound * columns]))
    }

    /// The rows at `indices`, in that order (indices may repeat).
    public func rows(at indices: [Int]) -> Matrix {
        var out = Matrix(rows: indices.count, columns: columns)
        for (k, i) in indices.enumerated() {
            precondition(i >= 0 && i < rows, "row index \(i) out of range")
            out.elements_.replaceSubrange(k * columns..<(k + 1) * columns, with: elements_[i * columns..<(i + 1) * columns])
        }
        return out
    }

    /// Elements converted to another precision.
    public func converted<Other: TangentScalar>(to: Other.Type = Other.self) -> Matrix<Other> {
        // Concrete conversions: the generic BinaryFloatingPoint initializer is not specialized across modules
        // and costs ~100 ns per element.
        if Other.self == Scalar.self { return unsafeBitCast(self, to: Matrix<Other>.self) }
        let out: [Other]
        if let doubles = elements_ as? [Double] {
            out = doubles.map { Float($0) } as! [Other]
        } else if let floats = elements_ as? [Float] {
            out = floats.map { Double($0) } as! [Other]
        } else {
            out = elements_.map { Other($0) }
        }
        return try! Matrix<Other>(rows: rows, columns: columns, elements: out)
    }

    /// Applies `transform` to every element.
    public func map(_ transform: (Scalar) throws -> Scalar) rethrows -> Matrix {
        try! Matrix(rows: rows, columns: columns, elements: try elements.map(transform))
    }

    /// Throws `invalidArgument` naming `what` and the first offending index when an element is NaN or ±inf.
    public func checkFinite(_ what: String) throws {
        if let i = Scalar._firstNonFinite(elements) {
            throw NumericsError(.invalidArgument,
                                "\(what) has a non-finite value \(elements[i]) at (\(i / Swift.max(columns, 1)), \(i % Swift.max(columns, 1)))")
        }
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = Swift.min(rows, 6)
        var lines = ["Matrix<\(Scalar.precisionName)> \(rows)×\(columns)"]
        for i in 0..<shown {
            let cols = Swift.min(columns, 8)
            let text = (0..<cols).map { "\(self[i, $0])" }.joined(separator: " ")
            lines.append("  [" + text + (columns > cols ? " …" : "") + "]")
        }
        if rows > shown { lines.append("  …") }
        return lines.joined(separator: "\n")
    }
}
