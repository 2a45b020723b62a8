import ArgumentParser
import TangentBench

struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "One full-batch training step vs OpenBLAS dgemm for the same flops (goal: ratio ≤ 1.3).")

    @OptionGroup var network: ReferenceNetworkOptions
    @Option(help: "Timed repetitions (best is reported).") var repeats = 5
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        let report = try TrainBenchmark(network: network.network(), repeats: repeats).run()
        print(json ? report.json : report.table)
    }
}
