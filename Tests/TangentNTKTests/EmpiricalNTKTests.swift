import Testing
import TangentCore
@testable import TangentNTK

@Suite("Empirical NTK: factorized path vs Jacobians and closed forms")
struct EmpiricalNTKTests {
    func smallModel(_ c: GradientCase, bias: Bool = true, seed: UInt64 = 21) throws -> (MLP, Matrix<Double>, Matrix<Double>) {
        let arch = MLPArchitecture(inputDimension: 3, hidden: [5, 4], outputs: 2, activation: c.activation, bias: bias,
                                   parametrization: c.parametrization, initScale: 1.2, biasScale: 0.6, gamma0: 0.8)
        var rng = Xoshiro256StarStar(seed: seed)
        var model = try MLP(architecture: arch, rng: &rng)
        for l in 0..<model.biases.count { model.biases[l] = rng.normals(model.biases[l].count, std: 0.3) }
        return (model, Matrix.randomNormal(rows: 6, columns: 3, using: &rng), Matrix.randomNormal(rows: 4, columns: 3, using: &rng))
    }

    @Test("the factorized kernels equal the finite-difference Jacobian Gram", arguments: GradientCase.all)
    func finiteDifferences(_ c: GradientCase) throws {
        let (model, x, _) = try smallModel(c)
        let ntk: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x)
        let theta = model.flatParameters
        for head in 0..<2 {
            // J_fd[μ, k] = (f(θ + h e_k) − f(θ − h e_k)) / 2h
            var jfd = Matrix<Double>(rows: x.rows, columns: theta.count)
            for k in 0..<theta.count {
                let h = 1e-5 * max(1, abs(theta[k]))
                var plus = model, minus = model
                var tp = theta, tm = theta
                tp[k] += h
                tm[k] -= h
                plus.setFlatParameters(tp)
                minus.setFlatParameters(tm)
                let fp = try plus(x), fm = try minus(x)
                for mu in 0..<x.rows { jfd[mu, k] = (fp[mu, head] - fm[mu, head]) / (2 * h) }
            }
            #expect(ntk.heads[head].relativeDifference(to: jfd.gram()) < 1e-6, "head \(head)")
        }
    }

    @Test("the factorized path equals the generic Jacobian path to 1e-12, test blocks included", arguments: GradientCase.all)
    func jacobianPath(_ c: GradientCase) throws {
        let (model, x, xt) = try smallModel(c)
        let fast: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x, testInputs: xt)
        let generic = try jacobianNTK(model, inputs: x, testInputs: xt)
        for head in 0..<2 {
            #expect(fast.heads[head].relativeDifference(to: generic.heads[head]) < 1e-12)
            #expect(fast.test[head].relativeDifference(to: generic.test[head]) < 1e-12)
            #expect(fast.heads[head] == fast.heads[head].transposed, "exactly symmetric")
        }
        #expect(fast.trace.relativeDifference(to: generic.trace) < 1e-12)
    }

    @Test("a two-layer linear network's kernel is xᵀ(WᵀW + |a|²I)x'")
    func twoLayerLinear() throws {
        let arch = MLPArchitecture(inputDimension: 4, hidden: [7], outputs: 1, activation: .linear, parametrization: .standard)
        var rng = Xoshiro256StarStar(seed: 3)
        let model = try MLP(architecture: arch, rng: &rng)
        let x = Matrix<Double>.randomNormal(rows: 9, columns: 4, using: &rng)
        let ntk: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x)
        let w = model.weights[0], a = model.weights[1]
        let m = try w.matmul(w, transposeSelf: true) + a.frobeniusInner(a) * Matrix.identity(4)
        let expected = try x.matmul(m).matmul(x, transposeOther: true)
        #expect(ntk.heads[0].relativeDifference(to: expected) < 1e-13)
    }

    @Test("cross-head blocks, per-layer contributions and blocked evaluation agree with the plain path")
    func options() throws {
        let (model, x, xt) = try smallModel(GradientCase(activation: .tanh, parametrization: .ntk))
        let plain: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x, testInputs: xt)
        let cross: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x, testInputs: xt,
                                                           options: NTKOptions(crossHeads: true, perLayer: true))
        let blocked: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x, testInputs: xt,
                                                             options: NTKOptions(perLayer: true, memoryBudget: 1))
        #expect(blocked.blocked && !plain.blocked)
        for c in 0..<2 {
            #expect(cross.cross![c][c].relativeDifference(to: plain.heads[c]) < 1e-13)
            #expect(blocked.heads[c].relativeDifference(to: plain.heads[c]) < 1e-13)
            #expect(blocked.test[c].relativeDifference(to: plain.test[c]) < 1e-13)
            let sum = cross.layers!.map { $0[c] }.dropFirst().reduce(cross.layers![0][c]) { $0 + $1 }
            #expect(sum.relativeDifference(to: plain.heads[c]) < 1e-13)
            let blockedSum = blocked.layers!.map { $0[c] }.dropFirst().reduce(blocked.layers![0][c]) { $0 + $1 }
            #expect(blockedSum.relativeDifference(to: plain.heads[c]) < 1e-13)
        }
        // Θ^{0,1}(x, x') = J_0(x)·J_1(x')ᵀ
        let j0 = try model.jacobian(x, head: 0), j1 = try model.jacobian(x, head: 1)
        #expect(cross.cross![0][1].relativeDifference(to: try j0.matmul(j1, transposeOther: true)) < 1e-12)
        #expect(cross.cross![1][0] == cross.cross![0][1].transposed)
    }

    @Test("float32 kernels agree with float64 to single precision")
    func float32() throws {
        let (model, x, xt) = try smallModel(GradientCase(activation: .gelu, parametrization: .mup))
        let d: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x, testInputs: xt)
        let f: EmpiricalNTK<Float> = try empiricalNTK(model, inputs: x, testInputs: xt)
        #expect(f.heads[1].converted(to: Double.self).relativeDifference(to: d.heads[1]) < 1e-5)
        #expect(f.test[0].converted(to: Double.self).relativeDifference(to: d.test[0]) < 1e-5)
    }

    @Test("learning-rate weighting multiplies each layer's contribution by its factor c")
    func learningRateWeighting() throws {
        let (model, x, _) = try smallModel(GradientCase(activation: .relu, parametrization: .mup), bias: false)
        let plain: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x, options: NTKOptions(perLayer: true))
        let weighted: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x, options: NTKOptions(weighting: .learningRate))
        var expected = Matrix<Double>(rows: x.rows, columns: x.rows)
        for l in 0..<3 { expected = expected + model.architecture.scaling(layer: l).weightLearningRate * plain.layers![l][0] }
        #expect(weighted.heads[0].relativeDifference(to: expected) < 1e-13)
    }
}
