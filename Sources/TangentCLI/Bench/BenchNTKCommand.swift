import ArgumentParser
import Foundation
import TangentBench

struct BenchNTKCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntk",
        abstract: "Empirical NTK (per-head kernels): GFLOP/s vs FMA peak and dsyrk, peak memory, generic Jacobian path; "
            + "with --memory-budget, out of core into a temporary folder.")

    @OptionGroup var network: ReferenceNetworkOptions
    @Option(help: "Timed runs per precision (the best is reported).") var repeats = 3
    @Option(help: "Samples for the generic Jacobian path (it materializes N × parameters per head).") var genericN = 32
    @Option(help: "float64 or float32 (with --memory-budget or --in-memory).") var precision = "float64"
    @Option(help: "MB for the kernel tiles: compute the kernels out of core into a temporary folder and report the time, peak resident memory and bytes on disk.")
    var memoryBudget: Double?
    @Flag(help: "One in-memory run in --precision with its time and peak resident memory (the reference for --memory-budget).")
    var inMemory = false
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        guard ["float64", "float32"].contains(precision) else { throw ValidationError("--precision is float64 or float32") }
        if let memoryBudget, memoryBudget <= 0 { throw ValidationError("--memory-budget must be positive") }
    }

    func run() throws {
        let log: (String) -> Void = { message in FileHandle.standardError.write(Data(("  " + message + "\n").utf8)) }
        if memoryBudget != nil || inMemory {
            let bench = NTKOutOfCoreBenchmark(network: network.network(), float32: precision == "float32",
                                              memoryBudget: Int((memoryBudget ?? 0) * 1_048_576), inMemory: inMemory)
            let figures = try bench.run(log: log)
            if json {
                print("{" + figures.map { "\"\($0.name)\":\($0.value)" }.joined(separator: ",") + "}")
            } else {
                for (name, value) in figures { print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(value)") }
            }
            return
        }
        let bench = NTKBenchmark(network: network.network(), repeats: repeats, genericN: genericN)
        let report = try bench.run(log: log)
        print(json ? report.json : report.table)
    }
}
