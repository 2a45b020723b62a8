import Foundation
import TangentCore

/// The MLP whose infinite-width kernels `infiniteWidthKernels` computes, in neural-tangents' convention:
/// `stax.serial(Dense(n, W_std=σ_w, b_std=σ_b), φ, …, Dense(n, W_std=σ_w, b_std=σ_b), φ, Dense(1, W_std=σ_w, b_std=σ_b))`
/// with `depth` hidden layers in the NTK parametrization, h = (σ_w/√fan_in)·W·x + σ_b·b, W, b ~ N(0, 1).
public struct LimitArchitecture: Sendable, Equatable {
    /// L, the number of hidden layers (≥ 1).
    public var depth: Int
    /// linear, relu or erf: the activations with closed-form Gaussian expectations.
    public var activation: Activation
    /// σ_w
    public var weightStd: Double
    /// σ_b
    public var biasStd: Double

    public init(depth: Int, activation: Activation, weightStd: Double = 1, biasStd: Double = 0) {
        self.depth = depth
        self.activation = activation
        self.weightStd = weightStd
        self.biasStd = biasStd
    }

    /// The activations with a closed form here.
    public static let supportedActivations: [Activation] = [.linear, .relu, .erf]
}

/// The NNGP kernel K and the NTK Θ between two sets of inputs.
public struct LimitKernels: Sendable {
    /// K(x_a, x_b), n_a × n_b
    public var nngp: Matrix<Double>
    /// Θ(x_a, x_b), n_a × n_b
    public var ntk: Matrix<Double>
}

/// The infinite-width NNGP and NTK of `architecture` between the rows of `a` and of `b` (inputs as given).
///
/// With Σ¹(x, x') = σ_w²·x·x'/D + σ_b² and Θ¹ = Σ¹, each hidden layer maps
///     Σ^{l+1} = σ_w²·E[φ(u)φ(v)] + σ_b²,   Θ^{l+1} = Σ^{l+1} + σ_w²·E[φ'(u)φ'(v)]·Θ^l,
/// (u, v) ~ N(0, [[Σ^l(x,x), Σ^l(x,x')], [Σ^l(x,x'), Σ^l(x',x')]]), and the readout is the last layer:
/// K = Σ^{L+1}, Θ = Θ^{L+1}. The expectations are closed forms (`GaussianExpectation`): the arc-cosine kernels of
/// degree 1 and 0 for relu (Cho & Saul), the arcsine kernel for erf (Williams), and the identity for linear.
public func infiniteWidthKernels(_ a: Matrix<Double>, _ b: Matrix<Double>, architecture: LimitArchitecture) throws
    -> LimitKernels
{
    guard a.columns == b.columns else {
        throw NumericsError(.shapeMismatch, "infinite-width kernels: inputs have \(a.columns) and \(b.columns) features")
    }
    guard architecture.depth >= 1 else {
        throw NumericsError(.invalidArgument, "infinite-width kernels: depth \(architecture.depth) must be at least 1")
    }
    guard let expectation = GaussianExpectation(architecture.activation) else {
        throw NumericsError(.invalidArgument, "infinite-width kernels have no closed form for activation "
                            + "\(architecture.activation.rawValue) (use linear, relu or erf)")
    }
    let d = Double(max(a.columns, 1))
    let sw2 = architecture.weightStd * architecture.weightStd, sb2 = architecture.biasStd * architecture.biasStd
    // Layer 1: Σ¹ and the variances of each input.
    var sigma = try a.matmul(b, transposeOther: true, alpha: sw2 / d)
    for i in sigma.elements.indices { sigma.elements[i] += sb2 }
    func variances(_ x: Matrix<Double>) -> [Double] {
        (0..<x.rows).map { i in
            var s = 0.0
            for j in 0..<x.columns { s += x[i, j] * x[i, j] }
            return sw2 * s / d + sb2
        }
    }
    var qa = variances(a), qb = variances(b)
    var theta = sigma
    let columns = b.rows
    for _ in 0..<architecture.depth {
        var nextSigma = sigma, nextTheta = theta
        let (qaNow, qbNow) = (qa, qb)
        for i in 0..<a.rows {
            for j in 0..<columns {
                let k = i * columns + j
                let (value, derivative) = expectation.pair(sigma.elements[k], qaNow[i], qbNow[j])
                nextSigma.elements[k] = sw2 * value + sb2
                nextTheta.elements[k] = nextSigma.elements[k] + sw2 * derivative * theta.elements[k]
            }
        }
        sigma = nextSigma
        theta = nextTheta
        qa = qa.map { sw2 * expectation.variance($0) + sb2 }
        qb = qb.map { sw2 * expectation.variance($0) + sb2 }
    }
    return LimitKernels(nngp: sigma, ntk: theta)
}

/// E[φ(u)φ(v)], E[φ'(u)φ'(v)] and E[φ(u)²] for (u, v) centred Gaussian with Var u = q₁, Var v = q₂, Cov = c.
///
/// - linear: c, 1, q.
/// - relu (arc-cosine): √(q₁q₂)·(sin θ + (π − θ)·cos θ)/(2π), (π − θ)/(2π), q/2, with cos θ = c/√(q₁q₂).
/// - erf (arcsine): (2/π)·asin(2c/√((1+2q₁)(1+2q₂))), (4/π)/√((1+2q₁)(1+2q₂) − 4c²), (2/π)·asin(2q/(1+2q)).
public struct GaussianExpectation: Sendable {
    public let activation: Activation

    public init?(_ activation: Activation) {
        guard LimitArchitecture.supportedActivations.contains(activation) else { return nil }
        self.activation = activation
    }

    /// (E[φ(u)φ(v)], E[φ'(u)φ'(v)])
    @inline(__always) public func pair(_ c: Double, _ q1: Double, _ q2: Double) -> (Double, Double) {
        switch activation {
        case .relu:
            let norm = (q1 * q2).squareRoot()
            guard norm > 0 else { return (0, 0.25) }
            let cosine = min(1, max(-1, c / norm))
            let angle = acos(cosine)
            let sine = (max(0, 1 - cosine * cosine)).squareRoot()
            return (norm * (sine + (Double.pi - angle) * cosine) / (2 * Double.pi), (Double.pi - angle) / (2 * Double.pi))
        case .erf:
            let a = 1 + 2 * q1, b = 1 + 2 * q2
            let ratio = min(1, max(-1, 2 * c / (a * b).squareRoot()))
            return (2 / Double.pi * asin(ratio), 4 / Double.pi / max(a * b - 4 * c * c, .leastNormalMagnitude).squareRoot())
        default:
            return (c, 1)
        }
    }

    /// E[φ(u)²] for Var u = q.
    @inline(__always) public func variance(_ q: Double) -> Double {
        switch activation {
        case .relu: q / 2
        case .erf: 2 / Double.pi * asin(2 * q / (1 + 2 * q))
        default: q
        }
    }
}
