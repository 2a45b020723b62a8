internal import CKernels
import COpenBLAS

/// The thread budget of the numerics layer: OpenMP threads for the C kernels and OpenBLAS threads for BLAS and
/// LAPACK calls. The two never run nested (no BLAS call happens inside an OpenMP region).
public enum Threads {
    /// Threads used by the C kernels.
    public static var kernelThreads: Int { Int(tk_max_threads()) }
    /// Threads used by OpenBLAS.
    public static var blasThreads: Int { Int(openblas_get_num_threads()) }

    /// Sets both budgets (values < 1 are ignored).
    public static func setBudget(_ threads: Int) {
        guard threads >= 1 else { return }
        tk_set_max_threads(Int32(threads))
        openblas_set_num_threads(Int32(threads))
    }

    /// True when the CPU has AVX-512 and the kernels use their AVX-512 variants.
    public static var hasAVX512: Bool { tk_cpu_has_avx512() != 0 }

    /// Enables or disables the AVX-512 kernel variants (for benchmarking both paths).
    public static func setAVX512Enabled(_ enabled: Bool) { tk_set_avx512_enabled(enabled ? 1 : 0) }
}

/// Machine measurements used as same-run references by benchmarks, and process-wide settings.
public enum Machine {
    /// Keeps freed large blocks in the process for reuse (glibc `mallopt`): blocks up to 32 MiB come from the heap
    /// instead of fresh `mmap`s, and the heap is not trimmed below 2 GiB. Numerical loops that allocate and free
    /// the same large matrices every step otherwise pay a page fault per 4 KiB each time (about 12 ms per 16 MB
    /// here, 25% of a training step). Called once by the `tangent` command line.
    public static func retainFreedMemory() {
        tk_retain_freed_memory()
    }

    /// Measured double-precision FMA peak in GFLOP/s using all kernel threads (about `seconds` seconds).
    public static func measuredFMAPeakGFLOPS(seconds: Double = 1.0) -> Double { tk_fma_peak_gflops_f64(seconds) }

    /// The peak resident memory of this process so far, in bytes.
    public static var peakResidentBytes: Int { Int(tk_peak_resident_bytes()) }

    /// Monotonic wall-clock seconds.
    public static func wallSeconds() -> Double { tk_wall_seconds() }
}
