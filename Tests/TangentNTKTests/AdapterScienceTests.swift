import Foundation
import Testing
import TangentCore
@testable import TangentNTK

/// The pieces of science that moved out of the stages (the positive-definiteness probe, the weight-decay ridge, the
/// trace kernel, the KGD/aKGD set-up), checked against closed forms and the functions they are built from.
@Suite("Science formerly in the stages")
struct AdapterScienceTests {
    @Test("weight-decay ridge: ρ = 2λP for the mean loss, 2λ for the sum loss")
    func ridge() {
        #expect(weightDecayRidge(lambda: 0.01, samples: 12, loss: .mean) == 0.24)
        #expect(weightDecayRidge(lambda: 0.01, samples: 12, loss: .sum) == 0.02)
        #expect(weightDecayRidge(lambda: 0, samples: 12, loss: .mean) == 0)
    }

    @Test("trace kernel: the element-wise sum of the heads; nil for none")
    func trace() throws {
        let a = try Matrix<Double>([[1, 2], [2, 5]]), b = try Matrix<Double>([[3, 0], [0, 1]])
        #expect(traceKernel([a, b]) == (try Matrix<Double>([[4, 2], [2, 6]])))
        #expect(traceKernel([a]) == a)
        #expect(traceKernel([]) == nil)
    }

    @Test("the PSD probe: nil for PSD and zero kernels, the smallest eigenvalue for an indefinite one")
    func probe() throws {
        var rng = Xoshiro256StarStar(seed: 3)
        let x = Matrix<Double>.randomNormal(rows: 10, columns: 3, using: &rng)
        let psd = x.gram()
        #expect(try negativeEigenvalue(of: psd) == nil)
        #expect(try negativeEigenvalue(of: Matrix<Double>(rows: 6, columns: 6)) == nil)
        var shifted = psd
        for i in 0..<10 { shifted[i, i] -= 0.25 }  // every eigenvalue down by 0.25; the smallest was 0
        let lambda = try #require(try negativeEigenvalue(of: shifted))
        #expect(abs(lambda + 0.25) < 1e-10)
        let smallest = try psd.symmetricEigenvalues().last ?? 0
        #expect(!isNegativeBeyondRounding(smallest, of: psd))
        #expect(isNegativeBeyondRounding(-0.25, of: shifted))
        #expect(!isNegativeBeyondRounding(0, of: Matrix<Double>(rows: 3, columns: 3)))
    }

    @Test("KGD next to aKGD: the same recursion, aKGD with K₀ rescaled by the kernel norm's growth")
    func descentComparison() throws {
        var rng = Xoshiro256StarStar(seed: 5)
        let x = Matrix<Double>.randomNormal(rows: 8, columns: 3, using: &rng)
        let k0 = x.gram()
        let y = Matrix<Double>.randomNormal(rows: 8, columns: 1, using: &rng)
        let steps = [0, 1, 2, 5, 10]
        // The norm doubles between steps 0 and 10: a_t = 1 + t/10.
        let (kgd, akgd) = try kernelDescentComparison(
            initialKernels: [k0], initialTestKernels: [], targets: y, testTargets: nil, initialTrain: nil,
            initialTest: nil, learningRate: 0.05, normalization: .mean, steps: steps, snapshotSteps: [0, 10],
            normsPerSnapshot: [[1], [2]])
        let plain = try kernelGradientDescent(kernels: [k0], testKernels: [], targets: y, testTargets: nil,
                                              learningRate: 0.05, normalization: .mean, steps: steps)
        #expect(kgd.trainLoss == plain.trainLoss)
        // aKGD by the direct recursion f ← f − η·a_t·(1/P)·K₀·(f − y).
        var f = Matrix<Double>(rows: 8, columns: 1)
        var losses: [Double] = []
        for t in 0...10 {
            if steps.contains(t) { losses.append(LossNormalization.mean.loss(f, y)) }
            let a = 1 + Double(t) / 10
            f = f - (0.05 * a / 8) * (try k0.matmul(f - y))
        }
        for (got, want) in zip(akgd.trainLoss, losses) { #expect(abs(got - want) <= 1e-12 * max(1, want), "\(got) vs \(want)") }
        #expect(akgd.trainLoss.last! < kgd.trainLoss.last!)
    }
}
