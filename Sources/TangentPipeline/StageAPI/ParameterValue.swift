import TangentCore
import Foundation

/// A Swift type a stage parameter can have: its schema type (what validation checks and the docs show), how a
/// validated value becomes it, and how it is written back (defaults in docs and cache keys).
///
/// Conforming: `Int` (int), `Double` (float), `Bool`, `String`, `InputFile` (path), `String`-raw-valued
/// `CaseIterable` enums declared `ParameterChoice` (choice), arrays of these (list), `Optional` of these
/// (nullable: `null` means "not set") and `ParameterGroup` structs (object).
public protocol ParameterValue: Sendable {
    static var parameterType: ParameterType { get }
    /// True for `Optional`: `null` is accepted and means nil.
    static var isNullable: Bool { get }
    /// The value from a validated pipeline value (validation has already checked the type).
    init(parameter value: Value) throws
    /// The value as written in a pipeline file.
    var parameterValue: Value { get }
}

extension ParameterValue {
    public static var isNullable: Bool { false }
}

/// A parameter type other than `Optional`: one a parameter can be required to have (no default).
public protocol ConcreteParameterValue: ParameterValue {}

/// A validated value that does not have the declared type: a bug in the engine or a stage, never a user error.
func parameterTypeError(_ value: Value, _ type: ParameterType) -> PipelineError {
    PipelineError(.artifact, "internal error: a validated parameter value \(value.yamlText) is not a \(type.description)")
}

extension Int: ConcreteParameterValue {
    public static var parameterType: ParameterType { .int }
    public init(parameter value: Value) throws {
        guard let v = value.intValue else { throw parameterTypeError(value, .int) }
        self = v
    }
    public var parameterValue: Value { .int(self) }
}

extension Double: ConcreteParameterValue {
    public static var parameterType: ParameterType { .float }
    public init(parameter value: Value) throws {
        guard let v = value.doubleValue else { throw parameterTypeError(value, .float) }
        self = v
    }
    public var parameterValue: Value { .double(self) }
}

extension Bool: ConcreteParameterValue {
    public static var parameterType: ParameterType { .bool }
    public init(parameter value: Value) throws {
        guard let v = value.boolValue else { throw parameterTypeError(value, .bool) }
        self = v
    }
    public var parameterValue: Value { .bool(self) }
}

extension String: ConcreteParameterValue {
    public static var parameterType: ParameterType { .string }
    public init(parameter value: Value) throws {
        guard let v = value.stringValue else { throw parameterTypeError(value, .string) }
        self = v
    }
    public var parameterValue: Value { .string(self) }
}

extension Array: ParameterValue, ConcreteParameterValue where Element: ParameterValue {
    public static var parameterType: ParameterType { .list(Element.parameterType) }
    public init(parameter value: Value) throws {
        guard let items = value.listValue else { throw parameterTypeError(value, Self.parameterType) }
        self = try items.map(Element.init(parameter:))
    }
    public var parameterValue: Value { .list(map(\.parameterValue)) }
}

extension Optional: ParameterValue where Wrapped: ParameterValue {
    public static var parameterType: ParameterType { Wrapped.parameterType }
    public static var isNullable: Bool { true }
    public init(parameter value: Value) throws {
        self = value.isNull ? nil : try Wrapped(parameter: value)
    }
    public var parameterValue: Value { map(\.parameterValue) ?? .null }
}

/// A parameter that takes one of a fixed set of names: a `String`-raw-valued `CaseIterable` enum.
///
/// ```swift
/// enum Method: String, CaseIterable, ParameterChoice { case full, partial, pca, none }
/// ```
public protocol ParameterChoice: ConcreteParameterValue, RawRepresentable<String>, CaseIterable {}

extension ParameterChoice {
    public static var parameterType: ParameterType { .choice(allCases.map(\.rawValue)) }
    public init(parameter value: Value) throws {
        guard let name = value.stringValue, let v = Self(rawValue: name) else {
            throw parameterTypeError(value, Self.parameterType)
        }
        self = v
    }
    public var parameterValue: Value { .string(rawValue) }
}

/// A `path` parameter: an existing, readable regular file, relative to the pipeline file's folder in the file and
/// absolute once validated.
public struct InputFile: ConcreteParameterValue, Hashable, CustomStringConvertible {
    /// The absolute path.
    public var path: String
    public init(path: String) { self.path = path }
    public var url: URL { URL(fileURLWithPath: path) }
    public var description: String { path }

    public static var parameterType: ParameterType { .path }
    public init(parameter value: Value) throws {
        guard let path = value.stringValue else { throw parameterTypeError(value, .path) }
        self.path = path
    }
    public var parameterValue: Value { .string(path) }
}
