import Foundation

extension Machine {
    /// Bytes of memory available for new allocations: `MemAvailable` of /proc/meminfo, lowered by the environment
    /// variable `TANGENT_MEMORY_LIMIT_MB` when it is set (to keep a run within a share of a machine, and in tests).
    /// PROVISIONAL: merged with the cgroup-aware version.
    public static var availableMemoryBytes: Int {
        var available = Int.max / 2
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                available = (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
            }
        }
        if let limit = ProcessInfo.processInfo.environment["TANGENT_MEMORY_LIMIT_MB"].flatMap(Double.init), limit > 0 {
            available = min(available, Int(min(limit * 1_048_576, Double(Int.max / 2))))
        }
        return available
    }
}
