import TangentCore

/// A named input of a stage, fed by one or more upstream stages through the pipeline file's `from:` map.
public struct InputSlot: Sendable {
    public var name: String
    public var kind: ArtifactKind
    public var required: Bool
    /// True when the slot takes a list of upstream stages.
    public var many: Bool
    public var doc: String

    public init(_ name: String, kind: ArtifactKind, required: Bool = true, many: Bool = false, doc: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.many = many
        self.doc = doc
    }
}

/// A file a stage writes into its folder, documented in `tangent describe` and docs/stages.md.
public struct OutputFile: Sendable {
    public var name: String
    public var doc: String
    public init(_ name: String, doc: String) {
        self.name = name
        self.doc = doc
    }
}

/// A pipeline stage: static metadata (name, version, docs, input slots, parameter schema, outputs) and a `run`.
///
/// Stages are plain types listed explicitly in a registry (see `StageRegistry`); a plugin adds its own types to
/// the list. Bump `version` whenever the stage's results change for the same inputs and parameters: the version
/// is part of the cache key.
public protocol Stage {
    /// The name used in pipeline files (`use: data.whiten`).
    static var name: String { get }
    static var version: Int { get }
    /// One line for `tangent stages`.
    static var summary: String { get }
    /// Longer documentation for `tangent describe` and docs/stages.md.
    static var doc: String { get }
    static var inputs: [InputSlot] { get }
    static var parameters: [Parameter] { get }
    /// The kind of artifact `run` returns.
    static var outputKind: ArtifactKind { get }
    static var outputs: [OutputFile] { get }

    /// Computes the stage's artifact from its upstream artifacts and validated parameters.
    static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact
}

extension Stage {
    public static var version: Int { 1 }
    public static var doc: String { summary }
    public static var inputs: [InputSlot] { [] }
    public static var parameters: [Parameter] { [] }
    public static var outputs: [OutputFile] { [] }
}

/// The artifacts feeding a stage, by input slot.
public struct StageInputs: Sendable {
    public let artifacts: [String: [Artifact]]
    public let stageID: String

    public init(_ artifacts: [String: [Artifact]], stageID: String = "stage") {
        self.artifacts = artifacts
        self.stageID = stageID
    }

    /// The single artifact of a required slot.
    public func one(_ slot: String) throws -> Artifact {
        guard let artifact = artifacts[slot]?.first else {
            throw PipelineError(.artifact, "stage `\(stageID)` has no input in slot `\(slot)`")
        }
        return artifact
    }

    /// The artifact of an optional slot, if connected.
    public func optional(_ slot: String) -> Artifact? { artifacts[slot]?.first }

    /// All artifacts of a `many` slot, in the order listed in the pipeline file.
    public func many(_ slot: String) -> [Artifact] { artifacts[slot] ?? [] }
}
