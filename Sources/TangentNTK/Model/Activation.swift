import Foundation

/// Element-wise nonlinearities φ of the MLPs, with their derivatives φ'.
///
/// | name | φ(x) | φ'(x) |
/// |---|---|---|
/// | linear | x | 1 |
/// | relu | max(x, 0) | 1 if x > 0 else 0 |
/// | tanh | tanh x | 1 − tanh² x |
/// | erf | erf x | (2/√π)·exp(−x²) |
/// | gelu | x·Φ(x) = (x/2)(1 + erf(x/√2)) | Φ(x) + x·φ_N(x), φ_N the standard normal density |
public enum Activation: String, Sendable, CaseIterable, Codable {
    case linear, relu, tanh, erf, gelu

    /// φ(x)
    @inlinable public func apply(_ x: Double) -> Double {
        switch self {
        case .linear: return x
        case .relu: return x > 0 ? x : 0
        case .tanh: return Foundation.tanh(x)
        case .erf: return Foundation.erf(x)
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x * 0.7071067811865476))
        }
    }

    /// φ'(x)
    @inlinable public func derivative(_ x: Double) -> Double {
        switch self {
        case .linear: return 1
        case .relu: return x > 0 ? 1 : 0
        case .tanh:
            let t = Foundation.tanh(x)
            return 1 - t * t
        case .erf: return 1.1283791670955126 * Foundation.exp(-x * x)
        case .gelu:
            return 0.5 * (1 + Foundation.erf(x * 0.7071067811865476)) + x * 0.3989422804014327 * Foundation.exp(-0.5 * x * x)
        }
    }
}
