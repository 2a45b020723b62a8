import ArgumentParser
import TangentBench

struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Engine overhead: validate and run a chain of no-op stages, against the 1 s target for 50 stages.")

    @Option(help: "Number of stages in the chain.") var stages = 50
    @Option(help: "Repetitions (the best is reported).") var repeats = 3
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        let report = try EngineBenchmark(stages: stages, repeats: repeats).run()
        print(json ? report.json : report.table)
    }
}
