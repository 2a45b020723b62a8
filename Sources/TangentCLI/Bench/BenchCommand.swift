import ArgumentParser
import Foundation
import TangentCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Performance figures, each with its ratio to a reference measured in the same run.",
        subcommands: [BenchGramCommand.self, BenchEngineCommand.self, BenchTrainCommand.self, BenchNTKCommand.self,
                      BenchSHA256Command.self]
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
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.table(report))
        }
    }

    static func table(_ r: GramBenchmark.Report) -> String {
        func row(_ precision: String, _ method: String, _ gflops: Double, _ overSyrk: Double, _ overPeak: Double) -> String {
            precision.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                + method.padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: "%9.1f %9.2f %9.0f%%", gflops, overSyrk, overPeak * 100)
        }
        var lines = [
            "Gram G = A·Aᵀ, A: \(r.n) × \(r.p), \(r.threads) threads, AVX-512: \(r.avx512 ? "yes" : "no")",
            String(format: "measured FMA peak (float64): %.1f GFLOP/s", r.fma_peak_gflops),
            "",
            "precision  method                           GFLOP/s   vs syrk   vs peak",
        ]
        for f in [r.float64, r.float32] {
            let syrk = f.precision == "float64" ? "OpenBLAS dsyrk" : "OpenBLAS ssyrk"
            lines.append(row(f.precision, syrk, f.syrk_gflops, 1, f.syrk_over_peak))
            lines.append(row(f.precision, "Matrix.gram (syrk + mirror)", f.gram_path_gflops, f.gram_path_over_syrk,
                             f.gram_path_gflops / r.fma_peak_gflops))
            lines.append(row(f.precision, "C kernel", f.kernel_gflops, f.kernel_over_syrk, f.kernel_over_peak))
            lines.append(String(format: "           C kernel vs syrk: max relative difference %.1e",
                                f.kernel_vs_syrk_relative_difference))
        }
        lines.append("")
        lines.append("Ratios to peak use the float64 FMA peak (float32 SIMD peak is twice that).")
        return lines.joined(separator: "\n")
    }
}
