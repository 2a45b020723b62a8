import ArgumentParser
import Foundation
import TangentCore
import TangentPipeline

/// A stage that does nothing, so that a pipeline of them measures the engine alone.
struct NoOpStage: Stage {
    static let name = "bench.noop"
    static let summary = "Does nothing (engine overhead benchmark)."

    @Input("ordering only") var previous: AnyArtifact?
    @Param("position in the chain") var index = 0

    init() {}

    func run(_ context: StageContext) throws -> Table { Table(summary: ["index": .int(index)]) }
}

struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Engine overhead: validate and run a chain of no-op stages, against the 1 s target for 50 stages.")

    @Option(help: "Number of stages in the chain.") var stages = 50
    @Option(help: "Repetitions (the best is reported).") var repeats = 3
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        let registry = StageRegistry([NoOpStage.self])
        var text = "pipeline: engine-bench\nstages:\n  s0: { use: bench.noop }\n"
        for i in 1..<max(stages, 1) { text += "  s\(i): { use: bench.noop, from: { previous: s\(i - 1) }, with: { index: \(i) } }\n" }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-engine-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let file = work.appendingPathComponent("engine.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)

        var validate = Double.infinity, cold = Double.infinity, warm = Double.infinity
        for r in 0..<max(repeats, 1) {
            let out = work.appendingPathComponent("run\(r)")
            var t0 = Machine.wallSeconds()
            let pipeline = try PipelineLoader.load(file: file.path, registry: registry)
            validate = min(validate, Machine.wallSeconds() - t0)
            let runner = PipelineRunner(options: RunOptions(outputDirectory: out, progress: SilentProgress()))
            t0 = Machine.wallSeconds()
            _ = try runner.run(pipeline)
            cold = min(cold, Machine.wallSeconds() - t0)
            t0 = Machine.wallSeconds()
            _ = try runner.run(pipeline)
            warm = min(warm, Machine.wallSeconds() - t0)
        }
        let target = 1.0 * Double(stages) / 50
        let report: Value = .object([
            "benchmark": .string("engine"), "stages": .int(stages),
            "validate_seconds": .double(rounded(validate)), "run_seconds": .double(rounded(cold)),
            "cached_run_seconds": .double(rounded(warm)),
            "overhead_seconds": .double(rounded(validate + cold)),
            "per_stage_ms": .double(rounded((validate + cold) / Double(stages) * 1000)),
            "target_seconds": .double(target), "overhead_over_target": .double(rounded((validate + cold) / target)),
        ])
        if json { print(report.canonicalJSON); return }
        func row(_ label: String, _ seconds: Double) -> String {
            "  " + label.padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: "%9.4f s", seconds)
        }
        print([
            "Engine overhead: a chain of \(stages) no-op stages (best of \(repeats))",
            row("validate", validate),
            row("run (every stage computed, artifacts written)", cold),
            row("run again (every stage cached)", warm),
            row("overhead = validate + run", validate + cold),
            String(format: "  per stage %.2f ms; ratio to the %.1f s target: %.3f", (validate + cold) / Double(stages) * 1000,
                   target, (validate + cold) / target),
        ].joined(separator: "\n"))
    }
}
