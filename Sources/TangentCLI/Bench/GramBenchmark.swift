import TangentCore

/// `tangent bench gram`: the Gram product G = A·Aᵀ (A: n × p) through Tangent's C kernel and its default path,
/// against OpenBLAS SYRK and the machine's measured FMA peak, all in the same run.
///
/// Flops are counted as n(n+1)p: each of the n(n+1)/2 distinct entries costs p multiply-adds.
struct GramBenchmark {
    var n = 2048
    var p = 20000
    var repeats = 3
    var peakSeconds = 1.0

    struct PrecisionFigures: Codable {
        var precision: String
        /// Tangent's blocked OpenMP + SIMD C kernel.
        var kernel_gflops: Double
        /// OpenBLAS SYRK alone (upper triangle only).
        var syrk_gflops: Double
        /// `Matrix.gram()`, Tangent's default Gram path: SYRK then the C mirror kernel (full symmetric result).
        var gram_path_gflops: Double
        var kernel_over_syrk: Double
        var gram_path_over_syrk: Double
        var kernel_over_peak: Double
        var syrk_over_peak: Double
        /// max |G_kernel − G_syrk| / max |G_syrk|: the two algorithms agree.
        var kernel_vs_syrk_relative_difference: Double
    }

    struct Report: Codable {
        var benchmark = "gram"
        var n: Int
        var p: Int
        var threads: Int
        var avx512: Bool
        var fma_peak_gflops: Double
        var float64: PrecisionFigures
        var float32: PrecisionFigures
    }

    func run(log: (String) -> Void) throws -> Report {
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
