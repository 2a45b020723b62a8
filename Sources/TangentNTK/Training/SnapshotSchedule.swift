import Foundation

/// The training steps at which weights are saved: every k steps, a number of log-spaced steps, and/or listed
/// steps, always including step 0 (initialization) and the last step.
public struct SnapshotSchedule: Sendable, Equatable {
    public var every: Int?
    public var logSpaced: Int?
    public var at: [Int]

    public init(every: Int? = nil, logSpaced: Int? = nil, at: [Int] = []) {
        self.every = every
        self.logSpaced = logSpaced
        self.at = at
    }

    /// An upper bound on `steps(total:).count`, computed without listing the steps (for validating absurd
    /// schedules before they are materialized).
    public func countBound(total steps: Int) -> Double {
        let total = Double(max(steps, 0))
        var count = 2.0 + Double(at.count)
        if let every, every > 0 { count += total / Double(every) + 1 }
        if let logSpaced, logSpaced > 0 { count += min(Double(logSpaced), total + 1) }
        return min(count, total + 1)
    }

    /// Sorted, unique steps in [0, steps].
    public func steps(total steps: Int) -> [Int] {
        var set: Set<Int> = [0, steps]
        if let every, every > 0 { for s in stride(from: 0, through: steps, by: every) { set.insert(s) } }
        if let logSpaced, logSpaced > 0 { set.formUnion(Self.logSpacedSteps(count: logSpaced, total: steps)) }
        for s in at where s >= 0 && s <= steps { set.insert(s) }
        return set.sorted()
    }

    /// `count` steps geometrically spaced from 1 to `total` (rounded, unique), plus 0. At most `total + 1` steps
    /// exist, so a larger `count` is clamped to it (the loop is bounded by the steps, never by `count`).
    public static func logSpacedSteps(count: Int, total: Int) -> [Int] {
        guard total > 0, count > 0 else { return [0] }
        var set: Set<Int> = [0]
        if count == 1 { return [0, total] }
        if count > total { return Array(0...total) }
        let logMax = log(Double(total))
        for i in 0..<count {
            set.insert(Int((exp(logMax * Double(i) / Double(count - 1))).rounded()))
        }
        return set.filter { $0 <= total }.sorted()
    }
}
