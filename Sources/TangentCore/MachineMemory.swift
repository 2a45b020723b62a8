import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Machine {
    /// The bytes of memory this process can still allocate without swapping or being killed, read fresh on
    /// every call (a few small files, about 50 µs).
    ///
    /// The kernel's `MemAvailable` (`/proc/meminfo`), lowered to the headroom of the process's memory cgroup
    /// when a limit is set at any level of its hierarchy: cgroup v2 `memory.max − memory.current`, cgroup v1
    /// `memory.limit_in_bytes − memory.usage_in_bytes`, where the cgroup's inactive page cache (`inactive_file`
    /// in `memory.stat`) counts as free because the kernel reclaims it before failing an allocation. Where
    /// `/proc/meminfo` cannot be read (macOS), the physical memory size. The environment variable
    /// `TANGENT_MEMORY_LIMIT_MB` (mebibytes), when set to a positive number, lowers it further: to keep a run
    /// within a share of a machine, and in tests.
    ///
    /// This is the default cap of the decompressing and whole-file readers (`Gzip.decompress`, `NPZ.read`,
    /// `NPY.read`, ...), which refuse data larger than it with `NPYError` `.tooLarge`.
    public static var availableMemoryBytes: Int {
        let system = MemoryInfo.readText("/proc/meminfo").flatMap(MemoryInfo.memAvailable(meminfo:))
            ?? Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let cgroup = MemoryInfo.readText("/proc/self/cgroup").flatMap { MemoryInfo.cgroupHeadroom(procSelfCgroup: $0) }
        let setting = MemoryInfo.limit(environment: ProcessInfo.processInfo.environment["TANGENT_MEMORY_LIMIT_MB"])
        return min(system, cgroup ?? .max, setting ?? .max)
    }

    /// The resident set size of this process now (not the peak), in bytes, from `/proc/self/statm`;
    /// 0 where that file does not exist.
    public static var residentBytes: Int {
        guard let text = MemoryInfo.readText("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Parsing of the kernel's memory accounting files (separate from reading them, for tests).
enum MemoryInfo {
    /// The bytes of a `TANGENT_MEMORY_LIMIT_MB` setting (mebibytes, fractions allowed); nil when unset, not a
    /// number, or not positive.
    static func limit(environment value: String?) -> Int? {
        guard let value, let megabytes = Double(value.trimmingCharacters(in: .whitespaces)), megabytes > 0,
              megabytes.isFinite else { return nil }
        return Int(min(megabytes * 1_048_576, Double(Int.max / 2)))
    }

    /// `MemAvailable` in bytes from the text of `/proc/meminfo` (`"MemAvailable:   23730752 kB"`).
    static func memAvailable(meminfo: String) -> Int? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let value = Int(fields[1]) else { return nil }
            let unit = fields.count >= 3 ? fields[2].lowercased() : ""
            return unit == "kb" ? value.multipliedReportingOverflow(by: 1024).partialValue : value
        }
        return nil
    }

    /// The cgroup paths of this process from the text of `/proc/self/cgroup`: the v2 path (`0::/path`) and the
    /// v1 memory controller's path (`4:memory:/path`), each if present.
    static func cgroupPaths(procSelfCgroup text: String) -> (v2: String?, v1Memory: String?) {
        var v2: String?, v1: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty { v2 = String(parts[2]) }
            if parts[1].split(separator: ",").contains("memory") { v1 = String(parts[2]) }
        }
        return (v2, v1)
    }

    /// The smallest headroom (limit minus non-reclaimable usage) over the cgroup of this process and its
    /// ancestors, or nil when no level sets a limit. `root` is where cgroup file systems are mounted.
    static func cgroupHeadroom(procSelfCgroup text: String, root: String = "/sys/fs/cgroup") -> Int? {
        let (v2, v1) = cgroupPaths(procSelfCgroup: text)
        var best: Int?
        func consider(_ value: Int?) { if let value { best = min(best ?? .max, value) } }
        if let v1 {
            for directory in levels(mount: root + "/memory", path: v1) {
                consider(headroom(limit: readText(directory + "/memory.limit_in_bytes"),
                                  usage: readText(directory + "/memory.usage_in_bytes"),
                                  stat: readText(directory + "/memory.stat"), inactiveKey: "total_inactive_file"))
            }
        }
        if let v2 {
            for mount in [root, root + "/unified"] {
                for directory in levels(mount: mount, path: v2) {
                    consider(headroom(limit: readText(directory + "/memory.max"),
                                      usage: readText(directory + "/memory.current"),
                                      stat: readText(directory + "/memory.stat"), inactiveKey: "inactive_file"))
                }
            }
        }
        return best
    }

    /// `limit − (usage − inactive page cache)` from the texts of a cgroup's files; nil without a limit
    /// (`max`, or v1's "unlimited" 2^63 − 4096), or when the files are missing.
    static func headroom(limit: String?, usage: String?, stat: String?, inactiveKey: String) -> Int? {
        guard let limitText = limit?.trimmingCharacters(in: .whitespacesAndNewlines),
              let limitValue = UInt64(limitText), limitValue < UInt64(Int.max / 2) else { return nil }
        let used = usage.flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        var inactive: UInt64 = 0
        for line in (stat ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == inactiveKey, let value = UInt64(fields[1]) { inactive = value }
        }
        let working = used > inactive ? used - inactive : 0
        return limitValue > working ? Int(limitValue - working) : 0
    }

    /// The cgroup directory of `path` under `mount` and those of its ancestors up to the mount itself, when
    /// the process's own directory exists there (inside a cgroup namespace the path may not resolve, and then
    /// only the mount's root, which is the namespace's own cgroup, is used).
    private static func levels(mount: String, path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: mount, isDirectory: &isDirectory), isDirectory.boolValue else {
            return []
        }
        var components = path.split(separator: "/").map(String.init)
        guard FileManager.default.fileExists(atPath: mount + "/" + components.joined(separator: "/")) else {
            return [mount]
        }
        var result: [String] = []
        while true {
            result.append(components.isEmpty ? mount : mount + "/" + components.joined(separator: "/"))
            if components.isEmpty { break }
            components.removeLast()
        }
        return result
    }

    /// The contents of a small text file such as those under `/proc` and `/sys` (which report size 0, so they
    /// are read until end of file); nil if it cannot be read.
    static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { buffer in read(fd, buffer.baseAddress, buffer.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
