import Foundation
import Testing
import TangentCore
@testable import TangentNTK

/// A random positive definite kernel K = ZZᵀ/D + 0.1·I (P × P) and test block K(X*, X) = Z*Zᵀ/D.
private func randomKernels(p: Int, pt: Int, d: Int, seed: UInt64) throws -> (Matrix<Double>, Matrix<Double>) {
    var rng = Xoshiro256StarStar(seed: seed)
    let z = Matrix<Double>.randomNormal(rows: p + pt, columns: d, using: &rng)
    let full = try z.matmul(z, transposeOther: true)
    var k = Matrix<Double>(rows: p, columns: p) { i, j in full[i, j] / Double(d) }
    for i in 0..<p { k[i, i] += 0.1 }
    let kt = Matrix<Double>(rows: pt, columns: p) { i, j in full[p + i, j] / Double(d) }
    return (k, kt)
}

private func random(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix<Double> {
    var rng = Xoshiro256StarStar(seed: seed)
    return Matrix<Double>.randomNormal(rows: rows, columns: columns, using: &rng)
}

@Suite("Kernel regression")
struct KernelRegressionTests {
    @Test("ρ = 0 reproduces Y on the training points (with and without f₀, per head and shared)")
    func interpolates() throws {
        let (k0, kt0) = try randomKernels(p: 12, pt: 5, d: 20, seed: 1)
        let (k1, kt1) = try randomKernels(p: 12, pt: 5, d: 20, seed: 2)
        let y = random(12, 2, seed: 3), f0 = random(12, 2, seed: 4), f0t = random(5, 2, seed: 5)
        for (ks, kts) in [([k0, k1], [kt0, kt1]), ([k0], [kt0])] {
            for initial in [nil, f0] {
                let r = try kernelRegression(kernels: ks, testKernels: kts, targets: y, initialTrain: initial,
                                             initialTest: initial == nil ? nil : f0t, ridge: 0)
                #expect(r.train.relativeDifference(to: y) < 1e-8)
                #expect(r.solver == .cholesky && r.jitter == 0)
                #expect(r.test.rows == 5 && r.test.columns == 2)
            }
        }
    }

    @Test("ρ = 0 with a rank-deficient kernel uses least squares and still fits targets in the kernel's range")
    func rankDeficient() throws {
        let z = random(10, 3, seed: 6)
        let k = try z.matmul(z, transposeOther: true)             // rank 3
        let y = try k.matmul(random(10, 1, seed: 7))              // in the range of K
        let r = try kernelRegression(kernels: [k], testKernels: [], targets: y, ridge: 0)
        #expect(r.solver == .leastSquares && r.rank == 3)
        #expect(r.train.relativeDifference(to: y) < 1e-8)
    }

    @Test("a constant ridge matches the closed form through K = VΛVᵀ: α = V(Λ + ρ)⁻¹VᵀY")
    func ridgeClosedForm() throws {
        let (k, kt) = try randomKernels(p: 10, pt: 4, d: 6, seed: 8)
        let y = random(10, 1, seed: 9), f0 = random(10, 1, seed: 10), f0t = random(4, 1, seed: 11)
        let rho = 0.3
        let r = try kernelRegression(kernels: [k], testKernels: [kt], targets: y, initialTrain: f0, initialTest: f0t, ridge: rho)
        let e = try k.symmetricEigen()
        let v = try #require(e.vectors)
        var coeff = try v.matmul(y - f0, transposeSelf: true)
        coeff.scaleRows(by: e.values.map { 1 / ($0 + rho) })
        let alpha = try v.matmul(coeff)
        #expect(r.train.relativeDifference(to: f0 + (try k.matmul(alpha))) < 1e-10)
        #expect(r.test.relativeDifference(to: f0t + (try kt.matmul(alpha))) < 1e-10)
        #expect(r.jitter == 0)
    }

    @Test("metrics: MSE over all entries, relative error in Frobenius norm")
    func metrics() throws {
        let f = try Matrix<Double>([[1, 2], [3, 4]]), y = try Matrix<Double>([[1, 0], [3, 0]])
        #expect(meanSquaredError(f, y) == 5)
        #expect(abs(relativePredictionError(y, f) - (20.0 / 30).squareRoot()) < 1e-15)
    }
}

@Suite("Kernel gradient descent")
struct KernelGradientDescentTests {
    @Test("KGD equals the closed form f_t = Y + (I − ηK/P)^t (f₀ − Y) and approaches the ridgeless predictor")
    func closedForm() throws {
        let (k, kt) = try randomKernels(p: 8, pt: 3, d: 12, seed: 12)
        let y = random(8, 1, seed: 13), yt = random(3, 1, seed: 14)
        let f0 = random(8, 1, seed: 15), f0t = random(3, 1, seed: 16)
        let eta = 0.5, p = 8.0
        let curve = try kernelGradientDescent(kernels: [k], testKernels: [kt], targets: y, testTargets: yt,
                                              initialTrain: f0, initialTest: f0t, learningRate: eta,
                                              normalization: .mean, steps: [0, 1, 7, 40])
        // Direct recursion.
        var f = f0, ft = f0t
        var expected: [Double] = []
        for t in 0...40 {
            if [0, 1, 7, 40].contains(t) { expected.append(LossNormalization.mean.loss(f, y)) }
            let r = f - y
            f = f - (eta / p) * (try k.matmul(r))
            ft = ft - (eta / p) * (try kt.matmul(r))
        }
        #expect(curve.steps == [0, 1, 7, 40])
        for (a, b) in zip(curve.trainLoss, expected) { #expect(abs(a - b) <= 1e-10 * max(b, 1e-300)) }
        // The 40th iterate was computed before the 41st update above; recompute it by the closed form in the eigenbasis.
        let e = try k.symmetricEigen()
        let v = try #require(e.vectors)
        var c = try v.matmul(f0 - y, transposeSelf: true)
        c.scaleRows(by: e.values.map { Foundation.pow(1 - eta * $0 / p, 40) })
        #expect(curve.finalTrain.relativeDifference(to: y + (try v.matmul(c))) < 1e-10)

        // Many small steps: f_t(X) → Y, and f_t(X_test) → the ridgeless predictor.
        let long = try kernelGradientDescent(kernels: [k], testKernels: [kt], targets: y, testTargets: yt,
                                             initialTrain: f0, initialTest: f0t, learningRate: 0.5,
                                             normalization: .mean, steps: [20_000])
        let ridgeless = try kernelRegression(kernels: [k], testKernels: [kt], targets: y, initialTrain: f0,
                                             initialTest: f0t, ridge: 0)
        #expect(long.finalTrain.relativeDifference(to: y) < 1e-8)
        #expect(long.finalTest.relativeDifference(to: ridgeless.test) < 1e-8)
    }

    @Test("aKGD with a constant-norm kernel series equals KGD exactly; a growing norm speeds it up")
    func akgdConstantNorm() throws {
        let (k0, kt0) = try randomKernels(p: 6, pt: 2, d: 5, seed: 17)
        let (k1, kt1) = try randomKernels(p: 6, pt: 2, d: 5, seed: 18)
        let y = random(6, 2, seed: 19), yt = random(2, 2, seed: 20)
        let steps = [0, 3, 10, 25]
        func run(_ scale: @escaping (Int, Int) -> Double) throws -> KernelDescentCurve {
            try kernelGradientDescent(kernels: [k0, k1], testKernels: [kt0, kt1], targets: y, testTargets: yt,
                                      learningRate: 0.3, normalization: .mean, steps: steps, scale: scale)
        }
        let kgd = try run { _, _ in 1 }
        let constant = try run { s, _ in kernelNormRatio(step: s, snapshotSteps: [0, 10, 20], norms: [2.5, 2.5, 2.5]) }
        #expect(kgd.trainLoss == constant.trainLoss && kgd.testLoss == constant.testLoss)
        let growing = try run { s, _ in kernelNormRatio(step: s, snapshotSteps: [0, 10, 20], norms: [1, 2, 3]) }
        #expect(growing.trainLoss.last! < kgd.trainLoss.last!)
        #expect(kernelNormRatio(step: 5, snapshotSteps: [0, 10, 20], norms: [1, 2, 3]) == 1.5)
        #expect(kernelNormRatio(step: 30, snapshotSteps: [0, 10, 20], norms: [1, 2, 3]) == 3)
    }
}
