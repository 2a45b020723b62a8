internal import CKernels
import COpenBLAS

/// The element types Tangent computes in: `Double` (float64) and `Float` (float32).
///
/// The underscored requirements are the bridge to OpenBLAS, LAPACKE and the C kernels. They take Swift arrays
/// (row-major, with explicit leading dimensions) so that no raw pointer appears in TangentCore's public API;
/// use the `Matrix` operations instead of calling them directly.
public protocol TangentScalar: BinaryFloatingPoint, Sendable, LosslessStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// The numpy name of the type: `float64` or `float32`.
    static var precisionName: String { get }

    static func _gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self, a: [Self], lda: Int,
                      b: [Self], ldb: Int, beta: Self, c: inout [Self], ldc: Int)
    /// Upper triangle of C = alpha·A·Aᵀ (A: n×k, row-major); the lower triangle is left untouched.
    static func _syrkUpper(n: Int, k: Int, alpha: Self, a: [Self], lda: Int, c: inout [Self], ldc: Int)
    static func _gramKernel(n: Int, p: Int, a: [Self], lda: Int, g: inout [Self], ldg: Int)
    static func _symmetrizeUpper(n: Int, a: inout [Self], lda: Int)
    static func _hadamardAccumulate(alpha: Self, a: [Self], b: [Self], c: inout [Self])
    static func _scaleRows(rows: Int, cols: Int, s: [Self], a: inout [Self])
    static func _hadamardProduct(a: [Self], b: [Self], c: inout [Self])
    static func _hadamardInPlace(a: inout [Self], b: [Self])
    /// y += alpha·x (element-wise, C kernel).
    static func _addScaled(alpha: Self, x: [Self], y: inout [Self])
    /// b = the transpose of `rows` × `cols` elements of a from element `offset` with row stride lda (b is cols × rows).
    static func _transpose(rows: Int, cols: Int, a: [Self], offset: Int, lda: Int, b: inout [Self])
    /// Every element of y set to c (C kernel; y may be uninitialized).
    static func _fill(_ c: Self, _ y: inout [Self])
    /// y += c for every element (C kernel).
    static func _addConstant(_ c: Self, y: inout [Self])
    /// Θ += alpha·F ⊙ (A·Bᵀ) for A m × k, B n × k, Θ and F m × n (F nil: without the factor); false when scratch
    /// memory ran out. `upper`: only j ≥ i (A = B). `isa`: -1 the process-wide choice, 0 AVX2, 1 AVX-512.
    /// With `base`, Θ = base + … instead of Θ += … (Θ may then be uninitialized).
    static func _crossHadamardAccumulate(m: Int, n: Int, k: Int, a: [Self], b: [Self], f: [Self]?, alpha: Self,
                                         base: [Self]?, theta: inout [Self], upper: Bool, isa: Int32) -> Int32
    /// h ← φ(h) in place for the activation `kind`, and φ'(h) into `derivative` when it is non-empty.
    static func _activationInPlace(kind: ActivationKind, h: inout [Self], derivative: inout [Self])
    static func _addRowVector(rows: Int, cols: Int, v: [Self], a: inout [Self])
    static func _scaleColumns(rows: Int, cols: Int, s: [Self], a: inout [Self])
    static func _sum(_ x: [Self]) -> Double
    static func _dot(_ x: [Self], _ y: [Self]) -> Double
    static func _maxAbs(_ x: [Self]) -> Double
    static func _firstNonFinite(_ x: [Self]) -> Int?

    // LAPACKE, row-major layout. Return LAPACK's `info`.
    static func _syevd(vectors: Bool, n: Int, a: inout [Self], w: inout [Self]) -> Int32
    static func _syevr(vectors: Bool, n: Int, il: Int, iu: Int, a: inout [Self], w: inout [Self],
                       z: inout [Self], found: inout Int) -> Int32
    static func _potrf(n: Int, a: inout [Self]) -> Int32
    static func _potrs(n: Int, nrhs: Int, a: [Self], b: inout [Self]) -> Int32
    static func _gesdd(vectors: Bool, m: Int, n: Int, a: inout [Self], s: inout [Self], u: inout [Self],
                       vt: inout [Self]) -> Int32
    static func _gelsd(m: Int, n: Int, nrhs: Int, a: inout [Self], b: inout [Self], s: inout [Self],
                       rcond: Self, rank: inout Int) -> Int32
}

