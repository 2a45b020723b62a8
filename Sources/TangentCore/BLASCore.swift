import COpenBLAS
import Foundation

/// Which of OpenBLAS's kernel sets the process uses.
///
/// OpenBLAS chooses its kernels for the CPU when the library loads, from the CPU model. A release older than the
/// CPU does not know the model and falls back to its generic SSE3 kernels ("Prescott"): Debian 12's OpenBLAS 0.3.21
/// on an Emerald Rapids Xeon (family 6, model 207) runs dgemm at 21 GFLOP/s instead of 112 with its SkylakeX
/// kernels. `OPENBLAS_CORETYPE` overrides the choice, but only before the library loads, so the `tangent`
/// executable sets it and re-executes itself (see `TangentCLI.configureOpenBLAS`). The choice comes from the CPU's
/// feature flags, never from its model, so it can only name kernels the CPU can run.
public enum BLASCore {
    /// The kernel set OpenBLAS is using, as it names it ("SkylakeX", "Haswell", "Prescott", …).
    public static var name: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's names for the generic kernel sets it falls back to on a CPU it does not recognize.
    static let fallbackCores: Set<String> = [
        "prescott", "katmai", "coppermine", "northwood", "banias", "core2", "penryn", "dunnington", "atom", "unknown",
    ]

    /// True when `core` is a generic fallback rather than kernels tuned for a CPU family.
    public static func isFallback(_ core: String) -> Bool { fallbackCores.contains(core.lowercased()) }

    /// The fastest OpenBLAS kernel set whose instructions `flags` (the `flags` line of /proc/cpuinfo) all provide:
    /// "SkylakeX" needs AVX-512 F, CD, BW, DQ and VL; "Haswell" needs AVX2 and FMA; nil below that.
    public static func recommendedCoreType(cpuFlags flags: Set<String>) -> String? {
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// The CPU's feature flags from /proc/cpuinfo (empty where the file is missing).
    public static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }

    /// The `OPENBLAS_CORETYPE` value to set before OpenBLAS loads, or nil when none is needed: the variable is
    /// already set (the user's choice is kept), OpenBLAS recognized the CPU, or the CPU has no AVX2.
    public static func coreTypeOverride(environment: [String: String], loadedCore: String,
                                        cpuFlags: Set<String>) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, isFallback(loadedCore) else { return nil }
        return recommendedCoreType(cpuFlags: cpuFlags)
    }
}
