import TangentCore

/// How the linear system of a kernel predictor was solved.
public enum KernelSolver: String, Sendable {
    /// Cholesky of K + ρI (`Matrix.choleskySolve`); `jitter` reports any diagonal δ that had to be added.
    case cholesky
    /// Minimum-norm least squares on K (`Matrix.leastSquares`, GELSD with rcond = ε·P): used for ρ = 0 when K is
    /// not numerically positive definite (rank deficient). On the span of K it interpolates exactly.
    case leastSquares = "least_squares"
}

/// The predictions of one kernel predictor on the train and test points.
public struct KernelPrediction: Sendable {
    /// f(X), P × C.
    public var train: Matrix<Double>
    /// f(X_test), P_test × C (0 rows when no test kernel was given).
    public var test: Matrix<Double>
    /// The largest diagonal jitter δ added over the heads (0: none).
    public var jitter: Double
    /// The solver used (least squares when any head needed it).
    public var solver: KernelSolver
    /// The smallest numerical rank over heads solved by least squares (nil: all by Cholesky).
    public var rank: Int?
}

/// Kernel (ridge) regression with an offset f₀:
///
///     f(x) = f₀(x) + K(x, X)·(K(X, X) + ρI)⁻¹·(Y − f₀(X))
///
/// - `kernels`: K(X, X) per output head (C matrices P × P, head c's kernel for output column c), or one matrix
///   shared by every output (the trace kernel Σ_c Θ^c).
/// - `testKernels`: K(X_test, X) in the same layout (P_test × P), or empty for train predictions only.
/// - `targets`: Y, P × C. `initialTrain`/`initialTest`: f₀(X), f₀(X_test) (nil: f₀ = 0).
/// - `ridge`: ρ ≥ 0. For ρ > 0 the system is solved by Cholesky (standard jitter policy, reported). For ρ = 0
///   Cholesky is tried without any jitter; if K is not numerically positive definite the minimum-norm least-squares
///   solution α = K⁺(Y − f₀(X)) is used instead (so f(X) = Y on the range of K, no jitter bias).
public func kernelRegression(kernels: [Matrix<Double>], testKernels: [Matrix<Double>], targets: Matrix<Double>,
                             initialTrain: Matrix<Double>? = nil, initialTest: Matrix<Double>? = nil,
                             ridge: Double) throws -> KernelPrediction {
    let p = targets.rows, c = targets.columns
    let pt = try checkKernelShapes(kernels, test: testKernels, targets: targets, method: "kernel regression")
    guard ridge >= 0, ridge.isFinite else {
        throw NumericsError(.invalidArgument, "kernel regression: ridge \(ridge) must be finite and ≥ 0")
    }
    let f0 = initialTrain ?? Matrix(rows: p, columns: c)
    let f0Test = initialTest ?? Matrix(rows: pt, columns: c)
    guard f0.rows == p, f0.columns == c, f0Test.rows == pt, f0Test.columns == c else {
        throw NumericsError(.shapeMismatch, "kernel regression: f₀ shapes \(f0.rows)×\(f0.columns), \(f0Test.rows)×\(f0Test.columns) "
                            + "do not match \(p)×\(c) train and \(pt)×\(c) test")
    }
    let residual = targets - f0
    var train = f0, test = f0Test
    var jitter = 0.0, solver = KernelSolver.cholesky, rank: Int? = nil
    // One solve per distinct kernel: all columns at once for a shared kernel, column c for head c.
    let groups: [(kernel: Int, columns: [Int])] = kernels.count == 1 ? [(0, Array(0..<c))] : (0..<c).map { ($0, [$0]) }
    for (index, columns) in groups {
        let k = kernels[index]
        let rhs = Matrix<Double>(rows: p, columns: columns.count) { i, j in residual[i, columns[j]] }
        var alpha: Matrix<Double>
        if ridge > 0 {
            var a = k
            for i in 0..<p { a[i, i] += ridge }
            let s = try a.choleskySolve(rhs)
            alpha = s.solution
            jitter = max(jitter, s.jitter)
        } else if let s = try? k.choleskySolve(rhs, jitter: .none) {
            alpha = s.solution
        } else {
            let s = try k.leastSquares(rhs)
            alpha = s.solution
            solver = .leastSquares
            rank = min(rank ?? s.rank, s.rank)
        }
        let fitTrain = try k.matmul(alpha)
        for i in 0..<p { for (j, col) in columns.enumerated() { train[i, col] += fitTrain[i, j] } }
        if !testKernels.isEmpty {
            let fitTest = try testKernels[index].matmul(alpha)
            for i in 0..<pt { for (j, col) in columns.enumerated() { test[i, col] += fitTest[i, j] } }
        }
    }
    return KernelPrediction(train: train, test: test, jitter: jitter, solver: solver, rank: rank)
}

/// The mean squared error over all entries: (1/(P·C)) Σ_{μ,c} (f_c(x_μ) − y_{μ,c})² (0 for no entries).
public func meanSquaredError(_ f: Matrix<Double>, _ y: Matrix<Double>) -> Double {
    guard f.count > 0 else { return 0 }
    let r = f - y
    return r.frobeniusInner(r) / Double(f.count)
}

/// The relative distance ‖f_K − f_NN‖_F / ‖f_NN‖_F over all points and outputs (NaN when ‖f_NN‖ = 0).
public func relativePredictionError(_ fK: Matrix<Double>, _ fNN: Matrix<Double>) -> Double {
    let d = fK - fNN
    let norm = fNN.frobeniusNorm
    return norm > 0 ? d.frobeniusNorm / norm : .nan
}

/// The ridge ρ at which kernel regression matches a 2-homogeneous network trained to its stationary point under
/// weight decay λ: ρ = 2λ·P for the mean-normalized loss 1/(2P)Σ‖f − y‖² and ρ = 2λ for the summed loss
/// ½Σ‖f − y‖² (the stationarity condition λθ = −∇L, with the loss's 1/P factor moved to the ridge).
public func weightDecayRidge(lambda: Double, samples: Int, loss: LossNormalization) -> Double {
    2 * lambda * (loss == .mean ? Double(samples) : 1)
}

/// Σ_c K^c: the trace kernel of per-head kernels (or of per-head test blocks), nil for none.
public func traceKernel(_ heads: [Matrix<Double>]) -> Matrix<Double>? {
    guard var sum = heads.first else { return nil }
    for k in heads.dropFirst() { sum += k }
    return sum
}