/// The row-major elements of the transpose of a row-major rows × columns array.
private func transposedElements<T>(_ a: [T], rows: Int, columns: Int) -> [T] {
    guard rows > 0, columns > 0 else { return a }
    var out = a
    for i in 0..<rows { for j in 0..<columns { out[j * rows + i] = a[i * columns + j] } }
    return out
}

@inline(__always) private func trans(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }
@inline(__always) private func ch(_ c: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: c)) }
@inline(__always) private func li(_ v: Int) -> Int32 { Int32(v) }

extension Double: TangentScalar {
    public static var precisionName: String { "float64" }

    public static func _gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: [Double],
                             lda: Int, b: [Double], ldb: Int, beta: Double, c: inout [Double], ldc: Int) {
        cblas_dgemm(CblasRowMajor, trans(transA), trans(transB), Int32(m), Int32(n), Int32(k), alpha, a,
                    Int32(lda), b, Int32(ldb), beta, &c, Int32(ldc))
    }
    public static func _syrkUpper(n: Int, k: Int, alpha: Double, a: [Double], lda: Int, c: inout [Double],
                                  ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), alpha, a, Int32(lda), 0, &c,
                    Int32(ldc))
    }
    public static func _gramKernel(n: Int, p: Int, a: [Double], lda: Int, g: inout [Double], ldg: Int) {
        tk_gram_f64(a, Int64(n), Int64(p), Int64(lda), &g, Int64(ldg))
    }
    public static func _symmetrizeUpper(n: Int, a: inout [Double], lda: Int) {
        tk_symmetrize_upper_f64(&a, Int64(n), Int64(lda))
    }
    public static func _hadamardAccumulate(alpha: Double, a: [Double], b: [Double], c: inout [Double]) {
        tk_hadamard_accumulate_f64(Int64(c.count), alpha, a, b, &c)
    }
    public static func _hadamardProduct(a: [Double], b: [Double], c: inout [Double]) {
        tk_hadamard_product_f64(Int64(c.count), a, b, &c)
    }
    public static func _activationInPlace(kind: ActivationKind, h: inout [Double], derivative: inout [Double]) {
        if derivative.isEmpty {
            tk_activation_inplace_f64(kind.kernel, Int64(h.count), &h, nil)
        } else {
            precondition(derivative.count == h.count, "derivative buffer size")
            tk_activation_inplace_f64(kind.kernel, Int64(h.count), &h, &derivative)
        }
    }
    public static func _crossHadamardAccumulate(m: Int, n: Int, k: Int, a: [Double], b: [Double], f: [Double]?, alpha: Double,
                                                base: [Double]?, theta: inout [Double], upper: Bool, isa: Int32) -> Int32 {
        tk_cross_hadamard_isa_f64(isa, Int64(m), Int64(n), Int64(k), a, Int64(k), b, Int64(k), f, Int64(n), alpha, base,
                                 Int64(n), &theta, Int64(n), upper ? 1 : 0)
    }
    public static func _addScaled(alpha: Double, x: [Double], y: inout [Double]) {
        tk_add_scaled_f64(Int64(y.count), alpha, x, &y)
    }
    public static func _transpose(rows: Int, cols: Int, a: [Double], offset: Int, lda: Int, b: inout [Double]) {
        precondition(offset >= 0 && (rows == 0 || offset + (rows - 1) * lda + cols <= a.count) && b.count == rows * cols,
                     "transpose bounds")
        a.withUnsafeBufferPointer { tk_transpose_f64(Int64(rows), Int64(cols), $0.baseAddress! + offset, Int64(lda), &b, Int64(rows)) }
    }
    public static func _fill(_ c: Double, _ y: inout [Double]) {
        tk_fill_f64(Int64(y.count), c, &y)
    }
    public static func _addConstant(_ c: Double, y: inout [Double]) {
        tk_add_constant_f64(Int64(y.count), c, &y)
    }
    public static func _hadamardInPlace(a: inout [Double], b: [Double]) {
        tk_hadamard_inplace_f64(Int64(a.count), &a, b)
    }
    public static func _addRowVector(rows: Int, cols: Int, v: [Double], a: inout [Double]) {
        tk_add_row_vector_f64(Int64(rows), Int64(cols), v, &a, Int64(cols))
    }
    public static func _scaleRows(rows: Int, cols: Int, s: [Double], a: inout [Double]) {
        tk_scale_rows_f64(Int64(rows), Int64(cols), s, &a, Int64(cols))
    }
    public static func _scaleColumns(rows: Int, cols: Int, s: [Double], a: inout [Double]) {
        tk_scale_cols_f64(Int64(rows), Int64(cols), s, &a, Int64(cols))
    }
    public static func _sum(_ x: [Double]) -> Double { tk_sum_f64(Int64(x.count), x) }
    public static func _dot(_ x: [Double], _ y: [Double]) -> Double { tk_dot_f64(Int64(x.count), x, y) }
    public static func _maxAbs(_ x: [Double]) -> Double { tk_max_abs_f64(Int64(x.count), x) }
    public static func _firstNonFinite(_ x: [Double]) -> Int? {
        let i = tk_first_nonfinite_f64(Int64(x.count), x)
        return i < 0 ? nil : Int(i)
    }

    public static func _syevd(vectors: Bool, n: Int, a: inout [Double], w: inout [Double]) -> Int32 {
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, ch(vectors ? "V" : "N"), ch("U"), li(n), &a, li(n), &w)
    }
    public static func _syevr(vectors: Bool, n: Int, il: Int, iu: Int, a: inout [Double], w: inout [Double],
                              z: inout [Double], found: inout Int) -> Int32 {
        var m: Int32 = 0
        var support = [Int32](repeating: 0, count: 2 * max(1, n))
        let ldz = vectors ? iu - il + 1 : 1
        let info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, ch(vectors ? "V" : "N"), ch("I"), ch("U"), li(n), &a, li(n),
                                  0, 0, li(il), li(iu), 0, &m, &w, &z, li(ldz), &support)
        found = Int(m)
        return info
    }
    // The row-major upper triangle of a symmetric matrix is its column-major lower triangle: POTRF on that in place
    // gives L with A = L·Lᵀ, which read row-major is the upper factor U = Lᵀ (A = Uᵀ·U). Row-major LAPACKE would
    // transpose A into a temporary first, a second N × N array.
    public static func _potrf(n: Int, a: inout [Double]) -> Int32 {
        LAPACKE_dpotrf(LAPACK_COL_MAJOR, ch("L"), li(n), &a, li(max(n, 1)))
    }
    public static func _potrs(n: Int, nrhs: Int, a: [Double], b: inout [Double]) -> Int32 {
        var columns = transposedElements(b, rows: n, columns: nrhs)
        let info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, ch("L"), li(n), li(nrhs), a, li(max(n, 1)), &columns, li(max(n, 1)))
        b = transposedElements(columns, rows: nrhs, columns: n)
        return info
    }
    public static func _gesdd(vectors: Bool, m: Int, n: Int, a: inout [Double], s: inout [Double],
                              u: inout [Double], vt: inout [Double]) -> Int32 {
        let k = min(m, n)
        return LAPACKE_dgesdd(LAPACK_ROW_MAJOR, ch(vectors ? "S" : "N"), li(m), li(n), &a, li(n), &s, &u,
                              li(vectors ? k : 1), &vt, li(n))
    }
    public static func _gelsd(m: Int, n: Int, nrhs: Int, a: inout [Double], b: inout [Double], s: inout [Double],
                              rcond: Double, rank: inout Int) -> Int32 {
        var r: Int32 = 0
        let info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, li(m), li(n), li(nrhs), &a, li(n), &b, li(nrhs), &s, rcond, &r)
        rank = Int(r)
        return info
    }
}

