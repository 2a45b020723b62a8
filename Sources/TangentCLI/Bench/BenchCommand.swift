import ArgumentParser
import Foundation
import TangentBench
import TangentCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Performance figures, each with its ratio to a reference measured in the same run.",
        subcommands: [BenchGramCommand.self, BenchKernelRegressionCommand.self, BenchEngineCommand.self, BenchTrainCommand.self, BenchNTKCommand.self,
                      BenchNTKStageCommand.self, BenchSnapshotsCommand.self, BenchSHA256Command.self, BenchSweepCommand.self,
                      BenchDMFTCommand.self]
    )
}

struct BenchGramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gram",
        abstract: "Gram G = A·Aᵀ: the C kernel and Matrix.gram() vs OpenBLAS dsyrk/ssyrk and the FMA peak."
    )

    @Option(name: .customLong("n"), help: "Rows of A (the Gram is n × n).") var n = 2048
    @Option(name: .customLong("p"), help: "Columns of A (the reduction length).") var p = 20000
    @Option(help: "Timed repetitions per method (best is reported, after one warm-up).") var repeats = 3
    @Option(help: "Thread budget for OpenMP kernels and OpenBLAS (default: all cores).") var threads: Int?
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        guard n > 0, p > 0 else { throw ValidationError("--n and --p must be positive") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
    }

    func run() throws {
        if let threads { Threads.setBudget(threads) }
        let bench = GramBenchmark(n: n, p: p, repeats: repeats)
        let report = try bench.run { message in
            FileHandle.standardError.write(Data(("  " + message + "\n").utf8))
        }
        print(json ? try report.json() : report.table)
    }
}
