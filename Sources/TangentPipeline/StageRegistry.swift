/// The explicit list of stages a `tangent` executable knows. Plugins build their own registry from the built-in
/// list plus their stages (see docs/plugins.md).
public struct StageRegistry: @unchecked Sendable {  // holds only metatypes, which are immutable
    public let stages: [any Stage.Type]

    /// Stages by name; two stages with the same name are a programming error.
    public init(_ stages: [any Stage.Type]) {
        var seen = Set<String>()
        for stage in stages {
            precondition(seen.insert(stage.name).inserted, "two stages are registered as `\(stage.name)`")
        }
        self.stages = stages.sorted { $0.name < $1.name }
    }

    public func stage(named name: String) -> (any Stage.Type)? { stages.first { $0.name == name } }

    public var names: [String] { stages.map { $0.name } }

    /// "did you mean `…`?" for a misspelled stage name, or nil when nothing is close.
    public func suggestion(forUnknown name: String) -> String? { TangentPipeline.suggestion(for: name, among: names) }
}
