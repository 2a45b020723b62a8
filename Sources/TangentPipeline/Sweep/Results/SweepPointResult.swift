import Foundation

/// One point of a sweep as the aggregation sees it: its run folder and the overrides that made it.
public struct SweepPointResult: Sendable {
    /// The point's folder name (`OUT/points/<name>`).
    public var name: String
    /// The swept keys in axis order, each with its value as YAML text: `("model.hidden", "[64]")`, `("seed", "3")`.
    public var overrides: [(key: String, value: String)]
    /// The point's run folder, `OUT/points/<name>`.
    public var folder: URL

    public init(name: String, overrides: [(key: String, value: String)], folder: URL) {
        self.name = name
        self.overrides = overrides
        self.folder = folder
    }

    /// The value text of the swept key `key` ("" when the point does not set it).
    func value(of key: String) -> String {
        overrides.last { $0.key == key }?.value ?? ""
    }
}
