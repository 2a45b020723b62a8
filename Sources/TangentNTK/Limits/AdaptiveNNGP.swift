import Foundation
import TangentCore

/// Settings of the Bayesian min-max saddle (`adaptiveNNGP`).
public struct AdaptiveNNGPSettings: Sendable, Equatable {
    /// γ, the feature-learning strength (γ → 0: the NNGP).
    public var gamma: Double
    /// β, the inverse temperature (`.infinity`: the posterior's zero-temperature limit, a ridgeless predictor).
    public var beta: Double
    /// L, the number of hidden layers (> 1 only for linear networks).
    public var depth: Int
    public var activation: Activation
    /// M, the Monte-Carlo draws of the two-layer nonlinear solver (ignored for linear networks).
    public var samples: Int
    /// The initial fraction of each fixed-point step taken (halved whenever the residual grows).
    public var damping: Double
    public var tolerance: Double
    public var maxIterations: Int

    public init(gamma: Double, beta: Double, depth: Int = 1, activation: Activation = .relu, samples: Int = 20000,
                damping: Double = 0.5, tolerance: Double = 1e-8, maxIterations: Int = 10_000) {
        self.gamma = gamma
        self.beta = beta
        self.depth = depth
        self.activation = activation
        self.samples = samples
        self.damping = damping
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }

    /// 1/β (0 for β = ∞).
    public var temperature: Double { beta.isInfinite ? 0 : 1 / beta }
}

/// The adaptive NNGP (aNBK) of a mean-field network f = (1/(γN))·zᵀφ(h^L) in the Bayesian posterior
/// p(θ) ∝ exp(−β·(½Nγ²·Σ_μ‖f_μ − y_μ‖² + ½|θ|²/β)) at infinite width (Lauditi, Bordelon & Pehlevan 2025):
/// the saddle point of
///
///     S = −½·Σ_ℓ Tr(Φ^ℓ Φ̂^ℓ) + ½γ²·Tr Yᵀ(Φ^L + β⁻¹I)⁻¹Y − Σ_ℓ ln E_{h ~ N(0, Φ^{ℓ−1})} exp(−½ φ(h)ᵀ Φ̂^ℓ φ(h)),
///
/// Φ⁰ = C = XXᵀ/D, min over Φ, max over Φ̂, and the predictor f(x) = Φ^L(x, X)·(Φ^L + β⁻¹I)⁻¹·Y.
///
/// Linear networks of any depth use the exact matrix equations (`deepLinearSaddle`); two-layer nonlinear
/// networks the Monte-Carlo fixed point (`twoLayerSaddle`).
public func adaptiveNNGP(trainInputs x: Matrix<Double>, trainTargets y: Matrix<Double>, testInputs xt: Matrix<Double>,
                         settings: AdaptiveNNGPSettings, rng: inout Xoshiro256StarStar,
                         progress: (SolverStep) -> Void = { _ in }) throws -> AdaptiveKernelResult {
    // Monte-Carlo averages and the small factorizations run on one BLAS thread: same bits for any thread count.
    try Threads.serialBLAS { try saddle(x, y, xt, settings: settings, rng: &rng, progress: progress) }
}

func saddle(_ x: Matrix<Double>, _ y: Matrix<Double>, _ xt: Matrix<Double>, settings: AdaptiveNNGPSettings,
            rng: inout Xoshiro256StarStar, progress: (SolverStep) -> Void) throws -> AdaptiveKernelResult {
    guard x.rows > 0, y.rows == x.rows, xt.columns == x.columns else {
        throw NumericsError(.shapeMismatch, "aNBK: \(x.rows) train inputs, \(y.rows) targets, test inputs with \(xt.columns) features for \(x.columns)")
    }
    guard settings.gamma >= 0, settings.gamma.isFinite, settings.beta > 0, !settings.beta.isNaN, settings.depth >= 1 else {
        throw NumericsError(.invalidArgument, "aNBK: gamma \(settings.gamma) must be ≥ 0, beta \(settings.beta) > 0, depth \(settings.depth) ≥ 1")
    }
    if settings.activation == .linear {
        return try deepLinearSaddle(trainInputs: x, trainTargets: y, testInputs: xt, settings: settings, progress: progress)
    }
    guard settings.depth == 1 else {
        throw NumericsError(.invalidArgument, "aNBK: depth \(settings.depth) with activation \(settings.activation.rawValue) is not supported "
                            + "(deep networks: linear only; nonlinear: depth 1)")
    }
    return try twoLayerSaddle(trainInputs: x, trainTargets: y, testInputs: xt, settings: settings, rng: &rng, progress: progress)
}

