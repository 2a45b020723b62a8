/// The shape and scaling of a fully connected network x ↦ f(x) ∈ ℝ^C (see `Parametrization` for the formulas).
public struct MLPArchitecture: Sendable, Equatable, Codable {
    /// D = n_0
    public var inputDimension: Int
    /// n_1 … n_L
    public var hidden: [Int]
    /// C = n_{L+1}
    public var outputs: Int
    public var activation: Activation
    /// Whether the layers have biases (off by default, as in the papers' theory).
    public var bias: Bool
    public var parametrization: Parametrization
    /// σ
    public var initScale: Double
    /// σ_b (ntk parametrization)
    public var biasScale: Double
    /// γ₀ (meanfield parametrization)
    public var gamma0: Double

    public init(inputDimension: Int, hidden: [Int], outputs: Int, activation: Activation = .relu, bias: Bool = false,
                parametrization: Parametrization = .ntk, initScale: Double = 1, biasScale: Double = 1,
                gamma0: Double = 1) {
        self.inputDimension = inputDimension
        self.hidden = hidden
        self.outputs = outputs
        self.activation = activation
        self.bias = bias
        self.parametrization = parametrization
        self.initScale = initScale
        self.biasScale = biasScale
        self.gamma0 = gamma0
    }

    /// [n_0, n_1, …, n_{L+1}]
    public var widths: [Int] { [inputDimension] + hidden + [outputs] }
    /// L + 1 weight matrices.
    public var layerCount: Int { hidden.count + 1 }

    public func scaling(layer: Int) -> LayerScaling { parametrization.scaling(layer: layer, of: self) }

    /// Number of trainable parameters.
    public var parameterCount: Int {
        (0..<layerCount).reduce(0) { $0 + widths[$1] * widths[$1 + 1] + (bias ? widths[$1 + 1] : 0) }
    }
}
