internal import CKernels

/// The element-wise nonlinearities φ that the fused C activation pass computes, with their derivatives φ':
///
/// | kind | φ(x) | φ'(x) |
/// |---|---|---|
/// | linear | x | 1 |
/// | relu | max(x, 0) | 1 if x > 0 else 0 |
/// | tanh | tanh x | 1 − tanh² x |
/// | erf | erf x | (2/√π)·exp(−x²) |
/// | gelu | x·Φ(x) = (x/2)(1 + erf(x/√2)) | Φ(x) + x·φ_N(x), φ_N(x) = exp(−x²/2)/√(2π) |
///
/// Float matrices evaluate φ and φ' in float (`tanhf`, `erff`, `expf`).
public enum ActivationKind: Sendable, Hashable, CaseIterable {
    case linear, relu, tanh, erf, gelu

    /// The C kernel's enum value.
    var kernel: tk_activation {
        switch self {
        case .linear: .TK_ACTIVATION_LINEAR
        case .relu: .TK_ACTIVATION_RELU
        case .tanh: .TK_ACTIVATION_TANH
        case .erf: .TK_ACTIVATION_ERF
        case .gelu: .TK_ACTIVATION_GELU
        }
    }
}

extension Matrix {
    /// A ← φ(A) element-wise, in place: one fused pass over memory (C kernel, OpenMP over large matrices).
    public mutating func applyActivation(_ kind: ActivationKind) {
        var none: [Scalar] = []
        Scalar._activationInPlace(kind: kind, h: &elements, derivative: &none)
    }

    /// A ← φ(A) element-wise, in place, and returns φ'(A) of the old values (same shape), both from one fused pass
    /// over memory (C kernel): what a forward pass keeps for backpropagation, where G_{l−1} = (G_l·W_l) ⊙ φ'(h_{l−1}).
    public mutating func applyActivationReturningDerivative(_ kind: ActivationKind) -> Matrix {
        var derivative = Matrix(uninitializedRows: rows, columns: columns)
        Scalar._activationInPlace(kind: kind, h: &elements, derivative: &derivative.elements)
        return derivative
    }
}