/// The two-layer saddle by Monte-Carlo importance sampling. At the saddle, Φ̂ = −γ²·VVᵀ with
/// V = (Φ + β⁻¹I)⁻¹Y (the descent condition ∂S/∂Φ = 0, solved exactly for Φ̂), and Φ = ⟨φφᵀ⟩ under the tilted
/// density p̃(h) ∝ N(h; 0, C)·exp(½γ²·‖Vᵀφ(h)‖²) (the ascent condition ∂S/∂Φ̂ = 0). The solver alternates the
/// two: M fixed draws h ~ N(0, C) over train and test points, self-normalized weights w ∝ exp(½γ²‖Vᵀφ‖²), and
/// a damped step Φ ← Φ + α·(Σ w φφᵀ − Φ); the test rows Φ(x, X) come from the same weights.
func twoLayerSaddle(trainInputs x: Matrix<Double>, trainTargets y: Matrix<Double>, testInputs xt: Matrix<Double>,
                    settings: AdaptiveNNGPSettings, rng: inout Xoshiro256StarStar,
                    progress: (SolverStep) -> Void) throws -> AdaptiveKernelResult {
    let p = x.rows, pt = xt.rows, c = y.columns, m = settings.samples
    guard m >= 2 else { throw NumericsError(.invalidArgument, "aNBK: samples \(m) must be ≥ 2") }
    let invSqrtD = 1 / Double(max(x.columns, 1)).squareRoot()
    let w = Matrix<Double>.randomNormal(rows: m, columns: x.columns, using: &rng)
    var phi = try w.matmul(x, transposeOther: true, alpha: invSqrtD)        // M × P
    var phiTest = try w.matmul(xt, transposeOther: true, alpha: invSqrtD)   // M × P_test
    _ = settings.activation.applyInPlace(&phi, derivative: false)
    _ = settings.activation.applyInPlace(&phiTest, derivative: false)
    let ridge = settings.temperature
    let halfGamma2 = 0.5 * settings.gamma * settings.gamma

    /// The tilted moments for the current Φ, with the weights and their effective sample size.
    func tilted(_ kernel: Matrix<Double>) throws -> (moments: Matrix<Double>, weights: [Double], ess: Double, fit: Matrix<Double>) {
        var a = kernel
        for i in 0..<p { a[i, i] += ridge }
        let v = try a.choleskySolve(y).solution                     // P × C
        let u = try phi.matmul(v)                                   // M × C
        var logWeights = [Double](repeating: 0, count: m)
        for i in 0..<m {
            var s = 0.0
            for j in 0..<c { s += u[i, j] * u[i, j] }
            logWeights[i] = halfGamma2 * s
        }
        let top = logWeights.max() ?? 0
        var weights = logWeights.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        let ess = 1 / weights.reduce(0) { $0 + $1 * $1 }
        let scaled = phi.scalingRows(by: weights.map { $0.squareRoot() })
        let moments = try scaled.matmul(scaled, transposeSelf: true)
        return (moments, weights, ess, try kernel.matmul(v))
    }

    var kernel = try phi.matmul(phi, transposeSelf: true, alpha: 1 / Double(m))   // the NNGP at these draws
    var damping = settings.damping, residual = Double.infinity, iteration = 0, converged = false
    var history: [SolverStep] = []
    var current = try tilted(kernel)
    while true {
        let change = current.moments - kernel
        let newResidual = change.frobeniusNorm / max(kernel.frobeniusNorm, .leastNormalMagnitude)
        guard newResidual.isFinite else {
            throw NumericsError(.noConvergence, "aNBK: the saddle iteration diverged at iteration \(iteration); lower gamma or damping")
        }
        if newResidual > residual { damping = max(damping / 2, 1e-4) }
        residual = newResidual
        let step = SolverStep(iteration: iteration, time: 0, residual: residual,
                              trainMSE: meanSquaredError(current.fit, y))
        history.append(step)
        if iteration % 10 == 0 { progress(step) }
        if residual < settings.tolerance { converged = true; break }
        if iteration >= settings.maxIterations { break }
        axpy(damping, change, into: &kernel)
        kernel = kernel.symmetrized()
        current = try tilted(kernel)
        iteration += 1
    }
    // The predictor with the self-consistent kernel Φ = ⟨φφᵀ⟩_tilted and its test rows.
    let final = current.moments.symmetrized()
    let root = current.weights.map { $0.squareRoot() }
    let finalTest = try phiTest.scalingRows(by: root).matmul(phi.scalingRows(by: root), transposeSelf: true)
    let (train, test, jitter) = try blockRidgePredictor(kernel: final, testKernel: finalTest,
                                                        targets: y, ridge: ridge, sharedAcrossHeads: true)
    let extras: [String: Double] = ["effective_samples": current.ess, "effective_fraction": current.ess / Double(m),
                                    "jitter": jitter, "damping": damping]
    return AdaptiveKernelResult(trainKernel: final, testKernel: finalTest, featureKernel: final, trainPredictions: train,
                                testPredictions: test, ridge: ridge, iterations: iteration, residual: residual,
                                converged: converged, history: history, extras: extras, layerKernels: [])
}

