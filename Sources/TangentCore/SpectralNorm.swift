/// The result of a power iteration for the spectral norm ‖A‖_* = σ_max(A).
public struct PowerIterationResult: Sendable {
    public let norm: Double
    public let iterations: Int
    /// True when successive estimates changed by less than the tolerance (relative).
    public let converged: Bool
}

extension Matrix {
    /// ‖A‖_* = σ_max(A), exactly, from the singular values (LAPACK GESDD).
    public func spectralNorm() throws -> Double {
        Double(try singularValues().first ?? 0)
    }

    /// ‖A‖_* by power iteration on AᵀA: v ← AᵀA·v/‖AᵀA·v‖, estimate ‖A·v‖, stopping when the estimate changes by
    /// less than `tolerance` (relative) or after `maxIterations`. The start vector is drawn from `seed`, so the
    /// result is reproducible. Cost per iteration: two matrix-vector products.
    public func spectralNormPowerIteration(tolerance: Double = 1e-10, maxIterations: Int = 1000,
                                           seed: UInt64 = 0) throws -> PowerIterationResult {
        try checkFinite("the matrix passed to spectralNormPowerIteration")
        guard rows > 0, columns > 0 else { return PowerIterationResult(norm: 0, iterations: 0, converged: true) }
        var rng = Xoshiro256StarStar(seed: seed)
        var v = try Matrix(rows: columns, columns: 1, elements: rng.normals(columns))
        var estimate = 0.0
        for iteration in 1...Swift.max(maxIterations, 1) {
            let vNorm = v.frobeniusNorm
            guard vNorm > 0 else { return PowerIterationResult(norm: 0, iterations: iteration, converged: true) }
            v = Scalar(1 / vNorm) * v
            let av = try matmul(v)                          // A·v
            let next = av.frobeniusNorm                     // ‖A·v‖ → σ_max as v → top right singular vector
            v = try matmul(av, transposeSelf: true)         // Aᵀ·A·v
            if abs(next - estimate) <= tolerance * Swift.max(next, Double.leastNormalMagnitude) {
                return PowerIterationResult(norm: next, iterations: iteration, converged: true)
            }
            estimate = next
        }
        return PowerIterationResult(norm: estimate, iterations: maxIterations, converged: false)
    }

    /// The stable rank ‖A‖_F² / ‖A‖_*².
    public func stableRank() throws -> Double {
        let s = try spectralNorm()
        return s > 0 ? frobeniusNorm * frobeniusNorm / (s * s) : 0
    }
}
