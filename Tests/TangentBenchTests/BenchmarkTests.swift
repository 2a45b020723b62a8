import Foundation
import Testing
import TangentBench
import TangentCore

/// The keys of a JSON object printed by a benchmark.
private func jsonKeys(_ text: String) throws -> Set<String> {
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    return Set(object.keys)
}

/// Small sizes: these check that each benchmark runs and reports every figure, not the figures themselves.
@Suite("Benchmarks run on small sizes and report every figure", .serialized)
struct BenchmarkTests {
    static let network = ReferenceNetwork(n: 24, d: 8, widths: [16, 12], outputs: 2)

    @Test("gram: both precisions, the C kernel agrees with SYRK")
    func gram() throws {
        let report = try GramBenchmark(n: 20, p: 50, repeats: 1, peakSeconds: 0.05).run { _ in }
        #expect(report.n == 20 && report.p == 50 && report.threads == Threads.kernelThreads)
        #expect(report.fma_peak_gflops > 0)
        #expect(report.float64.precision == "float64" && report.float32.precision == "float32")
        for f in [report.float64, report.float32] {
            #expect(f.kernel_gflops > 0 && f.syrk_gflops > 0 && f.gram_path_gflops > 0)
        }
        #expect(report.float64.kernel_vs_syrk_relative_difference < 1e-12)
        #expect(report.float32.kernel_vs_syrk_relative_difference < 1e-5)
        #expect(try jsonKeys(report.json()) == ["benchmark", "n", "p", "threads", "avx512", "fma_peak_gflops", "float64", "float32"])
        #expect(report.table.hasPrefix("Gram G = A·Aᵀ, A: 20 × 50, "))
        #expect(report.table.split(separator: "\n", omittingEmptySubsequences: false).count == 14)
    }

    @Test("engine: a chain of no-op stages is validated, run and run again from the cache")
    func engine() throws {
        let report = try EngineBenchmark(stages: 4, repeats: 1).run()
        #expect(report.validateSeconds > 0 && report.runSeconds > 0 && report.cachedRunSeconds > 0)
        #expect(report.targetSeconds == 4.0 / 50)
        #expect(try jsonKeys(report.json) == ["benchmark", "stages", "validate_seconds", "run_seconds", "cached_run_seconds",
                                               "overhead_seconds", "per_stage_ms", "target_seconds", "overhead_over_target"])
        #expect(report.table.hasPrefix("Engine overhead: a chain of 4 no-op stages (best of 1)"))
    }

    @Test("train: one GD step against dgemm for the same products")
    func train() throws {
        let report = try TrainBenchmark(network: Self.network, repeats: 1).run()
        // Forward 24·(8·16 + 16·12 + 12·2), dW the same, dX 24·(16·12 + 12·2); 2 flops per multiply-add.
        #expect(report.flops == 2 * 24 * Double(2 * (8 * 16 + 16 * 12 + 12 * 2) + 16 * 12 + 12 * 2))
        #expect(report.stepSeconds > 0 && report.gemmSeconds > 0)
        #expect(try jsonKeys(report.json) == ["benchmark", "n", "d", "hidden", "outputs", "step_seconds", "dgemm_seconds",
                                               "ratio", "step_gflops", "dgemm_gflops", "gflop_per_step"])
        #expect(report.json.hasPrefix("{\"benchmark\":\"train\",\"n\":24,\"d\":8,\"hidden\":[16, 12],\"outputs\":2,"))
        #expect(report.table.contains("ratio step / dgemm: "))
    }

    @Test("ntk: factorized kernels in both precisions, references, memory and the generic path")
    func ntk() throws {
        let report = try NTKBenchmark(network: Self.network, repeats: 1, genericN: 6).run { _ in }
        #expect(report.figures.map(\.name) == [
            "gflop", "float64_seconds", "float64_gflops", "float64_over_peak", "float64_over_dsyrk", "float32_seconds",
            "float32_gflops", "fma_peak_gflops", "dsyrk_gflops", "peak_resident_mb", "inputs_weights_activations_outputs_mb",
            "peak_over_needed", "generic_n", "generic_seconds", "factorized_seconds_same_n",
        ])
        #expect(report.figures.allSatisfy { $0.value > 0 && $0.value.isFinite })
        #expect(report["generic_n"] == 6)
        #expect(try jsonKeys(report.json).count == 15)
        #expect(report.table.hasPrefix("Empirical NTK, per-head kernels: N = 24, d = 8, hidden [16, 12], relu, C = 2, "))
    }

    @Test("rounded keeps 4 significant digits")
    func rounding() {
        #expect(rounded(123.456) == 123.5)
        #expect(rounded(0.000123456) == 0.0001235)
        #expect(rounded(0) == 0)
        #expect(rounded(.infinity) == .infinity)
    }
}
