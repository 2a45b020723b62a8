import Foundation
import TangentCore
import TangentNTK

/// `tangent bench ntk`: per-head empirical NTKs of an MLP by the factorized algorithm, in float64 and float32,
/// against the measured FMA peak and OpenBLAS dsyrk in the same run, with the peak resident memory, and the generic
/// Jacobian path on a smaller N for comparison.
public struct NTKBenchmark: Sendable {
    public var network: ReferenceNetwork
    /// Timed runs per precision (the best is reported).
    public var repeats = 3
    /// Samples for the generic Jacobian path (it materializes N × parameters per head).
    public var genericN = 32

    public init(network: ReferenceNetwork = ReferenceNetwork(), repeats: Int = 3, genericN: Int = 32) {
        self.network = network
        self.repeats = repeats
        self.genericN = genericN
    }

    public struct Report: Sendable {
        public var network: ReferenceNetwork
        public var threads: Int
        /// The figures in report order: `gflop`, `float64_seconds`, `float64_gflops`, `float64_over_peak`, … .
        public var figures: [(name: String, value: Double)]

        /// The figure called `name` (nil when there is none).
        public subscript(name: String) -> Double? { figures.first { $0.name == name }?.value }

        /// The figures as one JSON object, in report order, rounded to 4 significant digits.
        public var json: String {
            "{" + figures.map { "\"\($0.name)\":\(rounded($0.value))" }.joined(separator: ",") + "}"
        }

        /// The figures as text, with the ratios to the FMA peak, to dsyrk and to the memory needed.
        public var table: String {
            func f(_ key: String) -> Double { self[key]! }
            let (n, d, widths, outputs) = (network.n, network.d, network.widths, network.outputs)
            let (time64, time32, fmaPeak, syrk) = (f("float64_seconds"), f("float32_seconds"), f("fma_peak_gflops"), f("dsyrk_gflops"))
            let (genericN, genericSeconds, factorizedSeconds) = (Int(f("generic_n")), f("generic_seconds"), f("factorized_seconds_same_n"))
            return """
            Empirical NTK, per-head kernels: N = \(n), d = \(d), hidden \(widths), relu, C = \(outputs), \(threads) threads
              kernels   OpenBLAS \(BLASCore.name), fused Gram + Hadamard \(Threads.usesAVX512 ? "AVX-512" : "AVX2")
              work of the factorized algorithm   \(String(format: "%.1f", f("gflop"))) GFLOP
              float64   \(String(format: "%7.3f", time64)) s   \(String(format: "%6.1f", f("float64_gflops"))) GFLOP/s   \(String(format: "%.0f%%", 100 * f("float64_over_peak"))) of FMA peak (\(String(format: "%.1f", fmaPeak)) GFLOP/s), \(String(format: "%.2f", f("float64_over_dsyrk")))× dsyrk (\(String(format: "%.1f", syrk)) GFLOP/s)
              float32   \(String(format: "%7.3f", time32)) s   \(String(format: "%6.1f", f("float32_gflops"))) GFLOP/s   \(String(format: "%.2f", time64 / time32))× float64 (goal ≥ 1.8)
              peak resident memory  \(String(format: "%.0f", f("peak_resident_mb"))) MB = \(String(format: "%.2f", f("peak_over_needed")))× the \(String(format: "%.0f", f("inputs_weights_activations_outputs_mb"))) MB of inputs + weights + activations (forward and backward) + outputs (goal ≤ 1.3)
              generic Jacobian path, N = \(genericN): \(String(format: "%.3f", genericSeconds)) s vs factorized \(String(format: "%.4f", factorizedSeconds)) s (\(String(format: "%.0f", genericSeconds / factorizedSeconds))×)
            """
        }
    }

