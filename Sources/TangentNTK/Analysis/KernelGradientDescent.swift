import TangentCore

/// Loss curves of kernel gradient descent at the requested steps.
public struct KernelDescentCurve: Sendable {
    public var steps: [Int]
    /// L(f_t(X), Y) with the training run's loss normalization, at `steps`.
    public var trainLoss: [Double]
    /// L(f_t(X_test), Y_test) at `steps` (NaN without test kernels).
    public var testLoss: [Double]
    /// f_t(X) and f_t(X_test) at the last requested step.
    public var finalTrain: Matrix<Double>
    public var finalTest: Matrix<Double>
}

/// Discrete kernel gradient descent (KGD) on the train predictions, with the network's learning rate η and loss
/// normalization (mean: s = 1/P, the gradient of 1/(2P)Σ‖f − y‖²; sum: s = 1):
///
///     f_{t+1}(X)      = f_t(X)      − η·a_t·s·K(X, X)·(f_t(X) − Y)
///     f_{t+1}(X_test) = f_t(X_test) − η·a_t·s·K(X_test, X)·(f_t(X) − Y),      f_0 = f₀ (the network at init, or 0)
///
/// with K = Θ^c for output c (per-head kernels) or one shared kernel, and a_t = `scale(t, k)` for kernel k
/// (1 for KGD; ‖K(t)‖_F/‖K(0)‖_F for aKGD, see `kernelNormRatio`). Weight decay is not modelled. For
/// learning-rate-weighted kernels (`weighting: learning_rate`) the per-layer factors c_l are inside K.
///
/// Every a_t·K is a multiple of the same K = VΛVᵀ, so the recursion is run exactly in K's eigenbasis:
/// r̃ = Vᵀ(f_t(X) − Y) evolves as r̃ ← (1 − η a_t s λ_i)·r̃ and the test predictions accumulate
/// f_t(X_test) = f₀(X_test) − K(X_test, X)·V·Σ_{τ<t} η a_τ s r̃_τ. This costs O(P) per step (plus O(P_test·P) per
/// requested step) instead of O(P²), and equals the direct recursion up to rounding.
public func kernelGradientDescent(kernels: [Matrix<Double>], testKernels: [Matrix<Double>],
                                  targets: Matrix<Double>, testTargets: Matrix<Double>?,
                                  initialTrain: Matrix<Double>? = nil, initialTest: Matrix<Double>? = nil,
                                  learningRate: Double, normalization: LossNormalization, steps: [Int],
                                  scale: (_ step: Int, _ kernel: Int) -> Double = { _, _ in 1 }) throws
    -> KernelDescentCurve
{
    let p = targets.rows, c = targets.columns
    let pt = try checkKernelShapes(kernels, test: testKernels, targets: targets, method: "kernel gradient descent")
    guard learningRate.isFinite, steps.allSatisfy({ $0 >= 0 }) else {
        throw NumericsError(.invalidArgument, "kernel gradient descent: learning rate must be finite and steps ≥ 0")
    }
    let f0 = initialTrain ?? Matrix(rows: p, columns: c)
    let f0Test = initialTest ?? Matrix(rows: pt, columns: c)
    if let testTargets, testTargets.rows != pt || testTargets.columns != c {
        throw NumericsError(.shapeMismatch, "kernel gradient descent: test targets are \(testTargets.rows)×\(testTargets.columns), expected \(pt)×\(c)")
    }
    let s = normalization == .mean ? 1 / Double(max(p, 1)) : 1
    let requested = Array(Set(steps)).sorted()

    // Per distinct kernel: eigenbasis, residual r̃ = Vᵀ(f₀ − Y), accumulated g = Σ η a s r̃, and K(X_test, X)·V.
    struct Group {
        var columns: [Int]
        var lambda: [Double]
        var v: Matrix<Double>
        var r: Matrix<Double>
        var g: Matrix<Double>
        var testV: Matrix<Double>?
    }
    let layout: [[Int]] = kernels.count == 1 ? [Array(0..<c)] : (0..<c).map { [$0] }
    var groups: [Group] = []
    for (index, columns) in layout.enumerated() {
        let eigen = try kernels[index].symmetricEigen(vectors: true)
        guard let v = eigen.vectors else { throw NumericsError(.noConvergence, "kernel gradient descent: no eigenvectors") }
        let residual = Matrix<Double>(rows: p, columns: columns.count) { i, j in f0[i, columns[j]] - targets[i, columns[j]] }
        let r = try v.matmul(residual, transposeSelf: true)
        let testV = testKernels.isEmpty ? nil : try testKernels[index].matmul(v)
        groups.append(Group(columns: columns, lambda: eigen.values, v: v, r: r,
                            g: Matrix(rows: p, columns: columns.count), testV: testV))
    }

    func predictions() throws -> (Matrix<Double>, Matrix<Double>) {
        var train = targets, test = f0Test
        for group in groups {
            let fitTrain = try group.v.matmul(group.r)
            for i in 0..<p { for (j, col) in group.columns.enumerated() { train[i, col] += fitTrain[i, j] } }
            if let testV = group.testV {
                let fitTest = try testV.matmul(group.g)
                for i in 0..<pt { for (j, col) in group.columns.enumerated() { test[i, col] -= fitTest[i, j] } }
            }
        }
        return (train, test)
    }

    var trainLoss: [Double] = [], testLoss: [Double] = []
    var last = (f0, f0Test)
    var t = 0
    for target in requested {
        while t < target {
            for k in groups.indices {
                let a = learningRate * scale(t, k) * s
                let n = groups[k].columns.count
                for i in 0..<p {
                    let decay = 1 - a * groups[k].lambda[i]
                    for j in 0..<n {
                        let r = groups[k].r[i, j]
                        groups[k].g[i, j] += a * r
                        groups[k].r[i, j] = decay * r
                    }
                }
            }
            t += 1
        }
        last = try predictions()
        trainLoss.append(normalization.loss(last.0, targets))
        if let testTargets, pt > 0 {
            testLoss.append(normalization.loss(last.1, testTargets))
        } else {
            testLoss.append(.nan)
        }
    }
    return KernelDescentCurve(steps: requested, trainLoss: trainLoss, testLoss: testLoss,
                              finalTrain: last.0, finalTest: last.1)
}

