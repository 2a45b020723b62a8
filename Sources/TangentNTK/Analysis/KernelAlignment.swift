import TangentCore

/// Kernel–target alignment (Cortes et al.; the papers' uncentered form):
///
///     A(K, Y) = ⟨K, YYᵀ⟩_F / (‖K‖_F · ‖YYᵀ‖_F) = tr(YᵀKY) / (‖K‖_F · ‖YᵀY‖_F)
///
/// for a kernel K (N × N) and targets Y (N × C; a vector y gives yᵀKy / (‖K‖_F·|y|²)). With `centered`, K and Y are
/// first centred: K ← HKH, Y ← HY with H = I − 11ᵀ/N (centred kernel alignment, CKA). Undefined (NaN) when K or
/// Y is zero.
public func kernelAlignment(_ k: Matrix<Double>, _ y: Matrix<Double>, centered: Bool = false) throws -> Double {
    guard k.isSquare, k.rows == y.rows else {
        throw NumericsError(.shapeMismatch, "alignment: kernel \(k.rows)×\(k.columns) and targets \(y.rows)×\(y.columns)")
    }
    let (kk, yy) = centered ? (centeredKernel(k), centeredColumns(y)) : (k, y)
    let numerator = try yy.matmul(try kk.matmul(yy), transposeSelf: true).trace   // tr(YᵀKY)
    let gram = try yy.matmul(yy, transposeSelf: true)                             // YᵀY (C × C): ‖YYᵀ‖_F = ‖YᵀY‖_F
    let denominator = kk.frobeniusNorm * gram.frobeniusNorm
    return denominator > 0 ? numerator / denominator : .nan
}

/// cos(A, B) = ⟨A, B⟩_F / (‖A‖_F·‖B‖_F); NaN when A or B is zero.
public func kernelCosine(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
    let d = a.frobeniusNorm * b.frobeniusNorm
    return d > 0 ? a.frobeniusInner(b) / d : .nan
}

/// HKH with H = I − 11ᵀ/N: subtracts row and column means and adds back the grand mean.
public func centeredKernel(_ k: Matrix<Double>) -> Matrix<Double> {
    let n = k.rows
    let rowMeans = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + k[i, $1] } / Double(n) }
    let grand = rowMeans.reduce(0, +) / Double(n)
    // K is symmetric, so column means equal row means.
    return Matrix(rows: n, columns: n) { i, j in k[i, j] - rowMeans[i] - rowMeans[j] + grand }
}

/// HY: each column minus its mean.
public func centeredColumns(_ y: Matrix<Double>) -> Matrix<Double> {
    let means = y.columnSums.map { $0 / Double(max(y.rows, 1)) }
    return Matrix(rows: y.rows, columns: y.columns) { i, j in y[i, j] - means[j] }
}

/// ‖K − K₀‖_F / ‖K₀‖_F, the kernel's relative movement from K₀; NaN when K₀ is zero.
public func relativeKernelChange(_ k: Matrix<Double>, from k0: Matrix<Double>) -> Double {
    let base = k0.frobeniusNorm
    return base > 0 ? (k - k0).frobeniusNorm / base : .nan
}
