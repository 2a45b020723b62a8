/// The type of a stage parameter, checked when a pipeline is validated.
public indirect enum ParameterType: Sendable {
    case int
    /// A float; an int in the file is accepted and converted.
    case float
    case bool
    case string
    /// One of a fixed set of strings.
    case choice([String])
    case list(ParameterType)
    /// A path to an existing file, relative to the pipeline file's folder (absolute paths are kept).
    case path
    /// A mapping with its own fields (each with a default, or required).
    case object([Parameter])

    public var description: String {
        switch self {
        case .int: "int"
        case .float: "float"
        case .bool: "bool"
        case .string: "string"
        case .choice(let options): options.joined(separator: " | ")
        case .list(let element): "list of \(element.description)"
        case .path: "path"
        case .object: "object"
        }
    }
}

/// One parameter of a stage's schema: name, type, default (nil = required), range and a doc line.
public struct Parameter: Sendable {
    public var name: String
    public var type: ParameterType
    /// The value used when the pipeline does not set the parameter; nil means the parameter is required.
    public var defaultValue: Value?
    /// Inclusive bounds for int and float parameters (and for each element of a list of them).
    public var minimum: Double?
    public var maximum: Double?
    /// True when `null` is an accepted value (meaning "not set").
    public var nullable: Bool
    public var doc: String

    public init(_ name: String, _ type: ParameterType, default defaultValue: Value? = nil, minimum: Double? = nil,
                maximum: Double? = nil, nullable: Bool = false, doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.minimum = minimum
        self.maximum = maximum
        self.nullable = nullable
        self.doc = doc
    }

    public var isRequired: Bool { defaultValue == nil && !nullable }

    /// "≥ 1", "in [0, 1]", … or "" when unbounded.
    public var rangeDescription: String {
        func f(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
        switch (minimum, maximum) {
        case let (lo?, hi?): return "in [\(f(lo)), \(f(hi))]"
        case let (lo?, nil): return "≥ \(f(lo))"
        case let (nil, hi?): return "≤ \(f(hi))"
        default: return ""
        }
    }
}

/// Validated parameters of one stage, defaults filled in. Accessors trap on a name or type that the stage's own
/// schema does not declare: that is a bug in the stage, not a user error (validation has run before).
public struct Parameters: Sendable, Equatable {
    public let values: [String: Value]

    public init(_ values: [String: Value]) { self.values = values }

    public subscript(name: String) -> Value {
        guard let v = values[name] else { preconditionFailure("parameter `\(name)` is not in the stage's schema") }
        return v
    }

    public func int(_ name: String) -> Int { self[name].intValue! }
    public func double(_ name: String) -> Double { self[name].doubleValue! }
    public func bool(_ name: String) -> Bool { self[name].boolValue! }
    public func string(_ name: String) -> String { self[name].stringValue! }
    public func list(_ name: String) -> [Value] { self[name].listValue! }
    public func ints(_ name: String) -> [Int] { list(name).map { $0.intValue! } }
    public func doubles(_ name: String) -> [Double] { list(name).map { $0.doubleValue! } }
    public func optionalInt(_ name: String) -> Int? { self[name].intValue }
    public func optionalDouble(_ name: String) -> Double? { self[name].doubleValue }
    public func optionalString(_ name: String) -> String? { self[name].stringValue }
    public func object(_ name: String) -> Parameters { Parameters(self[name].objectValue!) }

    /// The canonical form hashed into cache keys.
    public var canonicalJSON: String { Value.object(values).canonicalJSON }
}
