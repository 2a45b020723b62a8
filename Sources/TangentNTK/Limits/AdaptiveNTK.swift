import Foundation
import TangentCore

/// Settings of the two-layer mean-field DMFT with weight decay (`adaptiveNTK`).
public struct AdaptiveNTKSettings: Sendable, Equatable {
    /// γ, the feature-learning strength (γ → 0: lazy).
    public var gamma: Double
    /// λ, the weight decay.
    public var weightDecay: Double
    /// φ: relu or linear (the 2λ-ridge identity needs a 1-homogeneous φ).
    public var activation: Activation
    /// M, the number of neuron draws (even: they come in pairs (w, z), (w, −z), so f₀ = 0 exactly).
    public var samples: Int
    /// Each iteration is one Euler step of the DMFT's gradient flow with dt = damping/(2λ + κ), κ the current
    /// kernel's top eigenvalue: damping ∈ (0, 1] is the fraction of the fastest stable step.
    public var damping: Double
    /// Stop when the residual (the relative velocity of the fields in units of the fastest rate) is below this.
    public var tolerance: Double
    public var maxIterations: Int
    /// Stop at this flow time (a trained network with learning rate η after S steps is at time η·S); nil: none.
    public var maxTime: Double?
    /// The state the solver steps: nil chooses by cost (tests force each to check they agree).
    var weightState: Bool? = nil

    public init(gamma: Double, weightDecay: Double, activation: Activation = .relu, samples: Int = 4000,
                damping: Double = 0.5, tolerance: Double = 1e-6, maxIterations: Int = 100_000, maxTime: Double? = nil) {
        self.gamma = gamma
        self.weightDecay = weightDecay
        self.activation = activation
        self.samples = samples
        self.damping = damping
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.maxTime = maxTime
    }

    public static let supportedActivations: [Activation] = [.relu, .linear]
}

/// One logged iteration of an adaptive-kernel solver.
public struct SolverStep: Sendable, Equatable {
    public var iteration: Int
    /// Flow time (DMFT) or 0 (saddle solvers).
    public var time: Double
    public var residual: Double
    /// The train MSE of the solver's current predictor.
    public var trainMSE: Double
}

/// An adaptive kernel and its predictor.
public struct AdaptiveKernelResult: Sendable {
    /// The predictor's kernel on the train points: P × P (one output), or (C·P) × (C·P) ordered head-major.
    public var trainKernel: Matrix<Double>
    /// The kernel between test and train points: P_test × P, or (C·P_test) × (C·P).
    public var testKernel: Matrix<Double>
    /// Φ on the train points (the feature kernel), P × P.
    public var featureKernel: Matrix<Double>
    /// The kernel predictor on the train and test points, P × C and P_test × C.
    public var trainPredictions: Matrix<Double>
    public var testPredictions: Matrix<Double>
    /// The ridge of the predictor (2λ for the aNTK, 1/β for the aNBK).
    public var ridge: Double
    public var iterations: Int
    public var residual: Double
    public var converged: Bool
    /// The logged iterations (every iteration up to 100, then about 1,000 spaced evenly, and the last).
    public var history: [SolverStep]
    /// Scalars specific to the solver (flow time, the population's own test output error, effective sample size…).
    public var extras: [String: Double]
    /// Per-layer kernels Φ^ℓ (deep linear aNBK), each P × P.
    public var layerKernels: [Matrix<Double>]
}