    /// Runs the measurements; `log` receives progress lines.
    public func run(log: (String) -> Void) throws -> Report {
        var (model, x, rng) = try network.make(seed: 3)
        let arch = model.architecture, widths = network.widths
        let (n, d) = (network.n, network.d)

        // float64 first, so that the process's peak resident memory is this computation's.
        log("float64 kernels (\(repeats) runs, best time; memory from the first)…")
        var t0 = Machine.wallSeconds()
        var k64: EmpiricalNTK<Double>? = try empiricalNTK(model, inputs: x, as: Double.self)
        var time64 = Machine.wallSeconds() - t0
        let peak = Machine.peakResidentBytes
        k64 = nil
        for _ in 1..<max(repeats, 1) {
            t0 = Machine.wallSeconds()
            _ = try empiricalNTK(model, inputs: x, as: Double.self)
            time64 = min(time64, Machine.wallSeconds() - t0)
        }
        let memory = NTKMemory(n: n, nTest: 0, architecture: arch, bytesPerElement: 8, options: NTKOptions())
        // Activations: the forward pass (x_l and φ'(h_l)) and one head's backward signals δ_l.
        let forwardBytes = n * (d + 3 * widths.reduce(0, +)) * 8
        let modelBytes = (x.count + arch.parameterCount) * 8 + forwardBytes + memory.outputBytes
        _ = k64
        log("float32 kernels…")
        var time32 = Double.infinity
        for _ in 0..<max(repeats, 1) {
            t0 = Machine.wallSeconds()
            _ = try empiricalNTK(model, inputs: x, as: Float.self)
            time32 = min(time32, Machine.wallSeconds() - t0)
        }

        log("references: FMA peak and dsyrk…")
        let fmaPeak = Machine.measuredFMAPeakGFLOPS(seconds: 1)
        let sample = Matrix<Double>.randomNormal(rows: n, columns: widths[0], using: &rng)
        let syrkTime = interleavedBestTimes(repeats: 3, [{ _ = sample.gram() }])[0]
        let syrk = Double(n) * Double(n + 1) * Double(widths[0]) / syrkTime * 1e-9

        log("generic Jacobian path on N = \(genericN)…")
        let xs = x.rows(0..<min(genericN, n))
        let times = interleavedBestTimes(repeats: 1, [
            { _ = try! jacobianNTK(model, inputs: xs) },
            { _ = try! empiricalNTK(model, inputs: xs, as: Double.self) },
        ])

        let flops = Self.factorizedFlops(arch, n: n)
        let figures: [(name: String, value: Double)] = [
            ("gflop", flops * 1e-9), ("float64_seconds", time64), ("float64_gflops", flops / time64 * 1e-9),
            ("float64_over_peak", flops / time64 * 1e-9 / fmaPeak), ("float64_over_dsyrk", flops / time64 * 1e-9 / syrk),
            ("float32_seconds", time32), ("float32_gflops", flops / time32 * 1e-9), ("fma_peak_gflops", fmaPeak),
            ("dsyrk_gflops", syrk), ("peak_resident_mb", Double(peak) / 1_048_576),
            ("inputs_weights_activations_outputs_mb", Double(modelBytes) / 1_048_576),
            ("peak_over_needed", Double(peak) / Double(modelBytes)),
            ("generic_n", Double(xs.rows)), ("generic_seconds", times[0]), ("factorized_seconds_same_n", times[1]),
        ]
        return Report(network: network, threads: Threads.kernelThreads, figures: figures)
    }

    /// Flops of the factorized algorithm: forward GEMMs, the layer-factor Grams, and per head the backward-signal
    /// GEMMs, the signal Grams and the Hadamard accumulations (SYRK counted as N(N+1)·k).
    public static func factorizedFlops(_ arch: MLPArchitecture, n: Int) -> Double {
        let w = arch.widths.map(Double.init), nn = Double(n), l1 = arch.layerCount
        var flops = 0.0
        for l in 0..<(l1 - 1) { flops += 2 * nn * w[l] * w[l + 1] }        // forward (hidden layers)
        for l in 0..<l1 { flops += nn * (nn + 1) * w[l] }                    // A_l = X_l·X_lᵀ
        var perHead = 0.0
        for l in 1..<max(l1 - 1, 1) { perHead += 2 * nn * w[l + 1] * w[l] }   // δ_{l−1} = δ_l·W_l
        for l in 0..<(l1 - 1) { perHead += nn * (nn + 1) * w[l + 1] + 2 * nn * nn }  // δ-Gram + Hadamard accumulate
        return flops + Double(arch.outputs) * perHead
    }
}
