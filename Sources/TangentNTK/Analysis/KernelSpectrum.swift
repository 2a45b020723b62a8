import TangentCore

/// The eigen-structure of a kernel relative to targets.
public struct KernelSpectrum: Sendable {
    /// λ_1 ≥ λ_2 ≥ … (all, or the top k).
    public var eigenvalues: [Double]
    /// Cumulative target power C(k) = Σ_{i≤k} ‖v_iᵀY‖² / ‖Y‖²_F at the requested k (v_i unit eigenvectors).
    public var cumulativePower: [(k: Int, value: Double)]
    /// Participation ratio (Σ_i λ_i)² / Σ_i λ_i² over the computed eigenvalues.
    public var effectiveRank: Double
    /// The smallest computed eigenvalue.
    public var smallest: Double
    /// Eigenvectors as columns (when asked for).
    public var vectors: Matrix<Double>?
}

/// Eigenvalues (all, or the `top` largest via LAPACK SYEVR), the cumulative target power at `ks` (clamped to the
/// number of eigenpairs), the effective rank and the smallest eigenvalue of a symmetric kernel.
public func kernelSpectrum(_ k: Matrix<Double>, targets y: Matrix<Double>, top: Int? = nil,
                           ks: [Int] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], keepVectors: Bool = false) throws -> KernelSpectrum {
    guard k.rows == y.rows else {
        throw NumericsError(.shapeMismatch, "kernel has \(k.rows) samples but the targets have \(y.rows)")
    }
    let e = try top.map { try k.topEigen(min($0, k.rows)) } ?? k.symmetricEigen()
    let v = e.vectors!
    let projections = try v.matmul(y, transposeSelf: true)   // (k × C): v_iᵀY
    let total = y.frobeniusInner(y)
    var running = 0.0, cumulative: [Double] = []
    for i in 0..<projections.rows {
        running += projections.row(i).reduce(0) { $0 + $1 * $1 }
        cumulative.append(total > 0 ? running / total : 0)
    }
    let kept = Array(Set(ks.map { min($0, cumulative.count) }.filter { $0 >= 1 })).sorted()
    let sum = e.values.reduce(0, +), squares = e.values.reduce(0) { $0 + $1 * $1 }
    return KernelSpectrum(eigenvalues: e.values, cumulativePower: kept.map { ($0, cumulative[$0 - 1]) },
                          effectiveRank: squares > 0 ? sum * sum / squares : 0, smallest: e.values.last ?? 0,
                          vectors: keepVectors ? v : nil)
}
