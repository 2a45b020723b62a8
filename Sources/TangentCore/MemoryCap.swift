/// The most bytes one read may allocate for decompressed or decoded data, and how messages speak of it.
///
/// The public readers take `maximumSize: Int?`: nil means the memory available at the time of the call
/// (`Machine.availableMemoryBytes`), a number is a limit the caller chose. Exceeding the cap is `NPYError`
/// `.tooLarge`, raised before the large allocation happens.
struct MemoryCap {
    /// The cap in bytes.
    let bytes: Int
    /// True when the cap is the memory available (no explicit limit was given).
    let isAvailableMemory: Bool

    init(_ maximumSize: Int?) {
        if let maximumSize {
            bytes = max(0, maximumSize)
            isAvailableMemory = false
        } else {
            bytes = Machine.availableMemoryBytes
            isAvailableMemory = true
        }
    }

    func allows(_ count: Int) -> Bool { count <= bytes }
    func allows(_ count: UInt64) -> Bool { count <= UInt64(bytes) }

    /// `.tooLarge`: "`what`, more than the 2.1 GB of memory available; <remedy>". `what` states the size, e.g.
    /// "member 'k.npy' decompresses to 4.3 GB".
    func error(_ what: String, source: String, fileID: String = #fileID, line: Int = #line) -> NPYError {
        let limit = isAvailableMemory
            ? "the \(ByteCount.text(bytes)) of memory available"
            : "the limit of \(ByteCount.text(bytes)) given (maximumSize)"
        let remedy = isAvailableMemory
            ? "free memory or use a machine with more, or read the data in parts (MappedNPY, NPZ.mappedMember); "
                + "if the data should not be this large, the file may be a decompression bomb or corrupt."
            : "raise maximumSize if the data is trusted; if it should not be this large, the file may be a "
                + "decompression bomb or corrupt."
        return NPYError(.tooLarge, "\(what), more than \(limit); \(remedy)", source: source, fileID: fileID, line: line)
    }
}

/// Byte counts for messages.
enum ByteCount {
    /// `"512 bytes"`, `"4.3 GB"` (decimal units, one decimal), with the exact count for 1 KB and more:
    /// `"4.3 GB (4294967296 bytes)"` when `exact` is true.
    static func text(_ count: Int, exact: Bool = false) -> String {
        let units = ["KB", "MB", "GB", "TB", "PB", "EB"]
        guard count >= 1000 else { return count == 1 ? "1 byte" : "\(count) bytes" }
        var value = Double(count) / 1000
        var unit = 0
        while value >= 999.95, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        let rounded = (value * 10).rounded() / 10
        let number = rounded == rounded.rounded() ? String(Int(rounded)) + ".0" : String(rounded)
        return "\(number) \(units[unit])" + (exact ? " (\(count) bytes)" : "")
    }

    static func text(_ count: UInt64, exact: Bool = false) -> String { text(Int(clamping: count), exact: exact) }
}
