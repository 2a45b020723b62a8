import TangentCore

extension MLP {
    /// The per-sample Jacobian of head `head`: J[μ, k] = ∂f_head(x_μ)/∂θ_k, N × (number of parameters), columns in
    /// `flatParameters` order (W_1 row-major, b_1, W_2, …). Built layer by layer from the backward signals by
    /// `Matrix.setDenseLayerJacobian` (a C kernel); this is the generic, materializing path used to check the
    /// factorized kernels.
    public func jacobian(_ x: Matrix<Double>, head: Int) throws -> Matrix<Double> {
        guard head >= 0 && head < architecture.outputs else {
            throw NumericsError(.invalidArgument, "head \(head) is outside 0..<\(architecture.outputs)")
        }
        let pass = try forward(x)
        let n = x.rows, count = architecture.parameterCount, layers = weights.count
        // δ_l = ∂f_head/∂h_l, from the output (δ = e_head) back to the first layer.
        var deltas = [Matrix<Double>](repeating: Matrix(rows: 0, columns: 0), count: layers)
        var delta = Matrix<Double>(rows: n, columns: architecture.outputs)
        for mu in 0..<n { delta[mu, head] = 1 }
        deltas[layers - 1] = delta
        for l in stride(from: layers - 1, to: 0, by: -1) {
            delta = try deltas[l].matmul(weights[l], alpha: architecture.scaling(layer: l).weightMultiplier)
            delta.multiplyElementwise(by: pass.derivatives[l - 1])
            deltas[l - 1] = delta
        }
        var j = Matrix<Double>(rows: n, columns: count)
        var column = 0
        for l in 0..<layers {
            let s = architecture.scaling(layer: l)
            column += try j.setDenseLayerJacobian(signals: deltas[l], inputs: pass.inputs[l],
                                                  weightMultiplier: s.weightMultiplier,
                                                  biasMultiplier: architecture.bias ? s.biasMultiplier : nil,
                                                  atColumn: column)
        }
        return j
    }
}

/// The empirical NTK by materializing per-sample Jacobians: Θ^c = J_c·J_cᵀ and Θ^c_test = J_c(X_test)·J_cᵀ.
/// Memory N × (number of parameters) per head: for checking the factorized path and for small networks.
public func jacobianNTK(_ model: MLP, inputs x: Matrix<Double>, testInputs: Matrix<Double>? = nil) throws -> EmpiricalNTK<Double> {
    var heads: [Matrix<Double>] = [], tests: [Matrix<Double>] = []
    for c in 0..<model.architecture.outputs {
        let j = try model.jacobian(x, head: c)
        heads.append(j.gram())
        if let t = testInputs, t.rows > 0 { tests.append(try model.jacobian(t, head: c).matmul(j, transposeOther: true)) }
    }
    let trace = heads.dropFirst().reduce(heads[0]) { $0 + $1 }
    return EmpiricalNTK(heads: heads, trace: trace, test: tests, cross: nil, layers: nil, blocked: false)
}
