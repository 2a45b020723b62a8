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
