import Foundation
import TangentCore

/// `tangent bench gram`: the Gram product G = A·Aᵀ (A: n × p) through Tangent's C kernel and its default path,
/// against OpenBLAS SYRK and the machine's measured FMA peak, all in the same run.
///
/// Flops are counted as n(n+1)p: each of the n(n+1)/2 distinct entries costs p multiply-adds.
public struct GramBenchmark: Sendable {
    public var n = 2048
    public var p = 20000
    public var repeats = 3
    public var peakSeconds = 1.0

    public init(n: Int = 2048, p: Int = 20000, repeats: Int = 3, peakSeconds: Double = 1.0) {
        self.n = n
        self.p = p
        self.repeats = repeats
        self.peakSeconds = peakSeconds
    }

    public struct PrecisionFigures: Codable, Sendable {
        public var precision: String
        /// Tangent's blocked OpenMP + SIMD C kernel.
        public var kernel_gflops: Double
        /// OpenBLAS SYRK alone (upper triangle only).
        public var syrk_gflops: Double
        /// `Matrix.gram()`, Tangent's default Gram path: SYRK then the C mirror kernel (full symmetric result).
        public var gram_path_gflops: Double
        public var kernel_over_syrk: Double
        public var gram_path_over_syrk: Double
        public var kernel_over_peak: Double
        public var syrk_over_peak: Double
        /// max |G_kernel − G_syrk| / max |G_syrk|: the two algorithms agree.
        public var kernel_vs_syrk_relative_difference: Double
    }

    public struct Report: Codable, Sendable {
        public var benchmark = "gram"
        public var n: Int
        public var p: Int
        public var threads: Int
        public var avx512: Bool
        public var fma_peak_gflops: Double
        public var float64: PrecisionFigures
        public var float32: PrecisionFigures

        /// The figures as one JSON object (sorted keys).
        public func json() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }

        /// The figures as a table, with the ratios to OpenBLAS SYRK and to the FMA peak.
        public var table: String {
            func row(_ precision: String, _ method: String, _ gflops: Double, _ overSyrk: Double, _ overPeak: Double) -> String {
                precision.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                    + method.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(format: "%9.1f %9.2f %9.0f%%", gflops, overSyrk, overPeak * 100)
            }
            var lines = [
                "Gram G = A·Aᵀ, A: \(n) × \(p), \(threads) threads, AVX-512: \(avx512 ? "yes" : "no")",
                String(format: "measured FMA peak (float64): %.1f GFLOP/s", fma_peak_gflops),
                "",
                "precision  method                           GFLOP/s   vs syrk   vs peak",
            ]
            for f in [float64, float32] {
                let syrk = f.precision == "float64" ? "OpenBLAS dsyrk" : "OpenBLAS ssyrk"
                lines.append(row(f.precision, syrk, f.syrk_gflops, 1, f.syrk_over_peak))
                lines.append(row(f.precision, "Matrix.gram (syrk + mirror)", f.gram_path_gflops, f.gram_path_over_syrk,
                                 f.gram_path_gflops / fma_peak_gflops))
                lines.append(row(f.precision, "C kernel", f.kernel_gflops, f.kernel_over_syrk, f.kernel_over_peak))
                lines.append(String(format: "           C kernel vs syrk: max relative difference %.1e",
                                    f.kernel_vs_syrk_relative_difference))
            }
            lines.append("")
            lines.append("Ratios to peak use the float64 FMA peak (float32 SIMD peak is twice that).")
            return lines.joined(separator: "\n")
        }
    }

    /// Measures the FMA peak, then both precisions; `log` receives progress lines.
    public func run(log: (String) -> Void) throws -> Report {
        log("measuring FMA peak (\(Threads.kernelThreads) threads)…")
        let peak = Machine.measuredFMAPeakGFLOPS(seconds: peakSeconds)
        let f64 = try measure(Double.self, peak: peak, log: log)
        let f32 = try measure(Float.self, peak: peak, log: log)
        return Report(n: n, p: p, threads: Threads.kernelThreads, avx512: Threads.hasAVX512,
                      fma_peak_gflops: rounded(peak), float64: f64, float32: f32)
    }

    private func measure<S: TangentScalar>(_: S.Type, peak: Double, log: (String) -> Void) throws -> PrecisionFigures {
        var rng = Xoshiro256StarStar(seed: 7)
        let a = try Matrix<S>(rows: n, columns: p, elements: rng.uniforms(n * p, low: -1, high: 1))
        let flops = Double(n) * Double(n + 1) * Double(p)
        func gflops(_ seconds: Double) -> Double { flops / seconds * 1e-9 }

        log("\(S.precisionName): C kernel, OpenBLAS syrk and Matrix.gram(), \(repeats) interleaved rounds…")
        var gKernel = Matrix<S>(rows: 0, columns: 0)
        var gPath = Matrix<S>(rows: 0, columns: 0)
        var upper = [S](repeating: 0, count: n * n)
        let times = interleavedBestTimes(repeats: repeats, [
            { gKernel = a.gram(method: .kernel) },
            { S._syrkUpper(n: n, k: p, alpha: 1, a: a.elements, lda: p, c: &upper, ldc: n) },
            { gPath = a.gram() },
        ])
        let (tKernel, tSyrk, tPath) = (times[0], times[1], times[2])

        let (k, s, g) = (gflops(tKernel), gflops(tSyrk), gflops(tPath))
        return PrecisionFigures(
            precision: S.precisionName, kernel_gflops: rounded(k),
            syrk_gflops: rounded(s), gram_path_gflops: rounded(g), kernel_over_syrk: rounded(k / s),
            gram_path_over_syrk: rounded(g / s), kernel_over_peak: rounded(k / peak), syrk_over_peak: rounded(s / peak),
            kernel_vs_syrk_relative_difference: gKernel.relativeDifference(to: gPath))
    }
}
