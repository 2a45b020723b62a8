import TangentCore

/// What `empiricalNTK` computes besides the per-head kernels, and within what memory.
public struct NTKOptions: Sendable, Equatable {
    /// How layers are weighted in Θ.
    public enum Weighting: String, Sendable, CaseIterable {
        /// The Jacobian Gram in parameter space: Θ = Σ_θ ∂f/∂θ ∂f'/∂θ.
        case parameters
        /// Each parameter weighted by its learning-rate factor c (`Parametrization`), i.e. the kernel of the
        /// gradient-descent dynamics df/dt = −η Σ_θ c_θ ∂f/∂θ ∂L/∂θ.
        case learningRate = "learning_rate"
    }

    /// Also compute the cross-head blocks Θ^{c,d} (C × C kernels; needs every head's backward signals at once).
    public var crossHeads: Bool
    /// Also keep each layer's contribution to every head's kernel.
    public var perLayer: Bool
    public var weighting: Weighting
    /// Bytes the computation may use beyond its inputs and outputs; nil = no limit. When the precomputed layer
    /// factors would not fit, the kernels are computed in blocks of rows instead.
    public var memoryBudget: Int?

    public init(crossHeads: Bool = false, perLayer: Bool = false, weighting: Weighting = .parameters,
                memoryBudget: Int? = nil) {
        self.crossHeads = crossHeads
        self.perLayer = perLayer
        self.weighting = weighting
        self.memoryBudget = memoryBudget
    }
}

extension MLPArchitecture {
    /// The coefficients (c_W·a_l², c_b·β_l²) of layer l's factor A_l = c_W·a_l²·X_{l−1}·X_{l−1}ᵀ + c_b·β_l² in the
    /// layer-factorized NTK: a_l, β_l the weight and bias multipliers, c_W, c_b the learning-rate factors for
    /// `weighting: learning_rate` (1 otherwise); c_b·β_l² is 0 without biases. Shared by the in-memory and the
    /// out-of-core kernels.
    func ntkFactorScales<Scalar: TangentScalar>(layer l: Int, weighting: NTKOptions.Weighting) -> (Scalar, Scalar) {
        let s = scaling(layer: l)
        let (cw, cb) = weighting == .learningRate ? (s.weightLearningRate, s.biasLearningRate) : (1, 1)
        return (Scalar(cw * s.weightMultiplier * s.weightMultiplier),
                bias ? Scalar(cb * s.biasMultiplier * s.biasMultiplier) : 0)
    }
}