/// The adaptive NTK (aNTK) of a two-layer mean-field network f(x) = (1/(γM))·Σ_i z_i·φ(h_i(x)) trained by
/// gradient flow on ½·Σ_μ ‖f(x_μ) − y_μ‖² with weight decay λ (θ̇ = −(Mγ²∇L + λθ)), at its stationary point,
/// by Monte-Carlo DMFT over M neuron draws (Lauditi, Bordelon & Pehlevan 2025):
///
///     h ~ N(0, C) (C = X Xᵀ/D over train and test points), z ~ N(0, I_C),
///     ḣ_μ = γ·Σ_ν C_{μν}·g_ν·Δ_ν − λ·h_μ,   ż = γ·Σ_ν φ(h_ν)·Δ_ν − λ·z,
///     g = φ'(h)·z,  f = ⟨φ(h)·z⟩/γ,  Δ = y − f (train points),
///
/// integrated until the fields stop moving, where λz = γ⟨φΔ⟩ and λh = γ·C·g·Δ. The kernel is
/// K = Φ + G⊙C with Φ = ⟨φφᵀ⟩, G = ⟨ggᵀ⟩ (per pair of heads for several outputs), and because f is 2-homogeneous
/// in (W, z), the stationary network is the ridge predictor f(x) = K(x, X)·(K + 2λI)⁻¹·y.
///
/// Neurons are drawn in antithetic pairs (w, z), (w, −z), so the initial output is exactly 0 as at infinite
/// width. Draws come from `rng` only, and every reduction is in a fixed order: same seed, same numbers, for any
/// thread count.
public func adaptiveNTK(trainInputs x: Matrix<Double>, trainTargets y: Matrix<Double>, testInputs xt: Matrix<Double>,
                        settings: AdaptiveNTKSettings, rng: inout Xoshiro256StarStar,
                        progress: (SolverStep) -> Void = { _ in }) throws -> AdaptiveKernelResult {
    // Averages over the M draws run on one BLAS thread (same bits for any thread count); the products whose inner
    // dimension is P (the field updates) use every thread.
    let threads = Threads.blasThreads
    return try Threads.serialBLAS {
        try dmft(x, y, xt, settings: settings, threads: threads, rng: &rng, progress: progress)
    }
}

