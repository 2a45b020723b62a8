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

    /// Runs `body` with OpenBLAS on one thread. OpenBLAS splits long inner dimensions (Aᵀ·B over many rows) and
    /// LAPACK's small factorizations differently per thread count; reductions that must give the same bits for
    /// any thread count (Monte-Carlo averages over samples) run here.
    public static func serialBLAS<T>(_ body: () throws -> T) rethrows -> T {
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(previous) }
        return try body()
    }

    /// Runs `body` with OpenBLAS on `threads` threads (inside `serialBLAS`, for products whose inner dimension is
    /// short and whose results do not depend on the thread count).
    public static func withBLASThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(Int32(max(1, threads)))
        defer { openblas_set_num_threads(previous) }
        return try body()
    }

    /// True when the CPU has AVX-512 (F, VL, DQ).
    public static var hasAVX512: Bool { tk_cpu_has_avx512() != 0 }

    /// True when the kernels use their AVX-512 variants: the CPU has them and they are not disabled.
    public static var usesAVX512: Bool { tk_use_avx512() != 0 }

    /// Enables or disables the AVX-512 kernel variants (for benchmarking both paths).
    public static func setAVX512Enabled(_ enabled: Bool) { tk_set_avx512_enabled(enabled ? 1 : 0) }
}
