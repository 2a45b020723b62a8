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
    /// The fused element-wise pass of TangentCore that computes this activation and its derivative.
    public var kind: ActivationKind {
        switch self {
        case .linear: .linear
        case .relu: .relu
        case .tanh: .tanh
        case .erf: .erf
        case .gelu: .gelu
        }
    }

    /// H ← φ(H) in place, returning φ'(H) when asked (one fused pass, C kernel).
    public func applyInPlace<Scalar: TangentScalar>(_ h: inout Matrix<Scalar>, derivative: Bool = true) -> Matrix<Scalar>? {
        guard derivative else {
            h.applyActivation(kind)
            return nil
        }
        return h.applyActivationReturningDerivative(kind)
    }
}

/// Every quantity of one walk through the layers, in one precision.
struct LayerWalk<Scalar: TangentScalar> {
    /// x_0 … x_L: layer inputs (P × n_l).
    var inputs: [Matrix<Scalar>] = []
    /// φ'(h_1) … φ'(h_L), when kept.
    var derivatives: [Matrix<Scalar>] = []
    /// h_1 … h_{L+1}, when kept.
    var preactivations: [Matrix<Scalar>] = []
    /// f = h_{L+1}
    var output = Matrix<Scalar>(rows: 0, columns: 0)
}

extension MLP {
    /// The one forward pass of Tangent: h_l = a_l·x_{l−1}·W_lᵀ + β_l·b_l (row-major batch, GEMM), x_l = φ(h_l) in
    /// place (fused C kernel), in the precision of the given weights (`weights`/`biases` are this model's, converted).
    func walk<Scalar: TangentScalar>(_ x: Matrix<Scalar>, weights: [Matrix<Scalar>], biases: [[Scalar]],
                                     keepDerivatives: Bool, keepPreactivations: Bool = false) throws -> LayerWalk<Scalar> {
        guard x.columns == architecture.inputDimension else {
            throw NumericsError(.shapeMismatch,
                                "the model takes \(architecture.inputDimension) input features, the batch has \(x.columns)")
        }
        var result = LayerWalk<Scalar>()
        result.inputs = [x]
        var current = x
        for l in 0..<weights.count {
            let s = architecture.scaling(layer: l)
            var h = try current.matmul(weights[l], transposeOther: true, alpha: Scalar(s.weightMultiplier))
            if architecture.bias { h.addToEveryRow(biases[l].map { Scalar(s.biasMultiplier) * $0 }) }
            if keepPreactivations { result.preactivations.append(h) }
            if l == weights.count - 1 {
                result.output = h
                return result
            }
            if let dphi = architecture.activation.applyInPlace(&h, derivative: keepDerivatives) { result.derivatives.append(dphi) }
            result.inputs.append(h)
            current = h
        }
        preconditionFailure("unreachable: an MLP has at least one layer")
    }
}

extension MLP {
    /// f(X) for a batch X (P × D), rows are samples.
    public func callAsFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
        try forward(x, keepDerivatives: false).output
    }

    /// The forward pass h_l = a_l·x_{l−1}·W_lᵀ + β_l·b_l (row-major batch), x_l = φ(h_l), through GEMM.
    public func forward(_ x: Matrix<Double>, keepDerivatives: Bool = true) throws -> ForwardPass {
        let w = try walk(x, weights: weights, biases: biases, keepDerivatives: keepDerivatives)
        return ForwardPass(inputs: w.inputs, derivatives: w.derivatives, output: w.output)
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
