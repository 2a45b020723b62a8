import Foundation
import TangentCore
import TangentPipeline

/// `tangent bench sweep`: one sweep run with `--jobs 1` and again with `--jobs N` (fresh folders each time), so
/// the gain from running points as concurrent processes is a ratio of two wall times measured in the same run.
/// The target (issue #10): 8 points of `pipelines/quickstart.yaml --profile quick` over `seed=range(0,8)` take at
/// most 0.65× the `--jobs 1` time with `--jobs 2` on 2 cores.
public struct SweepBenchmark: Sendable {
    public var file: String
    public var profile: String?
    public var sweep: [String]
    public var jobs: Int
    /// Repetitions of each (the best is reported).
    public var repeats: Int
    public var registry: StageRegistry

    public init(file: String, profile: String?, sweep: [String], jobs: Int, repeats: Int, registry: StageRegistry) {
        self.file = file
        self.profile = profile
        self.sweep = sweep
        self.jobs = jobs
        self.repeats = repeats
        self.registry = registry
    }

    public struct Report: Sendable {
        public var points: Int
        public var jobs: Int
        public var serialSeconds: Double
        public var parallelSeconds: Double
        public var ratio: Double { parallelSeconds / serialSeconds }
        public static let target = 0.65

        public var table: String {
            [
                "Sweep of \(points) points: --jobs 1 vs --jobs \(jobs) (best of each; fresh sweep folders)",
                "  " + "--jobs 1".padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%8.2f s", serialSeconds),
                "  " + "--jobs \(jobs)".padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%8.2f s", parallelSeconds),
                String(format: "  ratio %.3f (target ≤ %.2f: %@)", ratio, Self.target, ratio <= Self.target ? "met" : "not met"),
            ].joined(separator: "\n")
        }

        public var json: String {
            Value.object([
                "benchmark": .string("sweep"), "points": .int(points), "jobs": .int(jobs),
                "serial_seconds": .double(rounded(serialSeconds)), "parallel_seconds": .double(rounded(parallelSeconds)),
                "ratio": .double(rounded(ratio)), "target_ratio": .double(Self.target),
            ]).canonicalJSON
        }
    }

    public func run(log: (String) -> Void) throws -> Report {
        let base = try PipelineLoader.load(file: file, profile: profile, sweep: sweep, registry: registry)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-bench-sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var best = [Double.infinity, .infinity]
        var points = 0
        for round in 0..<max(repeats, 1) {
            for (slot, j) in [1, jobs].enumerated() {
                let out = scratch.appendingPathComponent("r\(round)-j\(j)")
                let plan = try SweepPlan.make(base: base, overrides: [], out: out, registry: registry)
                points = plan.points.count
                var options = SweepRunOptions(jobs: j)
                options.log = { _ in }
                let start = Machine.wallSeconds()
                let outcome = try SweepRunner(options: options).run(plan)
                let seconds = Machine.wallSeconds() - start
                guard outcome.failures.isEmpty else {
                    throw PipelineError(.sweep, "a point failed during the benchmark: \(outcome.failures[0].message)")
                }
                log(String(format: "round %d, --jobs %d: %.2f s", round + 1, j, seconds))
                best[slot] = min(best[slot], seconds)
            }
        }
        return Report(points: points, jobs: jobs, serialSeconds: best[0], parallelSeconds: best[1])
    }
}
