import ArgumentParser
import TangentBench

struct BenchDMFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dmft",
        abstract: "DMFT iterations per second of kernel.adaptive_ntk (M = 10⁴, P = 1,000) vs dgemm of its main product.")

    @Option(help: "M, neuron draws.") var samples = 10_000
    @Option(help: "P, train points.") var points = 1000
    @Option(help: "D, input dimension.") var inputDim = 64
    @Option(help: "Iterations timed.") var iterations = 10
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        let report = try DMFTBenchmark(samples: samples, points: points, inputDim: inputDim, iterations: iterations).run()
        print(json ? report.json : report.table)
    }
}