func dmft(_ x: Matrix<Double>, _ y: Matrix<Double>, _ xt: Matrix<Double>, settings: AdaptiveNTKSettings, threads: Int,
          rng: inout Xoshiro256StarStar, progress: (SolverStep) -> Void) throws -> AdaptiveKernelResult {
    let p = x.rows, pt = xt.rows, c = y.columns, d = x.columns
    let (gamma, lambda) = (settings.gamma, settings.weightDecay)
    guard p > 0, y.rows == p, xt.columns == d else {
        throw NumericsError(.shapeMismatch, "aNTK: \(p) train inputs, \(y.rows) targets, test inputs with \(xt.columns) features for \(d)")
    }
    guard gamma > 0, gamma.isFinite, lambda >= 0, lambda.isFinite else {
        throw NumericsError(.invalidArgument, "aNTK: gamma \(gamma) must be > 0 and weight_decay \(lambda) ≥ 0")
    }
    guard settings.samples >= 2, settings.samples % 2 == 0 else {
        throw NumericsError(.invalidArgument, "aNTK: samples \(settings.samples) must be even and ≥ 2")
    }
    guard AdaptiveNTKSettings.supportedActivations.contains(settings.activation) else {
        throw NumericsError(.invalidArgument, "aNTK: activation \(settings.activation.rawValue) is not 1-homogeneous (use relu or linear)")
    }
    let m = settings.samples, half = m / 2
    let invSqrtD = 1 / Double(max(d, 1)).squareRoot()

    // Draws: w (M/2 × D) and z (M/2 × C), mirrored in z.
    let wHalf = Matrix<Double>.randomNormal(rows: half, columns: d, using: &rng)
    let zHalf = Matrix<Double>.randomNormal(rows: half, columns: c, using: &rng)
    let wAll = try Matrix(rows: m, columns: d, elements: wHalf.elements + wHalf.elements)
    var z = try Matrix(rows: m, columns: c, elements: zHalf.elements + zHalf.elements.map { -$0 })
    let cTrain = try x.matmul(x, transposeOther: true, alpha: invSqrtD * invSqrtD)   // P × P
    let cCross = try x.matmul(xt, transposeOther: true, alpha: invSqrtD * invSqrtD)  // P × P_test
    // The state: the first-layer weights w (M × D), with h = w·xᵀ/√D and ẇ = γ·S·X/√D − λw, when that costs less
    // than the fields h themselves (ḣ = γ·S·C − λh over train and test points): 2·D·(P_all + P) < P·P_all flops
    // per draw. The two are the same flow (C = XXᵀ/D).
    let all = p + pt
    let weightSpace = settings.weightState ?? (2 * d * (all + p) < p * all)
    var w = wAll
    var h = try wAll.matmul(x, transposeOther: true, alpha: invSqrtD)        // M × P
    var hTest = try wAll.matmul(xt, transposeOther: true, alpha: invSqrtD)   // M × P_test

    let activation = settings.activation
    var state = DMFTState(m: m, p: p, pt: pt, c: c)
    var history: [SolverStep] = []
    var kappa = 0.0, time = 0.0, residual = Double.infinity, iteration = 0, converged = false
    func record(_ step: SolverStep, force: Bool) {
        let every = max(1, settings.maxIterations / 1000)
        if force || step.iteration <= 100 || step.iteration % every == 0 { history.append(step) }
    }
    while true {
        // Fields → φ, φ', the population's output and the residuals Δ.
        try state.evaluate(h: h, z: z, activation: activation, gamma: gamma, targets: y)
        if iteration % 20 == 0 || kappa == 0 {
            kappa = try state.topKernelEigenvalue(z: z, cTrain: cTrain)
        }
        // Velocities of the state (w or h, h_test) and of z.
        var (velocities, zDot) = try Threads.withBLASThreads(threads) {
            let backwardSignal = try state.scaledBackward(z: z)
            let fields: [Matrix<Double>] = weightSpace
                ? [try backwardSignal.matmul(x, alpha: gamma * invSqrtD)]                                // γ·S·X/√D (M × D)
                : [try backwardSignal.matmul(cTrain, alpha: gamma),                                      // γ·S·C  (M × P)
                   pt > 0 ? try backwardSignal.matmul(cCross, alpha: gamma) : Matrix(rows: m, columns: 0)]
            return (fields, try state.phi.matmul(state.delta, alpha: gamma))                             // γ·Φ·Δ  (M × C)
        }
        let current = weightSpace ? [w] : [h, hTest]
        for i in velocities.indices { axpy(-lambda, current[i], into: &velocities[i]) }
        axpy(-lambda, z, into: &zDot)
        let rate = 2 * lambda + kappa
        let stateNorm = current.reduce(0) { $0 + $1.frobeniusInner($1) }.squareRoot()
        let velocityNorm = velocities.reduce(0) { $0 + $1.frobeniusInner($1) }.squareRoot()
        residual = max(velocityNorm / max(stateNorm, .leastNormalMagnitude), zDot.frobeniusNorm / max(z.frobeniusNorm, .leastNormalMagnitude)) / rate
        guard residual.isFinite else {
            throw NumericsError(.noConvergence, "aNTK: the DMFT diverged at iteration \(iteration) (time \(time)); lower damping")
        }
        let step = SolverStep(iteration: iteration, time: time, residual: residual, trainMSE: state.trainMSE)
        record(step, force: false)
        if iteration % 50 == 0 { progress(step) }
        if residual < settings.tolerance { converged = true; break }
        if iteration >= settings.maxIterations { break }
        if let maxTime = settings.maxTime, time >= maxTime * (1 - 1e-12) { break }
        var dt = settings.damping / rate
        if let maxTime = settings.maxTime { dt = min(dt, maxTime - time) }
        if weightSpace {
            axpy(dt, velocities[0], into: &w)
            (h, hTest) = try Threads.withBLASThreads(threads) {
                (try w.matmul(x, transposeOther: true, alpha: invSqrtD), try w.matmul(xt, transposeOther: true, alpha: invSqrtD))
            }
        } else {
            axpy(dt, velocities[0], into: &h)
            axpy(dt, velocities[1], into: &hTest)
        }
        axpy(dt, zDot, into: &z)
        time += dt
        iteration += 1
    }
    if history.last?.iteration != iteration {
        record(SolverStep(iteration: iteration, time: time, residual: residual, trainMSE: state.trainMSE), force: true)
    }

    // The kernel at the final fields, and its ridge predictor.
    try state.evaluate(h: h, z: z, activation: activation, gamma: gamma, targets: y)
    var phiTest = hTest
    let derivativeTest = activation.applyInPlace(&phiTest, derivative: true) ?? Matrix(rows: m, columns: pt)
    let scale = 1 / Double(m)
    let feature = try state.phi.matmul(state.phi, transposeSelf: true, alpha: scale)          // P × P
    let featureTest = try phiTest.matmul(state.phi, transposeSelf: true, alpha: scale)        // P_test × P
    let backward = (0..<c).map { state.derivative.scalingRows(by: z.column($0)) }
    let backwardTest = (0..<c).map { derivativeTest.scalingRows(by: z.column($0)) }
    var kernel = Matrix<Double>(rows: c * p, columns: c * p)
    var kernelTest = Matrix<Double>(rows: c * pt, columns: c * p)
    for a in 0..<c {
        for b in 0..<c {
            let g = try backward[a].matmul(backward[b], transposeSelf: true, alpha: scale)
            kernel.setBlock(a * p, b * p, (a == b ? feature : Matrix(rows: p, columns: p)) + g.hadamard(cTrain))
            if pt > 0 {
                let gt = try backwardTest[a].matmul(backward[b], transposeSelf: true, alpha: scale)
                kernelTest.setBlock(a * pt, b * p, (a == b ? featureTest : Matrix(rows: pt, columns: p)) + gt.hadamard(cCross.transposed))
            }
        }
    }
    let ridge = 2 * lambda
    let (trainPrediction, testPrediction, jitter) = try blockRidgePredictor(kernel: kernel, testKernel: kernelTest,
                                                                             targets: y, ridge: ridge)
    // The population's own output on the test points, f = ⟨φ z⟩/γ: equal to the predictor at stationarity.
    let population = try phiTest.matmul(z, transposeSelf: true, alpha: 1 / (gamma * Double(m)))
    var extras: [String: Double] = ["time": time, "kappa": kappa, "jitter": jitter,
                                    "population_train_mse": state.trainMSE]
    if pt > 0 { extras["population_relative_difference"] = testPrediction.relativeDifference(to: population) }
    return AdaptiveKernelResult(trainKernel: kernel, testKernel: kernelTest, featureKernel: feature,
                                trainPredictions: trainPrediction, testPredictions: testPrediction, ridge: ridge,
                                iterations: iteration, residual: residual, converged: converged, history: history,
                                extras: extras, layerKernels: [])
}

