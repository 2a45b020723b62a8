/// Count, mean and sample variance of a stream of numbers, by Welford's update (one pass, numerically stable), so
/// the values need not be kept.
struct RunningStatistics: Sendable, Equatable {
    private(set) var count = 0
    private var runningMean = 0.0
    /// Sum of squared deviations from the running mean.
    private var m2 = 0.0

    mutating func add(_ x: Double) {
        count += 1
        let delta = x - runningMean
        runningMean += delta / Double(count)
        m2 += delta * (x - runningMean)
    }

    /// The mean (nil without values).
    var mean: Double? { count > 0 ? runningMean : nil }

    /// The sample standard deviation, ddof = 1 as pandas' `std()` (nil below two values).
    var standardDeviation: Double? { count >= 2 ? (m2 / Double(count - 1)).squareRoot() : nil }

    /// The standard error of the mean, std / √count (nil below two values).
    var standardError: Double? { standardDeviation.map { $0 / Double(count).squareRoot() } }
}
