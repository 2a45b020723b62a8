import TangentCore
/// Declares an input slot of a stage: the artifact type it takes (which fixes the slot's kind) and a doc line.
/// The slot's name is the property's name in snake_case.
///
/// ```swift
/// @Input("the dataset whose inputs are transformed") var data: DatasetArtifact        // required
/// @Input("the training run, for f₀") var trajectory: TrajectoryArtifact?               // optional
/// @Input("datasets to add up") var parts: [DatasetArtifact]                             // one or more
/// ```
///
/// In `validate`, only the upstream shape is known: `$data.shape`. In `run`, `data` is the artifact read back from
/// the upstream stage's folder (large arrays memory-mapped, not loaded).
@propertyWrapper
public struct Input<T: InputValue> {
    let doc: String
    let name: String?
    private var value: T?
    private var shape: T.Shape?
    private var slot: String

    public init(_ doc: String, name: String? = nil) {
        self.doc = doc
        self.name = name
        slot = name ?? ""
    }

    init(slot: String, doc: String, shape: T.Shape, value: T?) {
        self.doc = doc
        self.name = slot
        self.slot = slot
        self.shape = shape
        self.value = value
    }

    public var wrappedValue: T {
        guard let value else {
            preconditionFailure("input `\(slot)` read in validate(): only `$\(slot).shape` is known before running")
        }
        return value
    }

    /// The slot's upstream shape and a reference for diagnostics.
    public var projectedValue: InputReference<T> {
        InputReference(field: FieldReference(input: slot), storedShape: shape)
    }
}

/// `$slot` of an `@Input`: the upstream artifact's shape (known in `validate` and `run`) and the slot, for
/// diagnostics.
public struct InputReference<T: InputValue>: FieldReferencing {
    public let field: FieldReference
    let storedShape: T.Shape?

    public var shape: T.Shape {
        guard let storedShape else { preconditionFailure("input `\(field.name)` has no shape: the stage was not decoded") }
        return storedShape
    }
}

/// Something that names a field of a stage for a diagnostic: a parameter (`$steps`) or an input (`$data`).
public protocol FieldReferencing {
    var field: FieldReference { get }
}

extension FieldReference: FieldReferencing {
    public var field: FieldReference { self }
}

/// A type an `@Input` can have: an artifact type (a required slot), an `Optional` of one (an optional slot) or an
/// `Array` of one (a slot taking one or more upstream stages).
public protocol InputValue {
    associatedtype Shape: Sendable
    static var slotKind: ArtifactKind { get }
    static var isRequired: Bool { get }
    static var takesMany: Bool { get }
    /// The input's shape from the shapes the upstream stages' `validate` returned.
    static func shape(upstream: [any Sendable]) throws -> Shape
    /// The input read from the upstream stages' finished folders.
    static func load(upstream: [ArtifactFolder]) throws -> Self
}

extension ArtifactValue {
    public static var slotKind: ArtifactKind { kind }
    public static var isRequired: Bool { true }
    public static var takesMany: Bool { false }
    public static func shape(upstream: [any Sendable]) throws -> Shape {
        guard upstream.count == 1 else { throw inputCountError(kind, upstream.count) }
        return try shape(of: upstream[0])
    }
    public static func load(upstream: [ArtifactFolder]) throws -> Self {
        guard upstream.count == 1 else { throw inputCountError(kind, upstream.count) }
        return try Self(reading: upstream[0])
    }
}

extension Optional: InputValue where Wrapped: ArtifactValue {
    public typealias Shape = Wrapped.Shape?
    public static var slotKind: ArtifactKind { Wrapped.kind }
    public static var isRequired: Bool { false }
    public static var takesMany: Bool { false }
    public static func shape(upstream: [any Sendable]) throws -> Shape {
        upstream.isEmpty ? nil : try Wrapped.shape(upstream: upstream)
    }
    public static func load(upstream: [ArtifactFolder]) throws -> Self {
        upstream.isEmpty ? nil : try Wrapped.load(upstream: upstream)
    }
}

extension Array: InputValue where Element: ArtifactValue {
    public typealias Shape = [Element.Shape]
    public static var slotKind: ArtifactKind { Element.kind }
    public static var isRequired: Bool { true }
    public static var takesMany: Bool { true }
    public static func shape(upstream: [any Sendable]) throws -> Shape { try upstream.map(Element.shape(of:)) }
    public static func load(upstream: [ArtifactFolder]) throws -> Self { try upstream.map(Element.init(reading:)) }
}

private func inputCountError(_ kind: ArtifactKind, _ count: Int) -> PipelineError {
    PipelineError(.artifact, "internal error: a single \(kind) input was given \(count) upstream artifacts")
}

/// A set of input slots that several stages share, declared once (`@Input` properties of an `InputGroup`) and
/// included in a stage with `@Inputs`, like `@Params` for parameters: the slots appear at the stage's top level.
///
/// ```swift
/// struct KernelsWithTargets: InputGroup {
///     @Input("kernels from ntk.compute or ntk.snapshots") var kernels: KernelsArtifact
///     @Input("the dataset the kernels were computed on") var data: DatasetArtifact
///     init() {}
/// }
/// @Inputs var source: KernelsWithTargets        // slots `kernels` and `data`
/// ```
public protocol InputGroup: Decodable {
    init()
}

@propertyWrapper
public struct Inputs<G: InputGroup> {
    public var wrappedValue: G
    public init() { wrappedValue = G() }
    public init(wrappedValue: G) { self.wrappedValue = wrappedValue }
}
