import Foundation
import Testing
import TangentCore

@Suite("BLASCore: OpenBLAS's kernel set when it does not know the CPU")
struct BLASCoreTests {
    static let skylakeX: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq",
                                        "avx512vl"]

    @Test("the kernels follow the CPU's flags: AVX-512 (F CD BW DQ VL) → SkylakeX, AVX2 + FMA → Haswell, else none")
    func recommendation() {
        #expect(BLASCore.recommendedCoreType(cpuFlags: Self.skylakeX) == "SkylakeX")
        #expect(BLASCore.recommendedCoreType(cpuFlags: Self.skylakeX.subtracting(["avx512bw"])) == "Haswell")
        #expect(BLASCore.recommendedCoreType(cpuFlags: ["sse4_2", "avx", "avx2", "fma"]) == "Haswell")
        #expect(BLASCore.recommendedCoreType(cpuFlags: ["sse4_2", "avx", "avx2"]) == nil)
        #expect(BLASCore.recommendedCoreType(cpuFlags: []) == nil)
    }

    @Test("an override only replaces a generic fallback, and never a value the user set")
    func override() {
        #expect(BLASCore.coreTypeOverride(environment: [:], loadedCore: "Prescott", cpuFlags: Self.skylakeX) == "SkylakeX")
        #expect(BLASCore.coreTypeOverride(environment: [:], loadedCore: "Core2", cpuFlags: ["avx2", "fma"]) == "Haswell")
        #expect(BLASCore.coreTypeOverride(environment: [:], loadedCore: "SkylakeX", cpuFlags: Self.skylakeX) == nil)
        #expect(BLASCore.coreTypeOverride(environment: [:], loadedCore: "Zen", cpuFlags: ["avx2", "fma"]) == nil)
        #expect(BLASCore.coreTypeOverride(environment: ["OPENBLAS_CORETYPE": "Prescott"], loadedCore: "Prescott",
                                          cpuFlags: Self.skylakeX) == nil)
        #expect(BLASCore.coreTypeOverride(environment: [:], loadedCore: "Prescott", cpuFlags: ["sse3"]) == nil)
    }

    @Test("the flags are read from a cpuinfo file's flags line; a missing file gives none")
    func cpuinfo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blascore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("cpuinfo")
        try "processor\t: 0\nmodel\t\t: 207\nflags\t\t: fpu avx2 fma avx512f\nbogomips\t: 4600.00\n"
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(BLASCore.cpuFlags(cpuinfo: file.path) == ["fpu", "avx2", "fma", "avx512f"])
        #expect(BLASCore.cpuFlags(cpuinfo: dir.appendingPathComponent("none").path).isEmpty)
    }

    @Test("this process's kernel set is named, and this machine's flags would run the recommended one")
    func loaded() {
        #expect(!BLASCore.name.isEmpty)
        let flags = BLASCore.cpuFlags()
        if BLASCore.recommendedCoreType(cpuFlags: flags) == "SkylakeX" { #expect(Threads.hasAVX512) }
    }
}
