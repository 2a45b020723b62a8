import Foundation
import Testing
import TangentCore
@testable import TangentNTK

/// Whitened inputs with (1/P)·XᵀX = I exactly: X = √P·U·Vᵀ from the thin SVD of a Gaussian matrix.
func exactlyWhitened(p: Int, d: Int, rng: inout Xoshiro256StarStar) throws -> Matrix<Double> {
    let svd = try Matrix<Double>.randomNormal(rows: p, columns: d, using: &rng).svd()
    return try Double(p).squareRoot() * svd.u.matmul(svd.vt)
}

@Suite("Two-layer linear network: silent-alignment closed forms")
struct TwoLayerLinearTests {
    /// Atanasov, Bordelon & Pehlevan 2022, App. C.5: for f = aᵀWx in the standard parametrization,
    /// whitened inputs, teacher y = s·βᵀx and gradient flow on L = 1/(2P) Σ (f − y)²,
    ///   r(t) = aᵀWβ = 2s·sinh(2st) / (e^{2st} − 1 + 2s/q₀),  q(t) = ½βᵀ(WᵀW + |a|²I)β = 2s·cosh(2st) / (e^{2st} − 1 + 2s/q₀),
    /// exact up to O(σ²). `train.gd` with learning rate η approximates the flow at t = η·step.
    @Test("gradient descent from small init follows r(t) and q(t)")
    func closedForms() throws {
        let (d, n, p, s, sigma) = (25, 10, 100, 1.0, 1e-3)
        var rng = Xoshiro256StarStar(seed: 11)
        let x = try exactlyWhitened(p: p, d: d, rng: &rng)
        let beta = Matrix<Double>.randomNormal(rows: d, columns: 1, using: &rng)
        let unitBeta = (1 / beta.frobeniusNorm) * beta
        let y = try s * x.matmul(unitBeta)
        let data = try Dataset(trainInputs: x, trainTargets: y)
        let arch = MLPArchitecture(inputDimension: d, hidden: [n], outputs: 1, activation: .linear,
                                   parametrization: .standard, initScale: sigma)
        var model = try MLP(architecture: arch, rng: &rng)
        // The closed forms start from r(0) = 0. A random init has r(0) = aᵀWβ = O(σ²), which shifts the whole
        // sigmoid in time by log(1 + r₀/q₀)/(2s); remove a's component along Wβ so that r(0) = 0 exactly.
        let u = try model.weights[0].matmul(unitBeta)
        let a = model.weights[1].transposed
        model.weights[1] = (a - (a.frobeniusInner(u) / u.frobeniusInner(u)) * u).transposed
        let eta = 1e-3, steps = 12_000
        let settings = TrainingSettings(steps: steps, optimizer: OptimizerSettings(learningRate: eta),
                                        snapshots: SnapshotSchedule(every: 250), logPoints: 0)
        let trajectory = try train(model, on: data, settings: settings, rng: &rng)

        func rq(_ m: MLP) throws -> (Double, Double) {
            let wBeta = try m.weights[0].matmul(unitBeta)          // W·β  (N × 1)
            let a = m.weights[1]                                   // aᵀ   (1 × N)
            let r = try a.matmul(wBeta)[0, 0]
            return (r, 0.5 * (wBeta.frobeniusInner(wBeta) + a.frobeniusInner(a)))
        }
        let (r0, q0) = try rq(trajectory.snapshots[0])
        #expect(abs(r0) < 1e-18)
        var worst = 0.0
        for (step, m) in zip(trajectory.snapshotSteps, trajectory.snapshots) {
            let t = eta * Double(step)
            let denominator = exp(2 * s * t) - 1 + 2 * s / q0
            let (r, q) = try rq(m)
            worst = max(worst, abs(r - 2 * s * sinh(2 * s * t) / denominator), abs(q - 2 * s * cosh(2 * s * t) / denominator))
        }
        // Tolerance: what remains is the O(η) error of forward Euler against the flow (a numpy reference of the
        // same setup gives 1.6e-3 at η = 1e-3 and 0.8e-3 at η = 5e-4: it halves with η) plus O(σ²) = 1e-6.
        #expect(worst < 5e-3 * s, "max |simulation − closed form| = \(worst)")
        // At the end both reach the teacher: r → s, q → s.
        let (rEnd, qEnd) = try rq(trajectory.final)
        #expect(abs(rEnd - s) < 1e-3 && abs(qEnd - s) < 1e-2)
    }

    @Test("the initial q₀ averages (σ²/2)(1 + N/D) over initializations")
    func initialQ() throws {
        let (d, n, sigma) = (25, 10, 0.1)
        var rng = Xoshiro256StarStar(seed: 12)
        let beta = try Matrix<Double>(rows: d, columns: 1, elements: [1] + [Double](repeating: 0, count: d - 1))
        let arch = MLPArchitecture(inputDimension: d, hidden: [n], outputs: 1, activation: .linear,
                                   parametrization: .standard, initScale: sigma)
        let draws = 400
        var total = 0.0
        for _ in 0..<draws {
            let m = try MLP(architecture: arch, rng: &rng)
            let u = try m.weights[0].matmul(beta)
            total += 0.5 * (u.frobeniusInner(u) + m.weights[1].frobeniusInner(m.weights[1]))
        }
        let expected = sigma * sigma / 2 * (1 + Double(n) / Double(d))
        // q₀ is a sum of scaled χ² variables with relative sd ≈ 0.4; the mean of 400 draws has sd ≈ 2%.
        #expect(abs(total / Double(draws) - expected) < 0.1 * expected)
    }

    @Test("the conservation law d/dt(aaᵀ − WWᵀ) = 0 holds up to O(η²) per step")
    func conservation() throws {
        var rng = Xoshiro256StarStar(seed: 5)
        let x = try exactlyWhitened(p: 40, d: 8, rng: &rng)
        let y = Matrix<Double>.randomNormal(rows: 40, columns: 1, using: &rng)
        let arch = MLPArchitecture(inputDimension: 8, hidden: [6], outputs: 1, activation: .linear,
                                   parametrization: .standard, initScale: 0.5)
        let model = try MLP(architecture: arch, rng: &rng)
        let settings = TrainingSettings(steps: 2000, optimizer: OptimizerSettings(learningRate: 1e-3),
                                        snapshots: SnapshotSchedule(every: 1000), logPoints: 0)
        let tr = try train(model, on: try Dataset(trainInputs: x, trainTargets: y), settings: settings, rng: &rng)
        func invariant(_ m: MLP) throws -> Matrix<Double> {
            let a = m.weights[1]
            return try a.matmul(a, transposeSelf: true) - m.weights[0].matmul(m.weights[0], transposeOther: true)
        }
        let start = try invariant(tr.snapshots[0]), end = try invariant(tr.final)
        #expect((end - start).maxAbs < 1e-3 * max(start.maxAbs, 1))
    }
}
