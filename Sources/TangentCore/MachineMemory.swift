import Foundation

extension Machine {
    /// Bytes of memory available for new allocations: `MemAvailable` of /proc/meminfo (provisional; replaced by the
    /// cgroup-aware version).
    public static var availableMemoryBytes: Int {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return Int.max / 2 }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kb * 1024
        }
        return Int.max / 2
    }
}
