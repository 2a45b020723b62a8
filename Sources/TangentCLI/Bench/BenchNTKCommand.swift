import ArgumentParser
import Foundation
import TangentBench

struct BenchNTKCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntk",
        abstract: "Empirical NTK (per-head kernels): GFLOP/s vs FMA peak and dsyrk, peak memory, generic Jacobian path.")

    @OptionGroup var network: ReferenceNetworkOptions
    @Option(help: "Timed runs per precision (the best is reported).") var repeats = 3
    @Option(help: "Samples for the generic Jacobian path (it materializes N × parameters per head).") var genericN = 32
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        let bench = NTKBenchmark(network: network.network(), repeats: repeats, genericN: genericN)
        let report = try bench.run { message in
            FileHandle.standardError.write(Data(("  " + message + "\n").utf8))
        }
        print(json ? report.json : report.table)
    }
}
