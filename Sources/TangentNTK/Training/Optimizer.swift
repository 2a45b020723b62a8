import TangentCore

/// The update rule of `train.gd`. With per-parameter learning-rate factors c (see `Parametrization`), gradient
/// g = ∇_θ L and weight decay λ:
///
/// - gd (full batch or minibatch SGD): θ ← θ − η·(c·g + λθ)
/// - momentum (heavy ball, μ): v ← μ·v + c·g + λθ;  θ ← θ − η·v
/// - adam (β₁, β₂, ε; bias-corrected; decoupled decay as in AdamW):
///   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − η·(c_adam·m̂/(√v̂ + ε) + λθ)
///
/// Weight decay is not multiplied by c, as in θ ← θ − η(n_L γ₀² ∇L + λθ) for the mean-field network.
public struct OptimizerSettings: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case gd, momentum, adam }

    public var kind: Kind
    public var learningRate: Double
    public var momentum: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double

    public init(kind: Kind = .gd, learningRate: Double, momentum: Double = 0.9, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }
}

/// An optimizer with its state (velocities or moments), one slot per weight matrix and bias vector.
public struct Optimizer: Sendable {
    public let settings: OptimizerSettings
    private var first: [[Double]] = []
    private var second: [[Double]] = []
    private var stepCount = 0

    public init(_ settings: OptimizerSettings) { self.settings = settings }

    /// Applies one update to `model` from `gradients`.
    public mutating func step(_ model: inout MLP, _ gradients: Gradients) {
        let arch = model.architecture
        let groups = 2 * model.weights.count
        if first.isEmpty {
            first = (0..<groups).map { i in [Double](repeating: 0, count: groupCount(model, i)) }
            second = settings.kind == .adam ? first : [[Double]](repeating: [], count: groups)
        }
        stepCount += 1
        let (eta, lambda) = (settings.learningRate, settings.weightDecay)
        let (b1, b2) = (settings.beta1, settings.beta2)
        let correction1 = 1 - pow(b1, Double(stepCount)), correction2 = 1 - pow(b2, Double(stepCount))
        for l in 0..<model.weights.count {
            let s = arch.scaling(layer: l)
            for isBias in [false, true] {
                let index = 2 * l + (isBias ? 1 : 0)
                let g = isBias ? gradients.biases[l] : gradients.weights[l].elements
                if g.isEmpty { continue }
                let c: Double
                switch settings.kind {
                case .adam: c = isBias ? s.adamBiasLearningRate : s.adamWeightLearningRate
                default: c = isBias ? s.biasLearningRate : s.weightLearningRate
                }
                // Update the parameters in place (no copy of the weight matrices).
                func update(_ p: inout [Double], _ m: inout [Double], _ v: inout [Double]) {
                    switch settings.kind {
                    case .gd:
                        for i in 0..<p.count { p[i] -= eta * (c * g[i] + lambda * p[i]) }
                    case .momentum:
                        let mu = settings.momentum
                        for i in 0..<p.count {
                            m[i] = mu * m[i] + c * g[i] + lambda * p[i]
                            p[i] -= eta * m[i]
                        }
                    case .adam:
                        for i in 0..<p.count {
                            m[i] = b1 * m[i] + (1 - b1) * g[i]
                            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                            let step = (m[i] / correction1) / ((v[i] / correction2).squareRoot() + settings.epsilon)
                            p[i] -= eta * (c * step + lambda * p[i])
                        }
                    }
                }
                if isBias {
                    update(&model.biases[l], &first[index], &second[index])
                } else {
                    update(&model.weights[l].elements, &first[index], &second[index])
                }
            }
        }
    }

    private func groupCount(_ model: MLP, _ index: Int) -> Int {
        index % 2 == 0 ? model.weights[index / 2].count : model.biases[index / 2].count
    }
}

import Foundation
