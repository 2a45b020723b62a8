import Foundation
import TangentCore

/// The eigenvalues λ_1, …, λ_D of the input covariance Σ.
///
/// - `isotropic`: λ_k = 1 (Σ = I, tr Σ = D).
/// - `powerLaw(alpha: α)`: λ_k = D·k^(−α) / Σ_{j=1}^{D} j^(−α), k = 1 … D: a power law normalized so that
///   tr Σ = D, the trace of the isotropic case (α = 0 gives Σ = I).
/// - `given(λ)`: the D values as given (not normalized), each ≥ 0 and finite.
public enum CovarianceSpectrum: Sendable, Equatable {
    case isotropic
    case powerLaw(alpha: Double)
    case given([Double])

    /// λ_1 … λ_D for input dimension D.
    public func eigenvalues(dimension d: Int) throws -> [Double] {
        guard d >= 1 else { throw NumericsError(.invalidArgument, "input dimension must be ≥ 1, got \(d)") }
        switch self {
        case .isotropic:
            return [Double](repeating: 1, count: d)
        case .powerLaw(let alpha):
            guard alpha.isFinite, alpha >= 0 else {
                throw NumericsError(.invalidArgument, "power-law exponent alpha must be finite and ≥ 0, got \(alpha)")
            }
            let raw = (1...d).map { pow(Double($0), -alpha) }
            let norm = Double(d) / raw.reduce(0, +)
            return raw.map { $0 * norm }
        case .given(let values):
            guard values.count == d else {
                throw NumericsError(.shapeMismatch,
                                    "\(values.count) covariance eigenvalues given for input dimension \(d); give one per dimension")
            }
            if let bad = values.first(where: { !$0.isFinite || $0 < 0 }) {
                throw NumericsError(.invalidArgument, "covariance eigenvalues must be finite and ≥ 0, got \(bad)")
            }
            return values
        }
    }
}

/// Gaussian inputs x ~ N(0, Σ) in D dimensions, Σ = Q·diag(λ)·Qᵀ.
///
/// Without rotation Q = I: Σ = diag(λ) is diagonal in the standard basis, coordinate k having variance λ_k.
/// With rotation Q is a Haar-random orthogonal D × D matrix (`RandomOrthonormal.columns(rows: D, columns: D)`),
/// so the eigenbasis is random but fixed by the seed.
///
/// Sampling: x = Q·diag(√λ)·z with z ~ N(0, I_D); for P samples as rows, X = Z·diag(√λ)·Qᵀ with Z (P × D) filled
/// row by row with standard normals (so the first P rows of a larger sample equal a sample of P).
public struct InputDistribution: Sendable, Equatable {
    /// λ_1 … λ_D
    public let eigenvalues: [Double]
    /// Q (D × D, orthogonal), or nil for the standard basis.
    public let rotation: Matrix<Double>?

    public init(eigenvalues: [Double], rotation: Matrix<Double>? = nil) throws {
        guard !eigenvalues.isEmpty else { throw NumericsError(.invalidArgument, "an input distribution needs D ≥ 1") }
        if let q = rotation, q.rows != eigenvalues.count || q.columns != eigenvalues.count {
            throw NumericsError(.shapeMismatch,
                                "rotation is \(q.rows)×\(q.columns) but there are \(eigenvalues.count) eigenvalues")
        }
        self.eigenvalues = eigenvalues
        self.rotation = rotation
    }

    /// The distribution with `spectrum` in D dimensions, rotated by a Haar-random Q drawn from `rng` when `rotate`.
    public init(dimension d: Int, spectrum: CovarianceSpectrum, rotate: Bool = false,
                using rng: inout Xoshiro256StarStar) throws {
        let lambda = try spectrum.eigenvalues(dimension: d)
        try self.init(eigenvalues: lambda, rotation: rotate ? try RandomOrthonormal.columns(rows: d, columns: d, using: &rng) : nil)
    }

    /// D
    public var dimension: Int { eigenvalues.count }

    /// Σ = Q·diag(λ)·Qᵀ (D × D).
    public var covariance: Matrix<Double> {
        guard let q = rotation else { return .diagonal(eigenvalues) }
        var qs = q
        qs.scaleColumns(by: eigenvalues)
        return qs * q.transposed
    }

    /// P samples as rows: X = Z·diag(√λ)·Qᵀ, Z (P × D) standard normal, drawn row by row from `rng`.
    public func sample(_ count: Int, using rng: inout Xoshiro256StarStar) -> Matrix<Double> {
        var x = Matrix<Double>.randomNormal(rows: count, columns: dimension, using: &rng)
        guard count > 0 else { return x }
        x.scaleColumns(by: eigenvalues.map { $0.squareRoot() })
        guard let q = rotation else { return x }
        return x * q.transposed
    }
}
