import Foundation
import TangentCore

/// What a stage's `validate` works with: the run's settings, and where it records problems, warnings and the
/// memory it will need. Every problem points at the field's node in the pipeline file.
public struct StageCheck {
    public let stageID: String
    public let precision: Precision
    public let seed: Int
    /// Bytes of memory available to the run (MemAvailable, or the cgroup limit when lower).
    public let availableMemory: Int

    /// Problems and warnings so far.
    public private(set) var diagnostics: [Diagnostic] = []
    /// The memory the stage said it will allocate, with what for.
    public private(set) var memory: [(bytes: Double, what: String)] = []
    /// What to do when the memory does not fit (set by the stage with `needsMemory`).
    private(set) var memoryRemedy: String?

    /// The file location and dotted field of a parameter or input of this stage (nil: the stage itself).
    let locate: (FieldReference?) -> (location: SourceLocation?, field: String)

    init(stageID: String, precision: Precision, seed: Int, availableMemory: Int,
         locate: @escaping (FieldReference?) -> (location: SourceLocation?, field: String)) {
        self.stageID = stageID
        self.precision = precision
        self.seed = seed
        self.availableMemory = availableMemory
        self.locate = locate
    }

    /// True once any problem (not a warning) was recorded.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// A problem with a parameter or input: the stage cannot run as configured.
    public mutating func fail(_ field: some FieldReferencing, _ message: String, remedy: String? = nil) {
        record(.error, field.field, message, remedy)
    }

    /// A problem with the stage as a whole.
    public mutating func fail(_ message: String, remedy: String? = nil) { record(.error, nil, message, remedy) }

    /// Something the stage will adjust or that is likely a mistake; the run goes on.
    public mutating func warn(_ field: some FieldReferencing, _ message: String, remedy: String? = nil) {
        record(.warning, field.field, message, remedy)
    }

    /// Fails when `condition` is false.
    public mutating func require(_ condition: Bool, _ field: some FieldReferencing, _ message: @autoclosure () -> String,
                                 remedy: @autoclosure () -> String? = nil) {
        if !condition { fail(field, message(), remedy: remedy()) }
    }

    /// Declares that the stage will allocate about `bytes` for `what` (e.g. "kernels (10 × 2048² float64)").
    /// The engine refuses the stage when the total exceeds the available memory, showing the figures and `remedy`.
    /// Sizes are `Double` so that absurd configurations (a billion hidden units) cannot overflow.
    public mutating func needsMemory(_ bytes: Double, for what: String, remedy: String? = nil) {
        memory.append((bytes, what))
        if let remedy { memoryRemedy = remedy }
    }

    /// Total declared memory in bytes.
    public var memoryTotal: Double { memory.map(\.bytes).reduce(0, +) }

    mutating func record(_ severity: Diagnostic.Severity, _ field: FieldReference?, _ message: String, _ remedy: String?,
                         code: Diagnostic.Code = .invalidValue) {
        let (location, path) = locate(field)
        diagnostics.append(Diagnostic(code, message, at: location, field: path, suggestion: remedy, severity: severity))
    }

    /// The memory check the engine applies after `validate`.
    mutating func checkMemory() {
        let total = memoryTotal
        guard total > Double(availableMemory) else { return }
        let parts = memory.sorted { $0.bytes > $1.bytes }.prefix(3).map { "\($0.what) \(formatBytes($0.bytes))" }
        record(.error, nil,
               "needs about \(formatBytes(total)) of memory (\(parts.joined(separator: ", "))) but \(formatBytes(Double(availableMemory))) is available",
               memoryRemedy ?? "use fewer samples, smaller layers or precision: float32", code: .outOfMemory)
    }
}

/// "512 B", "3.1 MB", "24.4 GB", "1.2e+06 TB".
public func formatBytes(_ bytes: Double) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = bytes, unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    if unit == 0 { return "\(Int(value)) B" }
    return value < 1e4 ? String(format: "%.1f %@", value, units[unit]) : String(format: "%.2g %@", value, units[unit])
}
