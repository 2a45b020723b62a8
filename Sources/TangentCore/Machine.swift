internal import CKernels
#if canImport(Glibc)
import Glibc
internal import CLinux
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Machine measurements used as same-run references by benchmarks, and process-wide settings.
///
/// The process utilities are plain Swift over the C library (`mallopt` from glibc's `<malloc.h>` through the
/// header-only `CLinux` module, `/proc/self/status` or `getrusage`, `clock_gettime`); only the FMA-peak probe, a
/// compute kernel, is in the C layer.
public enum Machine {
    /// Keeps freed large blocks in the process for reuse (glibc `mallopt`): blocks up to 32 MiB come from the heap
    /// instead of fresh `mmap`s (`M_MMAP_THRESHOLD` = 32 MiB), the heap is trimmed only when more than 2 GiB at its
    /// top are free (`M_TRIM_THRESHOLD` = 2³¹ − 1), and it grows by an extra 256 MiB at a time (`M_TOP_PAD`).
    /// Numerical loops that allocate and free the same large matrices every step otherwise pay a page fault per
    /// 4 KiB each time (about 12 ms per 16 MB here, 25% of a training step). Called once by the `tangent` command
    /// line. Does nothing on a C library without `mallopt`.
    ///
    /// - Returns: true when the C library accepted all three settings.
    /// Asks the kernel to send this process SIGTERM when its parent process exits, and returns whether the parent
    /// is still `parent` (false: it already exited, so the signal will never come). Linux only; elsewhere true.
    public static func terminateWithParent(_ parent: Int32) -> Bool {
        #if os(Linux)
        _ = tangent_terminate_with_parent()
        return getppid() == parent
        #else
        return true
        #endif
    }

    @discardableResult
    public static func retainFreedMemory() -> Bool {
        #if canImport(Glibc)
        let accepted = [
            mallopt(M_MMAP_THRESHOLD, 32 << 20),
            mallopt(M_TRIM_THRESHOLD, 0x7fff_ffff),
            mallopt(M_TOP_PAD, 256 << 20),
        ]
        return accepted.allSatisfy { $0 == 1 }
        #else
        return false
        #endif
    }

    /// Measured double-precision FMA peak in GFLOP/s using all kernel threads (about `seconds` seconds).
    public static func measuredFMAPeakGFLOPS(seconds: Double = 1.0) -> Double { tk_fma_peak_gflops_f64(seconds) }

    /// The peak resident memory of this process so far, in bytes, or -1 when the system does not report it.
    ///
    /// On Linux this is `VmHWM` of `/proc/self/status`, the high-water mark of the running program's memory. It is
    /// read there rather than from `getrusage`'s `ru_maxrss` because the latter also covers the image that `exec`
    /// replaced: a program started by a fork of a larger process (a test runner, a Python driver) would report that
    /// parent's resident memory (125 MB instead of 34 MB measured under `swift test`). Elsewhere, or when `/proc`
    /// is not mounted, `ru_maxrss` is used.
    public static var peakResidentBytes: Int {
        #if os(Linux)
        if let kib = procStatusKiB("VmHWM") { return kib * 1024 }
        #endif
        var usage = rusage()
        #if canImport(Glibc)
        let who = __rusage_who_t(RUSAGE_SELF.rawValue)
        #else
        let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return -1 }
        #if canImport(Darwin)
        return Int(usage.ru_maxrss)  // bytes
        #else
        return Int(usage.ru_maxrss) * 1024  // KiB
        #endif
    }

    /// The value of a `Name:   123 kB` line of /proc/self/status, in KiB.
    static func procStatusKiB(_ name: String) -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        let prefix = name + ":"
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix(prefix) else { continue }
            return Int(text.dropFirst(prefix.count).drop { $0 == " " || $0 == "\t" }.prefix { $0.isNumber })
        }
        return nil
    }

    /// Monotonic wall-clock seconds (`clock_gettime(CLOCK_MONOTONIC)`): for intervals, not dates.
    public static func wallSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
