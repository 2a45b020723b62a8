import ArgumentParser
import TangentBench
import TangentCore

/// The command-line options of `ReferenceNetwork` (the training and NTK benchmarks' network and batch).
struct ReferenceNetworkOptions: ParsableArguments {
    @Option(help: "Samples N.") var n = 2048
    @Option(help: "Input dimension d.") var d = 784
    @Option(help: "Hidden widths, comma-separated.") var hidden = "1024,1024,1024"
    @Option(help: "Outputs (heads) C.") var outputs = 10
    @Option(help: "Thread budget (default: all cores).") var threads: Int?

    var widths: [Int] { hidden.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard n > 0, d > 0, outputs > 0 else { throw ValidationError("--n, --d and --outputs must be positive") }
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 }) else { throw ValidationError("--hidden must list positive widths") }
    }

    /// Applies the thread budget and returns the network.
    func network() -> ReferenceNetwork {
        if let threads { Threads.setBudget(threads) }
        return ReferenceNetwork(n: n, d: d, widths: widths, outputs: outputs)
    }
}
