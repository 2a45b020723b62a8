import TangentCore
import Yams

/// A YAML value with the location of its node, as parsed from a pipeline file or an override.
///
/// Scalars are typed by YAML 1.1 core resolution (as Yams resolves plain scalars): `3` is an int, `3.0` and `1e-3`
/// are floats, `true` a bool, `null`/`~` null, anything quoted a string.
public indirect enum ConfigValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Located])
    case map([Entry])

    public struct Located: Sendable, Equatable {
        public var value: ConfigValue
        public var location: SourceLocation

        public init(_ value: ConfigValue, at location: SourceLocation) {
            self.value = value
            self.location = location
        }
    }

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: Located
    }

    /// The YAML type name used in messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "string"
        case .list: "list"
        case .map: "mapping"
        }
    }

    /// The value without locations.
    public var plainValue: Value {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .list(let items): .list(items.map(\.value.plainValue))
        case .map(let entries): .object(Dictionary(entries.map { ($0.key, $0.value.value.plainValue) }) { a, _ in a })
        }
    }

    /// The value as compact YAML flow text, for messages: at most about 80 characters (longer text is cut with
    /// `…`), so that a message never repeats a huge value.
    public var yamlText: String {
        let text = plainValue.yamlText
        guard text.count > 80 else { return text }
        return String(text.prefix(60)) + " … (\(text.utf8.count) bytes)"
    }
}

/// Shortest round-tripping text of a double, always with a decimal point or exponent (so YAML reads it back as float).
func formatDouble(_ d: Double) -> String {
    if d.isNaN { return ".nan" }
    if d.isInfinite { return d > 0 ? ".inf" : "-.inf" }
    let text = "\(d)"
    return text.contains(".") || text.contains("e") || text.contains("E") ? text : text + ".0"
}

extension ConfigValue.Located {
    /// Looks up `key` in a mapping value.
    public subscript(key: String) -> ConfigValue.Entry? {
        if case .map(let entries) = value { return entries.first { $0.key == key } }
        return nil
    }
}

/// Parses YAML text into located values.
public enum ConfigParser {
    /// Parses a whole document (see `YAMLComposer`: aliases expanded under a node budget, merge keys applied,
    /// nesting capped). A syntax error becomes a `yamlSyntax` diagnostic at the reported position, a limit a
    /// `limitExceeded` one; an empty document is null.
    public static func parse(_ text: String, file: String) throws(PipelineError) -> ConfigValue.Located {
        try YAMLComposer.compose(text, file: file) ?? .init(.null, at: SourceLocation(file: file, line: 1, column: 1))
    }

    /// `Int.construct(from:)`, except that a sexagesimal int too large for `Int` (`1:00:00:…`) is nil where Yams
    /// traps on the overflow (it multiplies without checking).
    static func constructInt(_ scalar: Node.Scalar) -> Int? {
        let text = scalar.string.replacingOccurrences(of: "_", with: "")
        let negative = text.hasPrefix("-")
        let body = negative || text.hasPrefix("+") ? text.dropFirst() : text[...]
        guard body.contains(":"), !body.hasPrefix("0") else { return Int.construct(from: scalar) }
        guard scalar.style == .any || scalar.style == .plain else { return nil }
        var value = 0
        for component in body.split(separator: ":", omittingEmptySubsequences: false) {
            guard let digit = Int(component, radix: 10) else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: 60)
            let (sum, o2) = shifted.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = sum
        }
        return negative ? -value : value
    }

    /// The YAML 1.1 words Yams' default resolver reads as bools and nulls.
    static let boolWords: [String: Bool] = [
        "yes": true, "Yes": true, "YES": true, "true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true,
        "no": false, "No": false, "NO": false, "false": false, "False": false, "FALSE": false, "off": false, "Off": false,
        "OFF": false,
    ]
    static let nullWords: Set<String> = ["null", "Null", "NULL"]

    /// The value of an untagged plain scalar without Yams' regular expressions, for the common cases (the result
    /// is the same as `scalarValue`'s): a scalar that starts with anything but a sign, a digit, `.`, `~`, `<` or
    /// `=` can only be a bool, a null or a string; a decimal integer without leading zeros is an int. Nil for the
    /// rest (floats, octal, timestamps…), which go through Yams.
    static func fastPlainValue(_ text: String) -> ConfigValue? {
        guard let first = text.utf8.first else { return nil }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            let digits = first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
            guard let lead = digits.first, digits.count <= 18,
                  lead != UInt8(ascii: "0") || (digits.count == 1 && first != UInt8(ascii: "-")),  // Yams: -0 is -0.0
                  digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            return Int(text).map(ConfigValue.int)
        case UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "<"), UInt8(ascii: "="):
            return nil
        default:
            if let b = boolWords[text] { return .bool(b) }
            if nullWords.contains(text) { return .null }
            return .string(text)
        }
    }

    static func scalarValue(_ scalar: Node.Scalar) -> ConfigValue {
        if scalar.style != .plain { return .string(scalar.string) }
        let text = scalar.string
        switch Resolver.default.resolveTag(of: Node.scalar(scalar)) {
        case .null: return .null
        case .bool: return Bool.construct(from: scalar).map(ConfigValue.bool) ?? .string(text)
        case .int:
            if let i = constructInt(scalar) { return .int(i) }
            return Double.construct(from: scalar).map(ConfigValue.double) ?? .string(text)
        case .float: return Double.construct(from: scalar).map(ConfigValue.double) ?? .string(text)
        default: return .string(text)
        }
    }
}
