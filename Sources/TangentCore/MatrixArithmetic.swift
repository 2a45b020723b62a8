/// Element-wise arithmetic and norms. Shape mismatches are programmer errors here (precondition), since these
/// operators cannot throw; validate user-provided shapes before calling them.
extension Matrix {
    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns, "shape mismatch in +")
        var out = lhs
        out += rhs
        return out
    }

    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns, "shape mismatch in -")
        var out = lhs
        Scalar._addScaled(alpha: -1, x: rhs.elements, y: &out.elements)
        return out
    }

    /// lhs += rhs, in place (no copy when lhs is uniquely referenced).
    public static func += (lhs: inout Matrix, rhs: Matrix) {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns, "shape mismatch in +=")
        Scalar._addScaled(alpha: 1, x: rhs.elements, y: &lhs.elements)
    }

    public static func * (lhs: Scalar, rhs: Matrix) -> Matrix {
        var out = rhs
        out.elements_.withUnsafeMutableBufferPointer { o in for i in o.indices { o[i] *= lhs } }
        return out
    }

    /// Σ_ij A_ij·B_ij (the Frobenius inner product ⟨A, B⟩_F), accumulated in Double.
    public func frobeniusInner(_ other: Matrix) -> Double {
        precondition(rows == other.rows && columns == other.columns, "shape mismatch in frobeniusInner")
        return Scalar._dot(elements, other.elements)
    }

    /// ‖A‖_F = √(Σ_ij A_ij²), accumulated in Double.
    public var frobeniusNorm: Double { Scalar._dot(elements, elements).squareRoot() }

    /// max_ij |A_ij|
    public var maxAbs: Double { Scalar._maxAbs(elements) }

    /// Σ_ij A_ij, accumulated in Double.
    public var sum: Double { Scalar._sum(elements) }

    /// Multiplies row i by `scales[i]` (fused C kernel).
    public mutating func scaleRows(by scales: [Scalar]) {
        precondition(scales.count == rows, "scaleRows needs one scale per row")
        Scalar._scaleRows(rows: rows, cols: columns, s: scales, a: &elements)
    }

    /// Multiplies column j by `scales[j]` (fused C kernel).
    public mutating func scaleColumns(by scales: [Scalar]) {
        precondition(scales.count == columns, "scaleColumns needs one scale per column")
        Scalar._scaleColumns(rows: rows, cols: columns, s: scales, a: &elements)
    }

    /// self += alpha·(A ⊙ B), the Hadamard multiply-accumulate, in one fused pass (C kernel).
    public mutating func addHadamard(_ a: Matrix, _ b: Matrix, scaledBy alpha: Scalar = 1) {
        precondition(a.rows == rows && a.columns == columns && b.rows == rows && b.columns == columns,
                     "shape mismatch in addHadamard")
        Scalar._hadamardAccumulate(alpha: alpha, a: a.elements, b: b.elements, c: &elements)
    }

    /// Sets every element to `value`, in place.
    public mutating func fill(_ value: Scalar) {
        elements_.withUnsafeMutableBufferPointer { p in p.update(repeating: value) }
    }

    /// self + c·1 (adds a constant to every element).
    public mutating func addConstant(_ c: Scalar) {
        Scalar._addConstant(c, y: &elements)
    }

    /// A ⊙ B, the element-wise (Hadamard) product (fused C kernel).
    public func hadamard(_ other: Matrix) -> Matrix {
        precondition(rows == other.rows && columns == other.columns, "shape mismatch in hadamard")
        var out = Matrix(uninitializedRows: rows, columns: columns)
        Scalar._hadamardProduct(a: elements, b: other.elements, c: &out.elements)
        return out
    }

    /// self ← self ⊙ other, in place (fused C kernel).
    public mutating func multiplyElementwise(by other: Matrix) {
        precondition(rows == other.rows && columns == other.columns, "shape mismatch in multiplyElementwise")
        Scalar._hadamardInPlace(a: &elements, b: other.elements)
    }

    /// self[i, :] += v for every row i (adds a row vector, e.g. a bias; fused C kernel).
    public mutating func addToEveryRow(_ v: [Scalar]) {
        precondition(v.count == columns, "addToEveryRow needs one value per column")
        Scalar._addRowVector(rows: rows, cols: columns, v: v, a: &elements)
    }

    /// Σ_i A[i, j] for each column j, accumulated in double.
    public var columnSums: [Double] {
        var sums = [Double](repeating: 0, count: columns)
        elements.withUnsafeBufferPointer { a in
            for i in 0..<rows {
                for j in 0..<columns { sums[j] += Double(a[i * columns + j]) }
            }
        }
        return sums
    }

    /// Largest |A_ij − B_ij| / max(max|B|, tiny): a relative difference for tests and checks.
    public func relativeDifference(to reference: Matrix) -> Double {
        precondition(rows == reference.rows && columns == reference.columns, "shape mismatch")
        var diff = 0.0
        for i in 0..<elements.count { diff = Swift.max(diff, Double(abs(elements[i] - reference.elements[i]))) }
        return diff / Swift.max(reference.maxAbs, Double.leastNormalMagnitude)
    }
}
