/// Declares a stage parameter once: its Swift type, default, range and doc line. The schema that validation,
/// `tangent describe` and docs/stages.md use is derived from these declarations.
///
/// ```swift
/// @Param("number of updates", minimum: 0) var steps = 1000          // int, default 1000, ≥ 0
/// @Param("η") var learningRate = 0.1                                 // float `learning_rate`
/// @Param("minibatch size; null = full batch", minimum: 1) var batchSize: Int?   // nullable, default null
/// @Param("the .npz file of weights") var weights: InputFile         // required path
/// ```
///
/// The parameter's name in pipeline files is the property name in snake_case (`learningRate` → `learning_rate`)
/// unless `name:` gives it. `$property` is a reference to the parameter for diagnostics
/// (`check.fail($eigenvalues, "…")`).
@propertyWrapper
public struct Param<T: ParameterValue>: Sendable {
    private var value: T?
    let declaration: ParameterDeclaration
    /// The parameter's name in pipeline files, known once decoded (empty in a schema instance).
    private var resolvedName: String

    /// A parameter with a default.
    public init(wrappedValue: T, _ doc: String, name: String? = nil, minimum: Double? = nil,
                maximum: Double? = nil) {
        value = wrappedValue
        declaration = ParameterDeclaration(doc: doc, name: name, minimum: minimum, maximum: maximum,
                                           type: T.parameterType, nullable: T.isNullable,
                                           defaultValue: wrappedValue.parameterValue)
        resolvedName = name ?? ""
    }

    /// A required parameter (no default).
    public init(_ doc: String, name: String? = nil, minimum: Double? = nil, maximum: Double? = nil)
    where T: ConcreteParameterValue {
        value = nil
        declaration = ParameterDeclaration(doc: doc, name: name, minimum: minimum, maximum: maximum,
                                           type: T.parameterType, nullable: false, defaultValue: nil)
        resolvedName = name ?? ""
    }

    /// An optional parameter: `null` (the default) means "not set".
    public init<Wrapped>(_ doc: String, name: String? = nil, minimum: Double? = nil, maximum: Double? = nil)
    where T == Wrapped? {
        value = .some(nil)
        declaration = ParameterDeclaration(doc: doc, name: name, minimum: minimum, maximum: maximum,
                                           type: T.parameterType, nullable: true, defaultValue: nil)
        resolvedName = name ?? ""
    }

    init(decoded: T, name: String, declaration: ParameterDeclaration) {
        value = decoded
        self.declaration = declaration
        resolvedName = name
    }

    public var wrappedValue: T {
        get {
            guard let value else {
                preconditionFailure("required parameter `\(resolvedName)` read from a stage that was not decoded")
            }
            return value
        }
        set { value = newValue }
    }

    /// The value as written in a file, or nil for a required parameter of a schema instance.
    var writtenValue: Value? { value?.parameterValue }

    /// A reference to this parameter, for diagnostics.
    public var projectedValue: FieldReference { FieldReference(parameter: resolvedName) }
}

/// What a `@Param` declares, before its name is known (the name comes from the property).
struct ParameterDeclaration: Sendable {
    var doc: String
    var name: String?
    var minimum: Double?
    var maximum: Double?
    var type: ParameterType
    var nullable: Bool
    var defaultValue: Value?

    func parameter(named propertyName: String) -> Parameter {
        Parameter(name ?? snakeCase(propertyName), type, default: defaultValue, minimum: minimum, maximum: maximum,
                  nullable: nullable, doc: doc)
    }
}

/// A parameter or input slot of a stage, for diagnostics (`check.fail($samples, "…")` points at the field's
/// node in the pipeline file).
public struct FieldReference: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case parameter, input }
    public var kind: Kind
    public var name: String
    public init(parameter name: String) { kind = .parameter; self.name = name }
    public init(input name: String) { kind = .input; self.name = name }
}

/// A parameter whose value is a mapping of its own parameters (`snapshots: { every: 10, at: [5] }`).
///
/// ```swift
/// struct SnapshotParameters: ParameterGroup {
///     @Param("save every k steps", minimum: 1) var every: Int?
///     @Param("save this many log-spaced steps", minimum: 1) var logSpaced: Int?
///     init() {}
/// }
/// @Param("when to save the weights") var snapshots = SnapshotParameters(logSpaced: 20)
/// ```
/// Fields the file leaves out take the group's own defaults (those of `init()`); the parameter's default is the
/// instance given as its initial value.
public protocol ParameterGroup: ConcreteParameterValue, Decodable {
    init()
}

extension ParameterGroup {
    public static var parameterType: ParameterType { .object(StageSchema.parameters(of: Self())) }
    public init(parameter value: Value) throws {
        guard let fields = value.objectValue else { throw parameterTypeError(value, Self.parameterType) }
        self = try StageDecoder.decode(Self.self, parameters: fields, inputs: [:], defaultInstance: Self())
    }
    public var parameterValue: Value { .object(StageSchema.values(of: self)) }
}

/// `learningRate` → `learning_rate`, `gamma0` → `gamma0`, `beta1` → `beta1`.
func snakeCase(_ name: String) -> String {
    var out = ""
    for c in name {
        if c.isUppercase {
            if !out.isEmpty { out.append("_") }
            out += c.lowercased()
        } else {
            out.append(c)
        }
    }
    return out
}

/// Includes the parameters of a `ParameterGroup` in a stage at the top level, in the manner of
/// swift-argument-parser's `@OptionGroup`: stages that share parameters declare them once.
///
/// ```swift
/// struct ArchitectureParameters: ParameterGroup { @Param("hidden widths", minimum: 1) var hidden = [256]; … }
/// @Params var architecture: ArchitectureParameters     // pipeline files write `hidden: [512]` directly
/// ```
@propertyWrapper
public struct Params<G: ParameterGroup> {
    public var wrappedValue: G
    public init() { wrappedValue = G() }
    public init(wrappedValue: G) { self.wrappedValue = wrappedValue }
}