/// The per-iteration quantities of the DMFT, in buffers reused across iterations.
struct DMFTState {
    /// φ(h) and φ'(h) on the train points, M × P.
    var phi: Matrix<Double>
    var derivative: Matrix<Double>
    /// Δ = y − f, P × C.
    var delta: Matrix<Double>
    var trainMSE = Double.nan
    let m: Int, p: Int, c: Int

    init(m: Int, p: Int, pt: Int, c: Int) {
        phi = Matrix(rows: m, columns: p)
        derivative = Matrix(rows: m, columns: p)
        delta = Matrix(rows: p, columns: c)
        self.m = m
        self.p = p
        self.c = c
    }

    mutating func evaluate(h: Matrix<Double>, z: Matrix<Double>, activation: Activation, gamma: Double,
                           targets: Matrix<Double>) throws {
        phi = h
        derivative = activation.applyInPlace(&phi, derivative: true) ?? Matrix(rows: m, columns: p)
        let f = try phi.matmul(z, transposeSelf: true, alpha: 1 / (gamma * Double(m)))   // P × C
        delta = targets - f
        trainMSE = delta.frobeniusInner(delta) / Double(max(delta.count, 1))
    }

    /// S = φ'(h) ⊙ (z·Δᵀ): S_{iμ} = φ'(h_iμ)·Σ_c z_ic·Δ_μc, M × P.
    func scaledBackward(z: Matrix<Double>) throws -> Matrix<Double> {
        try z.matmul(delta, transposeOther: true).hadamard(derivative)
    }

