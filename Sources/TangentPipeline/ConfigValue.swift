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

    /// The value as compact YAML flow text, for messages.
    public var yamlText: String { plainValue.yamlText }
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
    /// Parses a whole document. A syntax error becomes a `yamlSyntax` diagnostic at the reported position.
    public static func parse(_ text: String, file: String) throws(PipelineError) -> ConfigValue.Located {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PipelineError.invalid([syntaxDiagnostic(error, file: file, text: text)])
        } catch {
            throw PipelineError.invalid([Diagnostic(.yamlSyntax, "\(error)", at: nil, field: "")])
        }
        guard let node else { return .init(.null, at: SourceLocation(file: file, line: 1, column: 1)) }
        var diagnostics: [Diagnostic] = []
        let value = convert(node, file: file, path: "", diagnostics: &diagnostics)
        if !diagnostics.isEmpty { throw PipelineError.invalid(diagnostics) }
        return value
    }

    static func syntaxDiagnostic(_ error: YamlError, file: String, text: String) -> Diagnostic {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams reports the mapping; point at the second occurrence of the first duplicated key when we can.
            let key = duplicates.sorted().first ?? ""
            var location = SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            var seen = 0
            for (index, line) in lines.enumerated() where index + 1 >= context.mark.line {
                let trimmed = line.drop { $0 == " " }
                if trimmed.hasPrefix(key + ":") || trimmed.hasPrefix(key + " :") {
                    seen += 1
                    if seen == 2 {
                        location = SourceLocation(file: file, line: index + 1, column: line.count - trimmed.count + 1)
                        break
                    }
                }
            }
            return Diagnostic(.duplicateID, "`\(key)` appears twice in the same mapping", at: location, field: key,
                              suggestion: "rename or remove one of them")
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let where_ = SourceLocation(file: file, line: mark.line, column: mark.column)
            let ctx = context.map { " (\($0.text))" } ?? ""
            return Diagnostic(.yamlSyntax, "YAML syntax error: \(problem)\(ctx)", at: where_, field: "",
                              suggestion: "check indentation, colons and brackets near this position")
        default:
            return Diagnostic(.yamlSyntax, "YAML error: \(error)", at: SourceLocation(file: file, line: 1, column: 1),
                              field: "")
        }
    }

    private static func location(_ node: Node, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    static func convert(_ node: Node, file: String, path: String,
                        diagnostics: inout [Diagnostic]) -> ConfigValue.Located {
        let here = location(node, file)
        switch node {
        case .scalar(let scalar):
            return .init(scalarValue(scalar), at: here)
        case .sequence(let sequence):
            let items = sequence.enumerated().map { index, item in
                convert(item, file: file, path: "\(path)[\(index)]", diagnostics: &diagnostics)
            }
            return .init(.list(items), at: here)
        case .mapping(let mapping):
            var entries: [ConfigValue.Entry] = []
            for (keyNode, valueNode) in mapping {
                let keyLocation = location(keyNode, file)
                guard case .scalar(let keyScalar) = keyNode else {
                    diagnostics.append(Diagnostic(.wrongType, "mapping keys must be plain names", at: keyLocation,
                                                  field: path))
                    continue
                }
                let key = keyScalar.string
                let field = path.isEmpty ? key : "\(path).\(key)"
                if entries.contains(where: { $0.key == key }) {
                    diagnostics.append(Diagnostic(.duplicateID, "`\(key)` appears twice in the same mapping",
                                                  at: keyLocation, field: field,
                                                  suggestion: "rename or remove one of them"))
                    continue
                }
                let value = convert(valueNode, file: file, path: field, diagnostics: &diagnostics)
                entries.append(.init(key: key, keyLocation: keyLocation, value: value))
            }
            return .init(.map(entries), at: here)
        case .alias:
            return .init(.null, at: here)
        }
    }

    static func scalarValue(_ scalar: Node.Scalar) -> ConfigValue {
        if scalar.style != .plain { return .string(scalar.string) }
        let text = scalar.string
        switch Resolver.default.resolveTag(of: Node.scalar(scalar)) {
        case .null: return .null
        case .bool: return Bool.construct(from: scalar).map(ConfigValue.bool) ?? .string(text)
        case .int:
            if let i = Int.construct(from: scalar) { return .int(i) }
            return Double.construct(from: scalar).map(ConfigValue.double) ?? .string(text)
        case .float: return Double.construct(from: scalar).map(ConfigValue.double) ?? .string(text)
        default: return .string(text)
        }
    }
}
