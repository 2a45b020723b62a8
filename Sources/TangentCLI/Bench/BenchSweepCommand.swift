import ArgumentParser
import Foundation
import TangentBench
import TangentPipeline

struct BenchSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "A sweep with --jobs 1 and with --jobs N: wall times and their ratio (target ≤ 0.65 for 8 quick quickstart points on 2 cores).")

    @Option(help: "The pipeline file.") var file = "pipelines/quickstart.yaml"
    @Option(help: "Its profile.") var profile: String? = "quick"
    @Option(help: "Sweep axes (repeatable), as `tangent run --sweep`.") var sweep: [String] = ["seed=range(0,8)"]
    @Option(help: "Points at once in the parallel run.") var jobs = 2
    @Option(help: "Repetitions (the best of each is reported).") var repeats = 2
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        guard jobs >= 2 else { throw ValidationError("--jobs must be at least 2 (it is compared with --jobs 1)") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        let bench = SweepBenchmark(file: file, profile: profile, sweep: sweep, jobs: jobs, repeats: repeats,
                                   registry: CLIState.registry)
        let figures: SweepBenchmark.Report
        do {
            figures = try bench.run { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) }
        } catch let error as PipelineError {
            throw report(error)
        }
        print(json ? figures.json : figures.table)
    }
}
