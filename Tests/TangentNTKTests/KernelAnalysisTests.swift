import Foundation
import Testing
import TangentCore
@testable import TangentNTK

@Suite("Kernel alignment, spectrum and specialization")
struct KernelAnalysisTests {
    struct Reference: Decodable {
        let alignment_trace: Double
        let alignment_trace_centered: Double
        let alignment_heads: [Double]
        let eigenvalues_trace: [Double]
        let cumulative_power_trace: [String: Double]
        let effective_rank_trace: Double
        let ksm_mean_diagonal: [[Double]]
        let ksm_per_target: [[Double]]
        let cosine_head0_head1: Double
        let power_law_alpha: Double
        let power_law_coefficient: Double
        let power_law_r_squared: Double
    }

    @Test("every metric matches the numpy reference (tools/alignment_reference.py) on the same saved kernels")
    func numpyReference() throws {
        let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let arrays = try NPZ.read(contentsOf: folder.appendingPathComponent("alignment_kernels.npz"))
        let expected = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: folder.appendingPathComponent("alignment_expected.json")))
        let stacked = arrays["heads"]!, y = try Matrix<Double>(arrays["y"]!)
        let (c, n) = (stacked.shape[0], stacked.shape[1])
        let values = stacked.asDoubles()
        let heads = try (0..<c).map { try Matrix<Double>(rows: n, columns: n, elements: Array(values[$0 * n * n..<($0 + 1) * n * n])) }
        var trace = heads[0]
        for h in heads.dropFirst() { trace += h }
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-10 * max(1, abs(b)) }
        #expect(close(try kernelAlignment(trace, y), expected.alignment_trace))
        #expect(close(try kernelAlignment(trace, y, centered: true), expected.alignment_trace_centered))
        for i in 0..<c {
            let column = try Matrix<Double>(rows: n, columns: 1, elements: y.column(i))
            #expect(close(try kernelAlignment(heads[i], column), expected.alignment_heads[i]))
        }
        let spectrum = try kernelSpectrum(trace, targets: y, ks: [1, 2, 5, 10])
        for (a, b) in zip(spectrum.eigenvalues, expected.eigenvalues_trace) { #expect(close(a, b)) }
        for (k, value) in spectrum.cumulativePower { #expect(close(value, expected.cumulative_power_trace[String(k)]!)) }
        #expect(close(spectrum.effectiveRank, expected.effective_rank_trace))
        let ksmA = try specializationMatrix(heads: heads, targets: y, normalization: .meanDiagonal)
        let ksmB = try specializationMatrix(heads: heads, targets: y, normalization: .perTarget)
        for i in 0..<c {
            for j in 0..<c {
                #expect(close(ksmA[i, j], expected.ksm_mean_diagonal[i][j]))
                #expect(close(ksmB[i, j], expected.ksm_per_target[i][j]))
            }
        }
        #expect(close(kernelCosine(heads[0], heads[1]), expected.cosine_head0_head1))
        let fit = try PowerLawFit(steps: arrays["loss_steps"]!.asDoubles().map { Int($0) }, losses: arrays["losses"]!.asDoubles())
        #expect(close(fit.alpha, expected.power_law_alpha))
        #expect(close(fit.coefficient, expected.power_law_coefficient))
        #expect(close(fit.rSquared, expected.power_law_r_squared))
    }

    @Test("A(yyᵀ, y) = 1 and the top eigenvector of yyᵀ + εI carries all the target power")
    func simpleCases() throws {
        var rng = Xoshiro256StarStar(seed: 1)
        let y = Matrix<Double>.randomNormal(rows: 9, columns: 1, using: &rng)
        let k = try y.matmul(y, transposeOther: true)
        #expect(abs(try kernelAlignment(k, y) - 1) < 1e-14)
        let spectrum = try kernelSpectrum(k + 1e-3 * Matrix.identity(9), targets: y, ks: [1])
        #expect(abs(spectrum.cumulativePower[0].value - 1) < 1e-12)
    }

    /// Atanasov, Bordelon & Pehlevan 2022: a depth-L linear network (L weight matrices) trained to convergence from small init on
    /// whitened data (XᵀX = s·I, Gram of rank r = D) has K∞ ∝ (L−1)·yyᵀ + XXᵀ, whose alignment is L/√(L² + r − 1).
    @Test("deep linear networks reach the final alignment L/√(L² + r − 1)", arguments: [2, 3])
    func deepLinearAlignment(_ depth: Int) throws {
        let (p, d) = (40, 6)
        var rng = Xoshiro256StarStar(seed: UInt64(depth))
        let svd = try Matrix<Double>.randomNormal(rows: p, columns: d, using: &rng).svd()
        let x = try svd.u.matmul(svd.vt)                       // XᵀX = I, XXᵀ a rank-D projector
        let beta = Matrix<Double>.randomNormal(rows: d, columns: 1, using: &rng)
        let y = try x.matmul((Double(p).squareRoot() / beta.frobeniusNorm) * beta)   // |y|² = P
        let arch = MLPArchitecture(inputDimension: d, hidden: Array(repeating: 12, count: depth - 1), outputs: 1,
                                   activation: .linear, parametrization: .standard, initScale: 0.2)
        let model = try MLP(architecture: arch, rng: &rng)
        // Deeper nets leave the small-init plateau later (t ~ σ^{2−L}): give them more steps.
        let settings = TrainingSettings(steps: 4000 * (depth - 1) * (depth - 1), optimizer: OptimizerSettings(learningRate: 0.05),
                                        loss: .sum, snapshots: SnapshotSchedule(), logPoints: 2)
        let trained = try train(model, on: try Dataset(trainInputs: x, trainTargets: y), settings: settings, rng: &rng)
        #expect(trained.losses.last!.train < 1e-8 * trained.losses.first!.train)
        let ntk: EmpiricalNTK<Double> = try empiricalNTK(trained.final, inputs: x)
        let expected = Double(depth) / (Double(depth * depth) + Double(d) - 1).squareRoot()
        let measured = try kernelAlignment(ntk.heads[0], y)
        // The closed form neglects the initial kernel K₀ ∝ σ^{2L−2} and the O(σ²) weight components orthogonal to
        // the teacher that gradient flow conserves (aaᵀ − WWᵀ); with σ = 0.2 these shift A by well under 2%.
        // (Depth 4 leaves its small-init plateau only after ~σ^{2−L} ≈ 10⁵ steps here: too long for a unit test.)
        #expect(abs(measured - expected) < 0.02 * expected, "A = \(measured), closed form \(expected)")
    }

    @Test("linear networks with several outputs do not specialize: KSM ≈ 1")
    func linearNoSpecialization() throws {
        let (p, d, c) = (60, 8, 3)
        var rng = Xoshiro256StarStar(seed: 4)
        let svd = try Matrix<Double>.randomNormal(rows: p, columns: d, using: &rng).svd()
        let x = try Double(p).squareRoot() * svd.u.matmul(svd.vt)
        let teacher = Matrix<Double>.randomNormal(rows: d, columns: c, using: &rng)
        let y = try x.matmul(teacher)
        let arch = MLPArchitecture(inputDimension: d, hidden: [30], outputs: c, activation: .linear,
                                   parametrization: .standard, initScale: 0.1)
        let model = try MLP(architecture: arch, rng: &rng)
        let settings = TrainingSettings(steps: 3000, optimizer: OptimizerSettings(learningRate: 0.05), snapshots: SnapshotSchedule(),
                                        logPoints: 2)
        let trained = try train(model, on: try Dataset(trainInputs: x, trainTargets: y), settings: settings, rng: &rng)
        let ntk: EmpiricalNTK<Double> = try empiricalNTK(trained.final, inputs: x)
        for normalization in SpecializationNormalization.allCases {
            let ksm = try specializationMatrix(heads: ntk.heads, targets: y, normalization: normalization)
            // In a linear net every head's kernel is x·(WᵀW·… + …)·x' with a head-dependent scale only through the
            // readout row; the structure is shared, so each row of the KSM is flat across targets.
            for i in 0..<c { for j in 0..<c { #expect(abs(ksm[i, j] - 1) < 0.1, "\(normalization) KSM[\(i), \(j)] = \(ksm[i, j])") } }
            #expect(abs(specializationIndex(ksm)) < 0.1)
        }
    }

    @Test func specializationSummariesOfAHandMatrix() throws {
        let ksm = try Matrix<Double>(rows: 3, columns: 3, elements: [1.6, 0.8, 0.7,
                                                                   0.9, 1.4, 0.6,
                                                                   0.5, 0.7, 1.5])
        #expect(abs(specializationDiagonalMean(ksm) - 1.5) < 1e-15)
        #expect(abs(specializationOffDiagonalMean(ksm) - (0.8 + 0.7 + 0.9 + 0.6 + 0.5 + 0.7) / 6) < 1e-15)
        #expect(abs(specializationIndex(ksm) - (1.5 - 4.2 / 6)) < 1e-15)
        #expect(abs(specializationMaxDeviation(ksm) - 0.6) < 1e-15)
        #expect(specializationOffDiagonalMean(try Matrix(rows: 1, columns: 1, elements: [1.2])).isNaN)
    }
}