extension Float: TangentScalar {
    public static var precisionName: String { "float32" }

    public static func _gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float],
                             lda: Int, b: [Float], ldb: Int, beta: Float, c: inout [Float], ldc: Int) {
        cblas_sgemm(CblasRowMajor, trans(transA), trans(transB), Int32(m), Int32(n), Int32(k), alpha, a,
                    Int32(lda), b, Int32(ldb), beta, &c, Int32(ldc))
    }
    public static func _syrkUpper(n: Int, k: Int, alpha: Float, a: [Float], lda: Int, c: inout [Float],
                                  ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), alpha, a, Int32(lda), 0, &c,
                    Int32(ldc))
    }
    public static func _gramKernel(n: Int, p: Int, a: [Float], lda: Int, g: inout [Float], ldg: Int) {
        tk_gram_f32(a, Int64(n), Int64(p), Int64(lda), &g, Int64(ldg))
    }
    public static func _symmetrizeUpper(n: Int, a: inout [Float], lda: Int) {
        tk_symmetrize_upper_f32(&a, Int64(n), Int64(lda))
    }
    public static func _hadamardAccumulate(alpha: Float, a: [Float], b: [Float], c: inout [Float]) {
        tk_hadamard_accumulate_f32(Int64(c.count), alpha, a, b, &c)
    }
    public static func _hadamardProduct(a: [Float], b: [Float], c: inout [Float]) {
        tk_hadamard_product_f32(Int64(c.count), a, b, &c)
    }
    public static func _activationInPlace(kind: ActivationKind, h: inout [Float], derivative: inout [Float]) {
        if derivative.isEmpty {
            tk_activation_inplace_f32(kind.kernel, Int64(h.count), &h, nil)
        } else {
            precondition(derivative.count == h.count, "derivative buffer size")
            tk_activation_inplace_f32(kind.kernel, Int64(h.count), &h, &derivative)
        }
    }
    public static func _crossHadamardAccumulate(m: Int, n: Int, k: Int, a: [Float], b: [Float], f: [Float]?, alpha: Float,
                                                base: [Float]?, theta: inout [Float], upper: Bool, isa: Int32) -> Int32 {
        tk_cross_hadamard_isa_f32(isa, Int64(m), Int64(n), Int64(k), a, Int64(k), b, Int64(k), f, Int64(n), alpha, base,
                                 Int64(n), &theta, Int64(n), upper ? 1 : 0)
    }
    public static func _addScaled(alpha: Float, x: [Float], y: inout [Float]) {
        tk_add_scaled_f32(Int64(y.count), alpha, x, &y)
    }
    public static func _transpose(rows: Int, cols: Int, a: [Float], offset: Int, lda: Int, b: inout [Float]) {
        precondition(offset >= 0 && (rows == 0 || offset + (rows - 1) * lda + cols <= a.count) && b.count == rows * cols,
                     "transpose bounds")
        a.withUnsafeBufferPointer { tk_transpose_f32(Int64(rows), Int64(cols), $0.baseAddress! + offset, Int64(lda), &b, Int64(rows)) }
    }
    public static func _fill(_ c: Float, _ y: inout [Float]) {
        tk_fill_f32(Int64(y.count), c, &y)
    }
    public static func _addConstant(_ c: Float, y: inout [Float]) {
        tk_add_constant_f32(Int64(y.count), c, &y)
    }
    public static func _hadamardInPlace(a: inout [Float], b: [Float]) {
        tk_hadamard_inplace_f32(Int64(a.count), &a, b)
    }
    public static func _addRowVector(rows: Int, cols: Int, v: [Float], a: inout [Float]) {
        tk_add_row_vector_f32(Int64(rows), Int64(cols), v, &a, Int64(cols))
    }
    public static func _scaleRows(rows: Int, cols: Int, s: [Float], a: inout [Float]) {
        tk_scale_rows_f32(Int64(rows), Int64(cols), s, &a, Int64(cols))
    }
    public static func _scaleColumns(rows: Int, cols: Int, s: [Float], a: inout [Float]) {
        tk_scale_cols_f32(Int64(rows), Int64(cols), s, &a, Int64(cols))
    }
    public static func _sum(_ x: [Float]) -> Double { tk_sum_f32(Int64(x.count), x) }
    public static func _dot(_ x: [Float], _ y: [Float]) -> Double { tk_dot_f32(Int64(x.count), x, y) }
    public static func _maxAbs(_ x: [Float]) -> Double { tk_max_abs_f32(Int64(x.count), x) }
    public static func _firstNonFinite(_ x: [Float]) -> Int? {
        let i = tk_first_nonfinite_f32(Int64(x.count), x)
        return i < 0 ? nil : Int(i)
    }

    public static func _syevd(vectors: Bool, n: Int, a: inout [Float], w: inout [Float]) -> Int32 {
        LAPACKE_ssyevd(LAPACK_ROW_MAJOR, ch(vectors ? "V" : "N"), ch("U"), li(n), &a, li(n), &w)
    }
    public static func _syevr(vectors: Bool, n: Int, il: Int, iu: Int, a: inout [Float], w: inout [Float],
                              z: inout [Float], found: inout Int) -> Int32 {
        var m: Int32 = 0
        var support = [Int32](repeating: 0, count: 2 * max(1, n))
        let ldz = vectors ? iu - il + 1 : 1
        let info = LAPACKE_ssyevr(LAPACK_ROW_MAJOR, ch(vectors ? "V" : "N"), ch("I"), ch("U"), li(n), &a, li(n),
                                  0, 0, li(il), li(iu), 0, &m, &w, &z, li(ldz), &support)
        found = Int(m)
        return info
    }
    // The row-major upper triangle of a symmetric matrix is its column-major lower triangle: POTRF on that in place
    // gives L with A = L·Lᵀ, which read row-major is the upper factor U = Lᵀ (A = Uᵀ·U). Row-major LAPACKE would
    // transpose A into a temporary first, a second N × N array.
    public static func _potrf(n: Int, a: inout [Float]) -> Int32 {
        LAPACKE_spotrf(LAPACK_COL_MAJOR, ch("L"), li(n), &a, li(max(n, 1)))
    }
    public static func _potrs(n: Int, nrhs: Int, a: [Float], b: inout [Float]) -> Int32 {
        var columns = transposedElements(b, rows: n, columns: nrhs)
        let info = LAPACKE_spotrs(LAPACK_COL_MAJOR, ch("L"), li(n), li(nrhs), a, li(max(n, 1)), &columns, li(max(n, 1)))
        b = transposedElements(columns, rows: nrhs, columns: n)
        return info
    }
    public static func _gesdd(vectors: Bool, m: Int, n: Int, a: inout [Float], s: inout [Float],
                              u: inout [Float], vt: inout [Float]) -> Int32 {
        let k = min(m, n)
        return LAPACKE_sgesdd(LAPACK_ROW_MAJOR, ch(vectors ? "S" : "N"), li(m), li(n), &a, li(n), &s, &u,
                              li(vectors ? k : 1), &vt, li(n))
    }
    public static func _gelsd(m: Int, n: Int, nrhs: Int, a: inout [Float], b: inout [Float], s: inout [Float],
                              rcond: Float, rank: inout Int) -> Int32 {
        var r: Int32 = 0
        let info = LAPACKE_sgelsd(LAPACK_ROW_MAJOR, li(m), li(n), li(nrhs), &a, li(n), &b, li(nrhs), &s, rcond, &r)
        rank = Int(r)
        return info
    }
}
