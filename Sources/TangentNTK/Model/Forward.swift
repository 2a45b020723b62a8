import CKernels
import TangentCore

/// The activations of one forward pass over a batch, kept for the backward pass and for the NTK.
public struct ForwardPass: Sendable {
    /// x_0 … x_L: layer inputs (P × n_l); x_0 is the batch.
    public var inputs: [Matrix<Double>]
    /// φ'(h_1) … φ'(h_L) (P × n_l), for backpropagation.
    public var derivatives: [Matrix<Double>]
    /// f = h_{L+1} (P × C)
    public var output: Matrix<Double>
}

extension Activation {
    var kernelKind: Int32 {
        switch self {
        case .linear: Int32(TK_ACTIVATION_LINEAR)
        case .relu: Int32(TK_ACTIVATION_RELU)
        case .tanh: Int32(TK_ACTIVATION_TANH)
        case .erf: Int32(TK_ACTIVATION_ERF)
        case .gelu: Int32(TK_ACTIVATION_GELU)
        }
    }

    /// H ← φ(H) in place, returning φ'(H) when asked (one fused pass, C kernel).
    public func applyInPlace(_ h: inout Matrix<Double>, derivative: Bool = true) -> Matrix<Double>? {
        guard derivative else {
            tk_activation_inplace_f64(kernelKind, Int64(h.count), &h.elements, nil)
            return nil
        }
        var dphi = Matrix<Double>(rows: h.rows, columns: h.columns)
        tk_activation_inplace_f64(kernelKind, Int64(h.count), &h.elements, &dphi.elements)
        return dphi
    }

    /// (φ(H), φ'(H)) element-wise in one fused pass (C kernel); φ' only when asked.
    public func applyWithDerivative(_ h: Matrix<Double>, derivative: Bool = true) -> (Matrix<Double>, Matrix<Double>?) {
        var phi = h
        guard derivative else {
            tk_activation_f64(kernelKind, Int64(h.count), h.elements, &phi.elements, nil)
            return (phi, nil)
        }
        var dphi = Matrix<Double>(rows: h.rows, columns: h.columns)
        tk_activation_f64(kernelKind, Int64(h.count), h.elements, &phi.elements, &dphi.elements)
        return (phi, dphi)
    }
}

extension MLP {
    /// f(X) for a batch X (P × D), rows are samples.
    public func callAsFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
        try forward(x, keepDerivatives: false).output
    }

    /// The forward pass h_l = a_l·x_{l−1}·W_lᵀ + β_l·b_l (row-major batch), x_l = φ(h_l), through GEMM.
    public func forward(_ x: Matrix<Double>, keepDerivatives: Bool = true) throws -> ForwardPass {
        guard x.columns == architecture.inputDimension else {
            throw NumericsError(.shapeMismatch,
                                "the model takes \(architecture.inputDimension) input features, the batch has \(x.columns)")
        }
        var inputs = [x]
        var derivatives: [Matrix<Double>] = []
        var current = x
        for l in 0..<weights.count {
            let s = architecture.scaling(layer: l)
            var h = try current.matmul(weights[l], transposeOther: true, alpha: s.weightMultiplier)
            if architecture.bias { h.addToEveryRow(biases[l].map { s.biasMultiplier * $0 }) }
            if l == weights.count - 1 { return ForwardPass(inputs: inputs, derivatives: derivatives, output: h) }
            if let dphi = architecture.activation.applyInPlace(&h, derivative: keepDerivatives) { derivatives.append(dphi) }
            inputs.append(h)
            current = h
        }
        preconditionFailure("unreachable: an MLP has at least one layer")
    }
}

/// ∂(loss)/∂θ for every parameter, shaped like the model's weights and biases.
public struct Gradients: Sendable, Equatable {
    public var weights: [Matrix<Double>]
    public var biases: [[Double]]

    /// Flattened in `MLP.flatParameters` order.
    public var flat: [Double] {
        var out: [Double] = []
        for l in 0..<weights.count {
            out += weights[l].elements
            out += biases[l]
        }
        return out
    }
}

extension MLP {
    /// Backpropagation of ∂L/∂f (P × C) through a forward pass:
    ///   G_{L+1} = ∂L/∂f,  ∂L/∂W_l = a_l·G_lᵀ·x_{l−1},  ∂L/∂b_l = β_l·Σ_μ G_l[μ, :],
    ///   G_{l−1} = (a_l·G_l·W_l) ⊙ φ'(h_{l−1}).
    public func backward(_ pass: ForwardPass, outputGradient: Matrix<Double>) throws -> Gradients {
        var g = outputGradient
        var dW = [Matrix<Double>](repeating: Matrix(rows: 0, columns: 0), count: weights.count)
        var db = [[Double]](repeating: [], count: weights.count)
        for l in stride(from: weights.count - 1, through: 0, by: -1) {
            let s = architecture.scaling(layer: l)
            dW[l] = try g.matmul(pass.inputs[l], transposeSelf: true, alpha: s.weightMultiplier)
            if architecture.bias { db[l] = g.columnSums.map { s.biasMultiplier * $0 } }
            if l > 0 {
                g = try g.matmul(weights[l], alpha: s.weightMultiplier)
                g.multiplyElementwise(by: pass.derivatives[l - 1])
            }
        }
        return Gradients(weights: dW, biases: db)
    }
}
