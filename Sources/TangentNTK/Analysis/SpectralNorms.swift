import TangentCore

/// Spectral diagnostics of one weight matrix W_l (fan_out × fan_in) relative to its initial value W_l(0).
///
/// With s_l = √(fan_out/fan_in) (the scale of the spectral condition of Yang, Simon & Bernstein):
///     spectral = ‖W‖_*,  deltaSpectral = ‖W − W(0)‖_*,  frobenius = ‖W‖_F,  deltaFrobenius = ‖W − W(0)‖_F,
///     stableRank = ‖W‖_F² / ‖W‖_*²  (0 for W = 0),
///     spectralRatio = ‖W‖_* / s_l,  deltaSpectralRatio = ‖W − W(0)‖_* / s_l.
/// ‖·‖_* is the largest singular value (exact, LAPACK SVD).
public struct LayerSpectralMetrics: Sendable, Equatable {
    public var fanIn: Int
    public var fanOut: Int
    public var spectral: Double
    public var deltaSpectral: Double
    public var frobenius: Double
    public var deltaFrobenius: Double
    public var stableRank: Double
    public var spectralRatio: Double
    public var deltaSpectralRatio: Double

    /// s_l = √(fan_out/fan_in)
    public var scale: Double { (Double(fanOut) / Double(fanIn)).squareRoot() }

    /// The metrics of `weight` against `initial` (same shape).
    public init(weight: Matrix<Double>, initial: Matrix<Double>) throws {
        guard weight.rows == initial.rows, weight.columns == initial.columns else {
            throw NumericsError(.shapeMismatch, "the weight has shape (\(weight.rows), \(weight.columns)) but its "
                                + "initial value has shape (\(initial.rows), \(initial.columns))")
        }
        guard weight.rows >= 1, weight.columns >= 1 else {
            throw NumericsError(.invalidArgument, "spectral metrics need a non-empty weight matrix")
        }
        var delta = weight
        for i in 0..<delta.elements.count { delta.elements[i] -= initial.elements[i] }
        fanOut = weight.rows
        fanIn = weight.columns
        spectral = try weight.spectralNorm()
        deltaSpectral = try delta.spectralNorm()
        frobenius = weight.frobeniusNorm
        deltaFrobenius = delta.frobeniusNorm
        stableRank = spectral > 0 ? frobenius * frobenius / (spectral * spectral) : 0
        let s = (Double(fanOut) / Double(fanIn)).squareRoot()
        spectralRatio = spectral / s
        deltaSpectralRatio = deltaSpectral / s
    }
}

extension MLP {
    /// `LayerSpectralMetrics` of every weight matrix W_1 … W_{L+1} against the same layer of `initial`.
    public func spectralMetrics(relativeTo initial: MLP) throws -> [LayerSpectralMetrics] {
        guard initial.weights.count == weights.count else {
            throw NumericsError(.shapeMismatch, "the initial model has \(initial.weights.count) layers, this one \(weights.count)")
        }
        return try zip(weights, initial.weights).map { try LayerSpectralMetrics(weight: $0, initial: $1) }
    }
}