/// The aKGD scale a_t = ‖K(t)‖_F / ‖K(0)‖_F from kernel norms ‖K(t_k)‖_F known at snapshot steps t_0 < t_1 < …
/// (t_0 is the initial kernel): linear interpolation in the step between snapshots, constant after the last one.
/// Returns 1 everywhere for a constant-norm series.
public func kernelNormRatio(step: Int, snapshotSteps: [Int], norms: [Double]) -> Double {
    guard let first = norms.first, first > 0, snapshotSteps.count == norms.count else { return 1 }
    let t = Double(step)
    guard let upper = snapshotSteps.firstIndex(where: { Double($0) >= t }) else { return (norms.last ?? first) / first }
    if upper == 0 || Double(snapshotSteps[upper]) == t || norms[upper - 1] == norms[upper] { return norms[upper] / first }
    let (t0, t1) = (Double(snapshotSteps[upper - 1]), Double(snapshotSteps[upper]))
    let w = (t - t0) / (t1 - t0)
    return ((1 - w) * norms[upper - 1] + w * norms[upper]) / first
}

/// KGD with the initial kernel K₀ next to aKGD, the same recursion with K₀ rescaled by a_t = ‖K(t)‖_F/‖K(0)‖_F
/// (`kernelNormRatio`, per head): the silent-alignment comparison of Atanasov et al. — when the kernel only grows
/// in scale after aligning, aKGD follows the network and KGD does not.
///
/// `normsPerSnapshot[k][c]` is ‖K^c(t_k)‖_F at `snapshotSteps[k]` (t_0 = 0, the initial kernel).
public func kernelDescentComparison(initialKernels: [Matrix<Double>], initialTestKernels: [Matrix<Double>],
                                    targets: Matrix<Double>, testTargets: Matrix<Double>?,
                                    initialTrain: Matrix<Double>?, initialTest: Matrix<Double>?,
                                    learningRate: Double, normalization: LossNormalization, steps: [Int],
                                    snapshotSteps: [Int], normsPerSnapshot: [[Double]]) throws
    -> (kgd: KernelDescentCurve, akgd: KernelDescentCurve)
{
    func run(_ scale: (Int, Int) -> Double) throws -> KernelDescentCurve {
        try kernelGradientDescent(kernels: initialKernels, testKernels: initialTestKernels, targets: targets,
                                  testTargets: testTargets, initialTrain: initialTrain, initialTest: initialTest,
                                  learningRate: learningRate, normalization: normalization, steps: steps, scale: scale)
    }
    let kgd = try run { _, _ in 1 }
    let akgd = try run { step, k in
        kernelNormRatio(step: step, snapshotSteps: snapshotSteps, norms: normsPerSnapshot.map { $0[k] })
    }
    return (kgd, akgd)
}