/// The deep linear saddle without sampling. With φ(h) = h the layer integrals are Gaussian,
/// ln Z_ℓ = −½ ln det(I + Φ^{ℓ−1}Φ̂^ℓ), and the saddle equations are
///
///     Φ^ℓ = Φ^{ℓ−1}(I + Φ̂^ℓ Φ^{ℓ−1})⁻¹,   Φ̂^ℓ = Φ̂^{ℓ+1}(I + Φ^ℓ Φ̂^{ℓ+1})⁻¹,
///     Φ̂^L = −γ²·(Φ^L + β⁻¹I)⁻¹ y yᵀ (Φ^L + β⁻¹I)⁻¹,
///
/// over train and test points together (Φ̂ is zero on test rows), Φ⁰ = C. For one output every Φ̂^ℓ is rank one,
/// −a_ℓ·uuᵀ with u = γ(Φ^L + β⁻¹I)⁻¹y, and with b_ℓ = uᵀΦ^ℓu the equations become b_ℓ = b_{ℓ−1}/(1 − a_ℓ b_{ℓ−1}),
/// 1/a_ℓ = 1/a_{ℓ+1} − b_ℓ, a_L = 1, whose solution is geometric: b_ℓ = ρ^ℓ·b₀ with ρ − 1 = b₀ρ^L, and
/// Φ^ℓ = Φ^{ℓ−1} + ((ρ − 1)/b_{ℓ−1})·Φ^{ℓ−1}u·uᵀΦ^{ℓ−1}. The solver writes u = s·û: for a direction û (from the
/// current Φ^L) it solves the scalar equation s·ûᵀCû = γ·ûᵀC(Φ^L(ρ) + β⁻¹I)⁻¹y for ρ (s² = (ρ − 1)/(ρ^L·ûᵀCû)) by
/// bisection in ln(ρ − 1), then updates the direction (damped). For whitened inputs (C = I) the direction is y's
/// from the start and the first iteration is exact; otherwise the direction iteration may fail to converge, which
/// is reported.
func deepLinearSaddle(trainInputs x: Matrix<Double>, trainTargets y: Matrix<Double>, testInputs xt: Matrix<Double>,
                      settings: AdaptiveNNGPSettings, progress: (SolverStep) -> Void) throws -> AdaptiveKernelResult {
    let p = x.rows, pt = xt.rows, depth = settings.depth, gamma = settings.gamma
    guard y.columns == 1 else {
        throw NumericsError(.invalidArgument, "aNBK: linear networks take one output, the targets have \(y.columns)")
    }
    let all = try Matrix(rows: p + pt, columns: x.columns, elements: x.elements + xt.elements)
    let input = try all.matmul(all, transposeOther: true, alpha: 1 / Double(max(x.columns, 1)))   // C over all points
    let ridge = settings.temperature
    let n = p + pt
    let l = Double(depth)
    if gamma == 0 {
        return try linearResult(layers: Array(repeating: input, count: depth), p: p, y: y, ridge: ridge, iterations: 0,
                                residual: 0, converged: true, history: [])
    }

    /// Φ¹ … Φ^L for the direction û and ρ = 1 + r.
    func chain(_ direction: Matrix<Double>, _ r: Double) throws -> (layers: [Matrix<Double>], scale: Double) {
        let q = try direction.matmul(try input.matmul(direction), transposeSelf: true)[0, 0]
        let rho = 1 + r
        let scale = (r / (pow(rho, l) * q)).squareRoot()
        let u = scale * direction
        var b = scale * scale * q
        var previous = input, layers: [Matrix<Double>] = []
        for _ in 0..<depth {
            let pu = try previous.matmul(u)
            var next = previous
            try Matrix.gemm(pu, pu, transposeB: true, alpha: r / b, beta: 1, into: &next)
            layers.append(next)
            previous = next
            b *= rho
        }
        return (layers, scale)
    }
    func solveTrain(_ kernel: Matrix<Double>, _ rhs: Matrix<Double>) throws -> Matrix<Double> {
        var a = kernel.block(rows: 0..<p, columns: 0..<p)
        for i in 0..<p { a[i, i] += ridge }
        return try a.choleskySolve(rhs).solution
    }

    var kernel = input.block(rows: 0..<p, columns: 0..<p)
    var layers: [Matrix<Double>] = []
    var residual = Double.infinity, iteration = 0, converged = false, damping = settings.damping
    var history: [SolverStep] = []
    var logR = log(min(gamma * gamma, 1 / l))
    while true {
        // The direction û from the current kernel, zero on test points.
        var a = kernel
        for i in 0..<p { a[i, i] += ridge }
        let v = try a.choleskySolve(y).solution
        let norm = v.frobeniusNorm
        let direction = Matrix(rows: n, columns: 1) { i, _ in i < p ? v[i, 0] / norm : 0 }
        let weighted = try input.matmul(direction).block(rows: 0..<p, columns: 0..<1)   // (Cû) on train points
        let q = try direction.matmul(try input.matmul(direction), transposeSelf: true)[0, 0]
        /// ln s − ln(γ·ûᵀC(Φ^L + β⁻¹I)⁻¹y/ûᵀCû): increasing in ln(ρ − 1), zero at the saddle.
        func mismatch(_ logR: Double) throws -> Double {
            guard let (layers, scale) = try? chain(direction, exp(logR)) else { return .infinity }
            guard let solved = try? solveTrain(layers[depth - 1], y) else { return .infinity }
            let rhs = gamma * (try weighted.matmul(solved, transposeSelf: true))[0, 0] / q
            return rhs > 0 ? log(scale) - log(rhs) : .infinity
        }
        var low = logR, high = logR
        var guardCount = 0
        while try mismatch(low) >= 0, guardCount < 200 { low -= 0.5; guardCount += 1 }
        while try mismatch(high) <= 0, guardCount < 400 { high += 0.5; guardCount += 1 }
        guard guardCount < 400 else {
            throw NumericsError(.noConvergence, "aNBK: no deep linear saddle along the current direction (γ \(gamma), L \(depth)); lower gamma")
        }
        for _ in 0..<100 {
            let mid = 0.5 * (low + high)
            if try mismatch(mid) < 0 { low = mid } else { high = mid }
        }
        logR = 0.5 * (low + high)
        layers = try chain(direction, exp(logR)).layers
        let next = layers[depth - 1].block(rows: 0..<p, columns: 0..<p)
        let change = (next - kernel).frobeniusNorm / max(kernel.frobeniusNorm, .leastNormalMagnitude)
        if change > residual { damping = max(damping / 2, 1e-3) }
        residual = change
        let step = SolverStep(iteration: iteration, time: 0, residual: residual, trainMSE: meanSquaredError(try ridgeFit(next, y, ridge), y))
        history.append(step)
        progress(step)
        kernel = iteration == 0 ? next : kernel + damping * (next - kernel)
        if residual < settings.tolerance { converged = true; break }
        if iteration >= settings.maxIterations { break }
        iteration += 1
    }
    return try linearResult(layers: layers, p: p, y: y, ridge: ridge, iterations: iteration, residual: residual,
                            converged: converged, history: history)
}

