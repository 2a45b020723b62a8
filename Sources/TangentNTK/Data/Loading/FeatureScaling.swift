import TangentCore

/// A per-feature affine map fitted on train inputs, x ↦ (x − shift) / divisor, applied unchanged to test inputs
/// so that no test statistic leaks into the data.
public struct FeatureScaling: Sendable, Equatable {
    /// Subtracted from each feature (column).
    public var shift: [Double]
    /// Each feature is divided by this after the shift (never 0).
    public var divisor: [Double]

    public init(shift: [Double], divisor: [Double]) {
        self.shift = shift
        self.divisor = divisor
    }

    /// Standardization: shift by each column's mean and divide by its standard deviation (population, ddof 0,
    /// as numpy's `x.std(axis=0)`). Constant columns are only centred (their divisor is 1), so they become 0.
    public static func standardize(fittedOn x: Matrix<Double>) -> FeatureScaling {
        let n = x.rows, d = x.columns
        guard n > 0 else { return FeatureScaling(shift: .init(repeating: 0, count: d), divisor: .init(repeating: 1, count: d)) }
        var mean = [Double](repeating: 0, count: d)
        var low = x.row(0), high = x.row(0)
        for i in 0..<n {
            for j in 0..<d {
                let v = x[i, j]
                mean[j] += v
                low[j] = min(low[j], v)
                high[j] = max(high[j], v)
            }
        }
        for j in 0..<d { mean[j] /= Double(n) }
        var variance = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d {
                let e = x[i, j] - mean[j]
                variance[j] += e * e
            }
        }
        let constant = (0..<d).map { low[$0] == high[$0] }
        let shift = (0..<d).map { constant[$0] ? low[$0] : mean[$0] }
        let divisor = (0..<d).map { constant[$0] ? 1 : (variance[$0] / Double(n)).squareRoot() }
        return FeatureScaling(shift: shift, divisor: divisor)
    }

    /// Scaling by the largest absolute value of all of `x` (255 for 8-bit pixels), the same for every feature;
    /// all-zero inputs are left as they are.
    public static func maxAbs(fittedOn x: Matrix<Double>) -> FeatureScaling {
        let m = x.elements.reduce(0) { max($0, abs($1)) }
        let divisor = m > 0 && m.isFinite ? m : 1
        return FeatureScaling(shift: .init(repeating: 0, count: x.columns), divisor: .init(repeating: divisor, count: x.columns))
    }

    /// `x` with every column mapped; `x.columns` must equal the fitted feature count.
    public func apply(_ x: Matrix<Double>) -> Matrix<Double> {
        precondition(x.columns == shift.count, "FeatureScaling fitted on \(shift.count) features, applied to \(x.columns)")
        var out = x
        for i in 0..<x.rows {
            for j in 0..<x.columns { out[i, j] = (x[i, j] - shift[j]) / divisor[j] }
        }
        return out
    }
}