    /// The top eigenvalue of the current kernel Φ + G⊙C, the largest over heads (it sets the stable step).
    func topKernelEigenvalue(z: Matrix<Double>, cTrain: Matrix<Double>) throws -> Double {
        let scale = 1 / Double(m)
        let feature = try phi.matmul(phi, transposeSelf: true, alpha: scale)
        var top = 0.0
        for head in 0..<c {
            let g = derivative.scalingRows(by: z.column(head))
            let k = feature + (try g.matmul(g, transposeSelf: true, alpha: scale)).hadamard(cTrain)
            top = max(top, try k.topEigen(1, vectors: false).values.first ?? 0)
        }
        return top
    }
}

/// y ← y + a·x, element-wise (same shapes).
func axpy(_ a: Double, _ x: Matrix<Double>, into y: inout Matrix<Double>) {
    guard a != 0 else { return }
    x.elements.withUnsafeBufferPointer { xs in
        y.elements.withUnsafeMutableBufferPointer { ys in
            for i in 0..<ys.count { ys[i] += a * xs[i] }
        }
    }
}

extension Matrix where Scalar == Double {
    /// Row i multiplied by s_i (M × P with one factor per row: the neuron's readout).
    func scalingRows(by factors: [Double]) -> Matrix<Double> {
        var out = self
        out.elements.withUnsafeMutableBufferPointer { e in
            for i in 0..<rows {
                let s = factors[i]
                for j in 0..<columns { e[i * columns + j] *= s }
            }
        }
        return out
    }

    /// Copies `block` into self at (row, column).
    mutating func setBlock(_ row: Int, _ column: Int, _ block: Matrix<Double>) {
        for i in 0..<block.rows {
            for j in 0..<block.columns { self[row + i, column + j] = block[i, j] }
        }
    }
}

/// f = K(·, X)·(K + ρI)⁻¹·Y by Cholesky (jitter as documented in `JitterPolicy`, returned). The kernel is either
/// shared by every output (P × P, `sharedAcrossHeads`) or a (C·P) × (C·P) head-major block kernel acting on vec(Y).
public func blockRidgePredictor(kernel: Matrix<Double>, testKernel: Matrix<Double>, targets y: Matrix<Double>,
                         ridge: Double, sharedAcrossHeads: Bool = false) throws
    -> (train: Matrix<Double>, test: Matrix<Double>, jitter: Double)
{
    let p = y.rows, c = y.columns
    var a = kernel
    for i in 0..<a.rows { a[i, i] += ridge }
    if sharedAcrossHeads || c == 1 {
        let solved = try a.choleskySolve(y)
        let test = testKernel.rows > 0 ? try testKernel.matmul(solved.solution) : Matrix(rows: 0, columns: c)
        return (try kernel.matmul(solved.solution), test, solved.jitter)
    }
    let pt = testKernel.rows / c
    // vec(Y) head-major: entry (c, μ) at c·P + μ.
    let rhs = try Matrix(rows: c * p, columns: 1, elements: (0..<c).flatMap { head in (0..<p).map { y[$0, head] } })
    let solved = try a.choleskySolve(rhs)
    let trainVec = try kernel.matmul(solved.solution)
    let testVec = pt > 0 ? try testKernel.matmul(solved.solution) : Matrix(rows: 0, columns: 1)
    let train = Matrix(rows: p, columns: c) { i, j in trainVec[j * p + i, 0] }
    let test = Matrix(rows: pt, columns: c) { i, j in testVec[j * pt + i, 0] }
    return (train, test, solved.jitter)
}
