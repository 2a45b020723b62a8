import Foundation

/// How an MLP's weights are scaled at initialization, in the forward pass and in the learning rates.
///
/// Layer l (1 … L+1) maps n_{l−1} = fan_in to n_l = fan_out features:
///     h_l = a_l · W_l · x_{l−1} + β_l · b_l,   x_l = φ(h_l),   f = h_{L+1},   x_0 = x,
/// with trainable W_l (fan_out × fan_in) and b_l, fixed multipliers a_l, β_l, initial entries W ~ N(0, s_W²),
/// and per-layer learning-rate factors c_l (see `LayerScaling`). σ = `initScale`, σ_b = `biasScale`.
///
/// | | a_l | β_l | W init | b init | SGD lr factor (W; b) | Adam lr factor (W; b) |
/// |---|---|---|---|---|---|---|
/// | standard | 1 | 1 | N(0, σ²/fan_in) | 0 | 1; 1 | 1; 1 |
/// | ntk | σ/√fan_in | σ_b | N(0, 1) | N(0, 1) | 1; 1 | 1; 1 |
/// | mup | 1 | 1 | N(0, σ²/fan_in · min(1, fan_out/fan_in)) | 0 | fan_out/fan_in; fan_out | 1/fan_in; 1 |
/// | spectral | 1 | 1 | σ·√(fan_out/fan_in)·G/‖G‖_*, G Gaussian | 0 | fan_out/fan_in; fan_out | 1/fan_in; 1 |
/// | meanfield | 1/√fan_in (hidden), 1/(γ₀·fan_in) (output) | 1 (hidden), 1/(γ₀·√n_L) (output) | N(0, σ²) | 0 | γ₀²·n_L; γ₀²·n_L | 1; 1 (hidden), 1; γ₀·√n_L (output) |
///
/// muP and spectral follow Yang, Simon & Bernstein's spectral condition: ‖W_l‖_* and ‖ΔW_l‖_* of order
/// √(fan_out/fan_in), with biases treated as weights of fan-in 1; spectral sets the initial spectral norm exactly.
/// meanfield is f = (1/(γ₀ n_L)) Σ_i z_i φ(h_i) with h = W x/√D (Lauditi, Bordelon & Pehlevan), trained with the
/// loss gradient multiplied by γ₀²·n_L (θ ← θ − η(n_L γ₀² ∇L + λθ)). Its biases are width-consistent: a hidden bias
/// moves its preactivation by O(1) like the hidden weights, and the output bias's β = 1/(γ₀√n_L) makes its term in
/// the learning-rate-weighted NTK c·β² = 1, O(1) like the readout's ⟨φ²⟩ (with β = 1 it was γ₀²·n_L and dominated
/// the kernel, so a learning rate stable at one width diverged at a wider one). Adam's 1/β keeps the output bias's
/// step in function units at η.
public enum Parametrization: String, Sendable, CaseIterable, Codable {
    case standard, ntk, mup, spectral, meanfield
}

/// The fixed multipliers, initial scales and learning-rate factors of one layer.
public struct LayerScaling: Sendable, Equatable {
    /// a_l
    public var weightMultiplier: Double
    /// β_l
    public var biasMultiplier: Double
    /// Standard deviation of the initial entries of W_l (ignored when `spectralInit`).
    public var weightInitStd: Double
    /// Standard deviation of the initial entries of b_l (0: zeros).
    public var biasInitStd: Double
    /// W_l = spectralNorm·G/‖G‖_* for a Gaussian G (spectral parametrization).
    public var spectralInitNorm: Double?
    /// c_l for gradient descent, SGD and momentum (weights; biases).
    public var weightLearningRate: Double
    public var biasLearningRate: Double
    /// c_l for Adam (weights; biases).
    public var adamWeightLearningRate: Double
    public var adamBiasLearningRate: Double
}

extension Parametrization {
    /// The scaling of layer `layer` (0-based) of `architecture`.
    public func scaling(layer: Int, of architecture: MLPArchitecture) -> LayerScaling {
        let widths = architecture.widths
        let fanIn = Double(widths[layer]), fanOut = Double(widths[layer + 1])
        let isOutput = layer == widths.count - 2
        let sigma = architecture.initScale
        switch self {
        case .standard:
            return LayerScaling(weightMultiplier: 1, biasMultiplier: 1, weightInitStd: sigma / fanIn.squareRoot(),
                                biasInitStd: 0, spectralInitNorm: nil, weightLearningRate: 1, biasLearningRate: 1,
                                adamWeightLearningRate: 1, adamBiasLearningRate: 1)
        case .ntk:
            return LayerScaling(weightMultiplier: sigma / fanIn.squareRoot(), biasMultiplier: architecture.biasScale,
                                weightInitStd: 1, biasInitStd: 1, spectralInitNorm: nil, weightLearningRate: 1,
                                biasLearningRate: 1, adamWeightLearningRate: 1, adamBiasLearningRate: 1)
        case .mup, .spectral:
            let std = sigma / fanIn.squareRoot() * Swift.min(1, (fanOut / fanIn).squareRoot())
            return LayerScaling(weightMultiplier: 1, biasMultiplier: 1, weightInitStd: std, biasInitStd: 0,
                                spectralInitNorm: self == .spectral ? sigma * (fanOut / fanIn).squareRoot() : nil,
                                weightLearningRate: fanOut / fanIn, biasLearningRate: fanOut,
                                adamWeightLearningRate: 1 / fanIn, adamBiasLearningRate: 1)
        case .meanfield:
            let gamma0 = architecture.gamma0
            let lastWidth = Double(widths[widths.count - 2])
            let factor = gamma0 * gamma0 * lastWidth
            // The output bias: β = 1/(γ₀√n_L), so c·β² = 1 in the learning-rate-weighted NTK (like the readout's
            // ⟨φ²⟩) instead of γ₀²n_L; Adam's factor 1/β keeps its step in function units at η.
            let outputBias = 1 / (gamma0 * lastWidth.squareRoot())
            return LayerScaling(weightMultiplier: isOutput ? 1 / (gamma0 * fanIn) : 1 / fanIn.squareRoot(),
                                biasMultiplier: isOutput ? outputBias : 1, weightInitStd: sigma, biasInitStd: 0,
                                spectralInitNorm: nil, weightLearningRate: factor, biasLearningRate: factor,
                                adamWeightLearningRate: 1, adamBiasLearningRate: isOutput ? 1 / outputBias : 1)
        }
    }

    /// The factor s multiplying the squared-error potential in Langevin sampling: γ₀²·n_L for meanfield
    /// (U = ½ n_L γ₀² Σ_μ (f_μ − y_μ)² + …), 1 otherwise.
    public func lossScale(of architecture: MLPArchitecture) -> Double {
        guard self == .meanfield else { return 1 }
        return architecture.gamma0 * architecture.gamma0 * Double(architecture.widths[architecture.widths.count - 2])
    }
}
