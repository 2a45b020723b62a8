import TangentCore

/// A pipeline stage: a struct whose parameters (`@Param`) and input slots (`@Input`) are declared once, typed, in
/// the manner of swift-argument-parser's `ParsableArguments`, plus static metadata, a `validate` that runs before
/// anything computes and a `run`.
///
/// ```swift
/// public struct PowerLawSpectrum: Stage {
///     public static let name = "example.power_law"
///     public static let summary = "A power-law spectrum λ_k = scale·k^(−alpha)."
///     @Param("number of eigenvalues", minimum: 1) var size = 100
///     @Param("decay exponent", minimum: 0) var alpha = 1.5
///     public init() {}
///     public func run(_ context: StageContext) throws -> Table { … }
/// }
/// ```
///
/// The engine decodes the stage from the validated parameters and the upstream artifacts: in `validate(_:)` only
/// the inputs' shapes are known (`$data.shape`), in `run(_:)` the inputs themselves (`data`). Stages are listed
/// explicitly in a registry (`StageRegistry`); a plugin adds its own. Bump `version` whenever the stage's results
/// change for the same inputs and parameters: it is part of the cache key.
public protocol Stage: Decodable {
    /// The artifact type `run` returns (its `kind` is the stage's output kind).
    associatedtype Output: ArtifactValue

    /// The name used in pipeline files (`use: data.whiten`).
    static var name: String { get }
    static var version: Int { get }
    /// One line for `tangent stages`.
    static var summary: String { get }
    /// Longer documentation for `tangent describe` and docs/stages.md.
    static var doc: String { get }
    /// The files the stage writes into its folder, documented in `tangent describe` and docs/stages.md.
    static var outputs: [OutputFile] { get }

    /// A stage with every parameter at its default (used to derive the schema).
    init()

    /// Checks what the schema cannot: rules across parameters, parameters against the inputs' shapes, and the
    /// memory the stage will allocate (`check.needsMemory`). Records problems with `check.fail`/`check.warn` and
    /// returns the shape of the output, which downstream stages validate against. Runs for every stage before any
    /// stage computes (`tangent validate` and the start of `tangent run`).
    func validate(_ check: inout StageCheck) throws -> Output.Shape

    /// Computes the output; large arrays may be streamed into `context.output` as they are computed.
    func run(_ context: StageContext) throws -> Output
}

extension Stage {
    public static var version: Int { 1 }
    public static var doc: String { summary }
    public static var outputs: [OutputFile] { [] }
    /// The kind of artifact the stage produces.
    public static var outputKind: ArtifactKind { Output.kind }
    /// The parameter schema, derived from the `@Param` declarations.
    public static var parameters: [Parameter] { StageSchema.parameters(of: Self()) }
    /// The input slots, derived from the `@Input` declarations.
    public static var inputs: [InputSlot] { StageSchema.inputs(of: Self()) }

    /// Every parameter's value as it would be written in a pipeline file, by name (for summaries).
    public var parameterValues: [String: Value] { StageSchema.values(of: self) }
}

extension Stage where Output.Shape == TableShape {
    /// Stages producing tables need no shape; override to check parameters and memory.
    public func validate(_ check: inout StageCheck) throws -> TableShape { TableShape() }
}

/// A named input of a stage, as the schema shows it (derived from an `@Input` declaration).
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
