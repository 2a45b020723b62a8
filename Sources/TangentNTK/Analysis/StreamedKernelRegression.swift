import TangentCore

/// Reads rows `range` of a kernel (all its columns) as a block, e.g. from a memory-mapped `.npy` file.
public typealias KernelRowReader = (Range<Int>) throws -> Matrix<Double>

/// Kernel ridge regression for a kernel that fits in memory once but not the three times of `kernelRegression`
/// (the kernel, K + ρI, and its factor):
///
///     α = (K + ρI)⁻¹·R,   f(X) = K·α,   f(X_test) = K(X_test, X)·α
///
/// One N × N buffer in `Scalar` (Float halves it) is filled from `rows` block by block, ρ (and any jitter δ) added
/// to its diagonal, factored in place (POTRF) and solved (POTRS); the buffer is released before the products, which
/// stream `rows` and `testRows` again in blocks of `blockRows`. Peak memory: N²·size(Scalar) plus two blocks.
///
/// A failed factorization refills the same buffer with the next jitter of `jitter` (relative to tr K/N, as
/// `choleskySolve`), so no copy is kept. ρ = 0 with a rank-deficient K is an error here: minimum-norm least squares
/// needs copies (use a ridge).
///
/// - Parameters:
///   - n: N, the kernel's size. `nTest`: the test rows of `testRows` (0: none).
///   - residual: R = Y − f₀(X), N × k.
/// - Returns: K·α (N × k), K(X_test, X)·α (N_test × k) and the jitter δ added (0: none).
public func streamedKernelRegression<Scalar: TangentScalar>(
    _: Scalar.Type, n: Int, rows: KernelRowReader, testRows: KernelRowReader?, nTest: Int,
    residual: Matrix<Double>, ridge: Double, jitter: JitterPolicy = .standard(for: Scalar.self), blockRows: Int = 1024
) throws -> (train: Matrix<Double>, test: Matrix<Double>, jitter: Double) {
    guard residual.rows == n else {
        throw NumericsError(.shapeMismatch, "streamed kernel regression: \(residual.rows) residual rows for an \(n)×\(n) kernel")
    }
    guard ridge >= 0, ridge.isFinite, blockRows > 0 else {
        throw NumericsError(.invalidArgument, "streamed kernel regression: ridge \(ridge) must be finite and ≥ 0, block rows > 0")
    }
    func blocks(_ total: Int) -> [Range<Int>] {
        stride(from: 0, to: total, by: blockRows).map { $0..<min($0 + blockRows, total) }
    }
    var factor = Matrix<Scalar>(rows: n, columns: n)
    var traceK = 0.0
    func fill(adding delta: Double) throws {
        traceK = 0
        for range in blocks(n) {
            let block = try rows(range)
            guard block.rows == range.count, block.columns == n else {
                throw NumericsError(.shapeMismatch, "streamed kernel regression: rows \(range) read as a \(block.rows)×\(block.columns) block")
            }
            try factor.setRows(range.lowerBound, from: block)
            for i in range {
                traceK += block[i - range.lowerBound, i]
                factor[i, i] = Scalar(block[i - range.lowerBound, i] + ridge + delta)
            }
        }
    }
    try fill(adding: 0)
    let scale = max(traceK / Double(max(n, 1)), Double(Scalar.leastNormalMagnitude))
    var delta = 0.0, nextRelative = jitter.initialRelative
    while try !factor.choleskyFactorInPlace() {
        guard nextRelative > 0, nextRelative <= jitter.maxRelative else {
            throw NumericsError(.notPositiveDefinite,
                                "the \(n)×\(n) kernel\(ridge > 0 ? " plus ridge \(ridge)" : "") is not positive definite"
                                + (delta > 0 ? " even with diagonal jitter \(delta)" : "")
                                + "; set a ridge (ridge: constant, ridge_value > 0)")
        }
        delta = nextRelative * scale
        nextRelative *= jitter.growth
        try fill(adding: delta)
    }
    let alpha = try factor.choleskySolveFactored(residual.converted(to: Scalar.self)).converted(to: Double.self)
    factor = Matrix(rows: 0, columns: 0)
    var train = Matrix<Double>(rows: n, columns: residual.columns)
    for range in blocks(n) { try train.setRows(range.lowerBound, from: try rows(range).matmul(alpha)) }
    var test = Matrix<Double>(rows: nTest, columns: residual.columns)
    if let testRows, nTest > 0 {
        for range in blocks(nTest) { try test.setRows(range.lowerBound, from: try testRows(range).matmul(alpha)) }
    }
    return (train, test, delta)
}

/// `kernelRegression` for kernels read in row blocks (`streamedKernelRegression` per solve): one kernel shared by
/// every output when `shared` (rows(nil, range)), else head c's kernel for output c (rows(c, range)); f₀ and the
/// predictions as `kernelRegression` defines them. Every solve is a Cholesky (with jitter per the standard policy
/// of `precision` when K + ρI is not numerically positive definite).
public func streamedKernelPrediction(
    n: Int, nTest: Int, shared: Bool, rows: @escaping (Int?, Range<Int>) throws -> Matrix<Double>,
    testRows: ((Int?, Range<Int>) throws -> Matrix<Double>)?, targets: Matrix<Double>,
    initialTrain: Matrix<Double>? = nil, initialTest: Matrix<Double>? = nil, ridge: Double,
    precision: Precision = .float64, blockRows: Int = 1024
) throws -> KernelPrediction {
    let c = targets.columns
    var train = initialTrain ?? Matrix(rows: n, columns: c)
    var test = initialTest ?? Matrix(rows: nTest, columns: c)
    guard targets.rows == n, train.rows == n, train.columns == c, test.rows == nTest, test.columns == c else {
        throw NumericsError(.shapeMismatch, "streamed kernel regression: targets \(targets.rows)×\(c), f₀ \(train.rows)×"
                            + "\(train.columns) and \(test.rows)×\(test.columns) for N = \(n), N_test = \(nTest)")
    }
    let residual = targets - train
    var jitter = 0.0
    let groups: [(head: Int?, columns: [Int])] = shared ? [(nil, Array(0..<c))] : (0..<c).map { ($0, [$0]) }
    for (head, columns) in groups {
        let rhs = Matrix<Double>(rows: n, columns: columns.count) { i, j in residual[i, columns[j]] }
        let read: KernelRowReader = { try rows(head, $0) }
        let readTest: KernelRowReader? = testRows.map { reader in { try reader(head, $0) } }
        let s = precision == .float32
            ? try streamedKernelRegression(Float.self, n: n, rows: read, testRows: readTest, nTest: nTest, residual: rhs,
                                           ridge: ridge, blockRows: blockRows)
            : try streamedKernelRegression(Double.self, n: n, rows: read, testRows: readTest, nTest: nTest, residual: rhs,
                                           ridge: ridge, blockRows: blockRows)
        jitter = max(jitter, s.jitter)
        for i in 0..<n { for (j, column) in columns.enumerated() { train[i, column] += s.train[i, j] } }
        for i in 0..<nTest { for (j, column) in columns.enumerated() { test[i, column] += s.test[i, j] } }
    }
    return KernelPrediction(train: train, test: test, jitter: jitter, solver: .cholesky, rank: nil)
}
