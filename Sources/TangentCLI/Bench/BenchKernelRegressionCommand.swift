import ArgumentParser
import TangentBench
import TangentCore

struct BenchKernelRegressionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-regression",
        abstract: "Streamed kernel ridge regression on a memory-mapped N × N kernel (solve: streamed) vs POTRF in memory.")

    @Option(help: "N, train points (the kernel is N × N).") var n = 30_000
    @Option(help: "N_test, test points.") var testPoints = 1000
    @Option(help: "C, target columns.") var outputs = 10
    @Option(help: "float32 or float64: the kernel files' dtype and the solve's precision.") var precision = "float32"
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        guard Precision(rawValue: precision) != nil else { throw ValidationError("--precision is float32 or float64") }
        guard n >= 1, testPoints >= 0, outputs >= 1 else { throw ValidationError("--n and --outputs must be ≥ 1, --test-points ≥ 0") }
    }

    func run() throws {
        let report = try KernelRegressionBenchmark(n: n, testPoints: testPoints, outputs: outputs,
                                                   precision: Precision(rawValue: precision)!).run()
        print(json ? report.json : report.table)
    }
}