/// The aNBK result from the layer kernels over train and test points.
func linearResult(layers: [Matrix<Double>], p: Int, y: Matrix<Double>, ridge: Double, iterations: Int, residual: Double,
                  converged: Bool, history: [SolverStep]) throws -> AdaptiveKernelResult {
    let last = layers[layers.count - 1]
    let n = last.rows
    let train = last.block(rows: 0..<p, columns: 0..<p)
    let test = last.block(rows: p..<n, columns: 0..<p)
    let (trainPrediction, testPrediction, jitter) = try blockRidgePredictor(kernel: train, testKernel: test, targets: y,
                                                                             ridge: ridge, sharedAcrossHeads: true)
    return AdaptiveKernelResult(trainKernel: train, testKernel: test, featureKernel: train,
                                trainPredictions: trainPrediction, testPredictions: testPrediction, ridge: ridge,
                                iterations: iterations, residual: residual, converged: converged, history: history,
                                extras: ["jitter": jitter], layerKernels: layers.map { $0.block(rows: 0..<p, columns: 0..<p) })
}

/// c_ℓ of the deep linear saddle for whitened inputs (C = I) and a unit target (|y| = 1), where
/// Φ^ℓ = I + (c_ℓ − 1)·yyᵀ: c_ℓ = (1 − χ)^ℓ with χ = −γ²·c_L/(β⁻¹ + c_L)². Solved for s = ln c_L by Newton's
/// method on F(s) = s − L·ln(1 − χ(eˢ)) (a scalar second algorithm to the matrix equations).
public func deepLinearSaddleScalars(gamma: Double, beta: Double, depth: Int) throws -> [Double] {
    let t = beta.isInfinite ? 0 : 1 / beta
    let g2 = gamma * gamma, l = Double(depth)
    func chi(_ c: Double) -> Double { -g2 * c / ((t + c) * (t + c)) }
    func f(_ s: Double) -> Double { s - l * log(1 - chi(exp(s))) }
    var s = log(1 + l * g2)
    for _ in 0..<200 {
        let h = 1e-6 * max(1, abs(s))
        let slope = (f(s + h) - f(s - h)) / (2 * h)
        let step = f(s) / slope
        s -= max(-1, min(1, step))
        if abs(step) < 1e-15 * max(1, abs(s)) { break }
    }
    guard abs(f(s)) < 1e-10 else {
        throw NumericsError(.noConvergence, "deep linear saddle scalars: Newton did not converge (γ \(gamma), β \(beta), L \(depth))")
    }
    let x = chi(exp(s))
    return (1...depth).map { pow(1 - x, Double($0)) }
}

/// K(K + ρI)⁻¹Y on the train points.
func ridgeFit(_ kernel: Matrix<Double>, _ y: Matrix<Double>, _ ridge: Double) throws -> Matrix<Double> {
    try blockRidgePredictor(kernel: kernel, testKernel: Matrix(rows: 0, columns: kernel.columns), targets: y, ridge: ridge,
                            sharedAcrossHeads: true).train
}

extension Matrix where Scalar == Double {
    /// (A + Aᵀ)/2
    func symmetrized() -> Matrix<Double> {
        Matrix(rows: rows, columns: columns) { i, j in 0.5 * (self[i, j] + self[j, i]) }
    }

    /// The sub-matrix of the given rows and columns.
    func block(rows r: Range<Int>, columns cols: Range<Int>) -> Matrix<Double> {
        Matrix(rows: r.count, columns: cols.count) { i, j in self[r.lowerBound + i, cols.lowerBound + j] }
    }
}
