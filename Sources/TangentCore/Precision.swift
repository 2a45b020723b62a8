/// Floating-point precision of a computation (the `precision:` of a pipeline run).
public enum Precision: String, Sendable, CaseIterable {
    case float64, float32

    /// Bytes per element.
    public var bytes: Int { self == .float64 ? 8 : 4 }
}
