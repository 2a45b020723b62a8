import Foundation
import TangentCore

/// A power-law fit L(t) ≈ c·t^(−α) of the late training loss (Shan & Bordelon's kernel-gradient-descent phase),
/// by least squares of log L against log t over the window, with R² of that fit, and the end of the earlier
/// faster-than-power-law phase: the first logged step from which the loss stays within a factor `tolerance` of the
/// fitted power law for every later logged step (≥ 1).
public struct PowerLawFit: Sendable, Equatable {
    public var alpha: Double
    public var coefficient: Double
    public var rSquared: Double
    public var windowStart: Int
    public var windowEnd: Int
    public var fastPhaseEnd: Int?

    /// Fits on logged (step, loss) pairs with step ≥ 1 and loss > 0. The window defaults to the last decade of
    /// steps [T/10, T]; at least 3 points are needed.
    public init(steps: [Int], losses: [Double], windowStart: Int? = nil, windowEnd: Int? = nil,
                tolerance: Double = 2) throws {
        let points = zip(steps, losses).filter { $0.0 >= 1 && $0.1 > 0 && $0.1.isFinite }
        guard let last = points.last?.0 else { throw NumericsError(.invalidArgument, "no positive losses at steps ≥ 1") }
        let start = windowStart ?? max(1, last / 10), end = windowEnd ?? last
        let window = points.filter { $0.0 >= start && $0.0 <= end }
        guard window.count >= 3 else {
            throw NumericsError(.invalidArgument, "the window [\(start), \(end)] holds \(window.count) logged losses; a power-law fit needs 3")
        }
        let xs = window.map { log(Double($0.0)) }, ys = window.map { log($0.1) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let sxy = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let slope = sxx > 0 ? sxy / sxx : 0
        let intercept = my - slope * mx
        let residual = zip(xs, ys).reduce(0) { $0 + pow($1.1 - (intercept + slope * $1.0), 2) }
        let total = ys.reduce(0) { $0 + ($1 - my) * ($1 - my) }
        alpha = -slope
        coefficient = exp(intercept)
        rSquared = total > 0 ? 1 - residual / total : 1
        self.windowStart = start
        self.windowEnd = end
        let withinFit = points.map { p in
            let fitted = exp(intercept + slope * log(Double(p.0)))
            return max(p.1 / fitted, fitted / p.1) <= tolerance
        }
        // The first index from which every later point lies within the tolerance of the fit.
        var index: Int? = nil
        for i in stride(from: points.count - 1, through: 0, by: -1) {
            if withinFit[i] { index = i } else { break }
        }
        fastPhaseEnd = index.map { points[$0].0 }
    }
}
