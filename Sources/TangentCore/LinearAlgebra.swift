/// Products through OpenBLAS: GEMM with transposes and the Gram matrix through SYRK.
extension Matrix {
    /// Throws `tooLarge` when a dimension does not fit the 32-bit BLAS/LAPACK interface.
    static func checkInterface(_ dims: Int...) throws {
        if let big = dims.first(where: { $0 > Int(Int32.max) }) {
            throw NumericsError(.tooLarge, "dimension \(big) exceeds the 32-bit BLAS/LAPACK interface (\(Int32.max))")
        }
    }

    /// op(A)·op(B)·alpha, where op transposes when asked (OpenBLAS GEMM).
    ///
    /// Throws `shapeMismatch` when the inner dimensions differ.
    public func matmul(_ other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false,
                       alpha: Scalar = 1) throws -> Matrix {
        let (m, k) = transposeSelf ? (columns, rows) : (rows, columns)
        let (k2, n) = transposeOther ? (other.columns, other.rows) : (other.rows, other.columns)
        guard k == k2 else {
            throw NumericsError(.shapeMismatch,
                                "cannot multiply \(m)×\(k) by \(k2)×\(n): inner dimensions \(k) and \(k2) differ")
        }
        try Matrix.checkInterface(m, n, k)
        if m == 0 || n == 0 || k == 0 { return Matrix(rows: m, columns: n) }
        var c = Matrix(uninitializedRows: m, columns: n)  // GEMM with beta 0 overwrites every element
        Scalar._gemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k, alpha: alpha,
                     a: elements, lda: Swift.max(columns, 1), b: other.elements, ldb: Swift.max(other.columns, 1),
                     beta: 0, c: &c.elements, ldc: Swift.max(n, 1))
        return c
    }

    /// C ← alpha·op(A)·op(B) + beta·C in place (OpenBLAS GEMM), for accumulating products without a copy.
    public static func gemm(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
                            alpha: Scalar = 1, beta: Scalar = 0, into c: inout Matrix) throws {
        let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
        let (k2, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
        guard k == k2, c.rows == m, c.columns == n else {
            throw NumericsError(.shapeMismatch,
                                "gemm: op(A) is \(m)×\(k), op(B) is \(k2)×\(n), C is \(c.rows)×\(c.columns)")
        }
        try checkInterface(m, n, k)
        if m == 0 || n == 0 { return }
        if k == 0 {
            c = beta == 0 ? Matrix(rows: m, columns: n) : beta * c
            return
        }
        Scalar._gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a.elements,
                     lda: Swift.max(a.columns, 1), b: b.elements, ldb: Swift.max(b.columns, 1), beta: beta,
                     c: &c.elements, ldc: Swift.max(n, 1))
    }

    /// Which algorithm computes a Gram matrix.
    public enum GramMethod: String, Sendable, CaseIterable {
        /// OpenBLAS SYRK on the upper triangle, mirrored by the C kernel. The default: fastest here.
        case blas
        /// Tangent's blocked OpenMP + SIMD C kernel (an independent second algorithm).
        case kernel
    }

    /// G = alpha·A·Aᵀ (rows are samples): G_ij = alpha·Σ_k A_ik A_jk, the full symmetric n×n result.
    public func gram(method: GramMethod = .blas, alpha: Scalar = 1) -> Matrix {
        if rows == 0 || columns == 0 { return Matrix(rows: rows, columns: rows) }
        var g = Matrix(uninitializedRows: rows, columns: rows)  // every element is written (upper, then mirrored)
        switch method {
        case .blas:
            precondition(rows <= Int(Int32.max) && columns <= Int(Int32.max), "Gram too large for 32-bit BLAS")
            Scalar._syrkUpper(n: rows, k: columns, alpha: alpha, a: elements, lda: columns, c: &g.elements, ldc: rows)
            Scalar._symmetrizeUpper(n: rows, a: &g.elements, lda: rows)
        case .kernel:
            Scalar._gramKernel(n: rows, p: columns, a: elements, lda: columns, g: &g.elements, ldg: rows)
            if alpha != 1 { g = alpha * g }
        }
        return g
    }

    /// Upper triangle of self += alpha·F ⊙ (D·Dᵀ), or alpha·(D·Dᵀ) without `factor` (C kernel: packed panels, a
    /// register-blocked micro-kernel and a fused epilogue, so the Gram D·Dᵀ is never stored). Only entries (i, j ≥ i)
    /// are written; call `symmetrizeFromUpper()` when done accumulating. D has one row per row of self.
    public mutating func addUpperGramHadamard(of d: Matrix, factor: Matrix? = nil, alpha: Scalar = 1) throws {
        guard isSquare, d.rows == rows, factor.map({ $0.rows == rows && $0.columns == rows }) ?? true else {
            throw NumericsError(.shapeMismatch, "addUpperGramHadamard: self \(rows)×\(columns), D \(d.rows)×\(d.columns), "
                                + "factor \(factor.map { "\($0.rows)×\($0.columns)" } ?? "none")")
        }
        try addCrossHadamard(of: d, d, factor: factor, alpha: alpha, upper: true, isa: -1)
    }

    /// self += alpha·F ⊙ (A·Bᵀ), or alpha·(A·Bᵀ) without `factor`: the fused kernel of `addUpperGramHadamard` for a
    /// rectangular tile (A has one row per row of self, B one per column, both the same width). The out-of-core NTK
    /// computes its off-diagonal tiles with it.
    public mutating func addCrossHadamard(of a: Matrix, _ b: Matrix, factor: Matrix? = nil, alpha: Scalar = 1) throws {
        guard a.rows == rows, b.rows == columns, a.columns == b.columns,
              factor.map({ $0.rows == rows && $0.columns == columns }) ?? true else {
            throw NumericsError(.shapeMismatch, "addCrossHadamard: self \(rows)×\(columns), A \(a.rows)×\(a.columns), "
                                + "B \(b.rows)×\(b.columns), factor \(factor.map { "\($0.rows)×\($0.columns)" } ?? "none")")
        }
        try addCrossHadamard(of: a, b, factor: factor, alpha: alpha, upper: false, isa: -1)
    }

    /// base + alpha·F ⊙ (D·Dᵀ) on and above the diagonal, as a new matrix whose lower triangle is unset (call
    /// `symmetrizeFromUpper()`): `addUpperGramHadamard` without first copying `base` into the result.
    public static func upperGramHadamard(of d: Matrix, factor: Matrix? = nil, plus base: Matrix, alpha: Scalar = 1) throws -> Matrix {
        guard base.isSquare, d.rows == base.rows else {
            throw NumericsError(.shapeMismatch, "upperGramHadamard: base \(base.rows)×\(base.columns), D \(d.rows)×\(d.columns)")
        }
        var theta = Matrix(uninitializedRows: base.rows, columns: base.rows)
        try theta.addCrossHadamard(of: d, d, factor: factor, alpha: alpha, base: base, upper: true, isa: -1)
        return theta
    }

    /// `addCrossHadamard` with the kernel's options: `upper` (A and B the same rows: only j ≥ i is written) and the
    /// instruction set (`isa`: -1 the process-wide choice, 0 AVX2, 1 AVX-512), for tests of both variants.
    mutating func addCrossHadamard(of a: Matrix, _ b: Matrix, factor: Matrix?, alpha: Scalar, base: Matrix? = nil,
                                   upper: Bool, isa: Int32) throws {
        guard a.rows == rows, b.rows == columns, a.columns == b.columns,
              factor.map({ $0.rows == rows && $0.columns == columns }) ?? true,
              base.map({ $0.rows == rows && $0.columns == columns }) ?? true else {
            throw NumericsError(.shapeMismatch, "addCrossHadamard: shapes do not match")
        }
        let status = Scalar._crossHadamardAccumulate(m: rows, n: columns, k: a.columns, a: a.elements, b: b.elements,
                                                     f: factor?.elements, alpha: alpha, base: base?.elements,
                                                     theta: &elements, upper: upper, isa: isa)
        switch status {
        case 0: return
        case -3: throw NumericsError(.invalidArgument, "this CPU has no AVX-512")
        case -2: throw NumericsError(.shapeMismatch, "addCrossHadamard: upper needs a square tile")
        default: throw NumericsError(.tooLarge, "out of memory for the Gram kernel's packing buffers")
        }
    }

    /// Copies the upper triangle onto the lower one (C kernel).
    public mutating func symmetrizeFromUpper() {
        precondition(isSquare, "symmetrizeFromUpper needs a square matrix")
        Scalar._symmetrizeUpper(n: rows, a: &elements, lda: rows)
    }

    /// Aᵀ·A (columns are samples): the n_columns × n_columns Gram of the columns.
    public func columnGram() -> Matrix { transposed.gram() }
}

/// A·B for code whose shapes are known to match.
extension Matrix {
    /// A·B; shapes must match (precondition). Use `matmul` to get a thrown error instead.
    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix {
        do { return try lhs.matmul(rhs) } catch { preconditionFailure("\(error)") }
    }
}
