import TangentCore
import Foundation

/// Checks YAML values against parameter schemas, collecting diagnostics instead of stopping at the first.
struct ParameterChecker {
    /// Folder against which relative `path` parameters resolve.
    var baseDirectory: URL
    var diagnostics: [Diagnostic] = []

    /// Checks a `with:`-style mapping against `schema`; missing parameters take their defaults.
    mutating func check(_ mapping: ConfigValue.Located?, schema: [Parameter], field: String, owner: String,
                        ownerLocation: SourceLocation) -> [String: Value] {
        var result: [String: Value] = [:]
        var entries: [ConfigValue.Entry] = []
        if let mapping {
            switch mapping.value {
            case .map(let e): entries = e
            case .null: break
            default:
                diagnostics.append(Diagnostic(.wrongType, "expected a mapping of parameters, got \(mapping.value.typeName)",
                                              at: mapping.location, field: field))
                return result
            }
        }
        let names = schema.map(\.name)
        for entry in entries {
            let entryField = "\(field).\(entry.key)"
            guard let parameter = schema.first(where: { $0.name == entry.key }) else {
                let hint = suggestion(for: entry.key, among: names)
                    ?? (names.isEmpty ? "\(owner) takes no parameters"
                                      : "\(owner) takes: \(names.joined(separator: ", "))")
                diagnostics.append(Diagnostic(.unknownParameter, "unknown parameter `\(entry.key)` of \(owner)",
                                              at: entry.keyLocation, field: entryField, suggestion: hint))
                continue
            }
            if let value = check(entry.value, parameter, field: entryField) { result[entry.key] = value }
        }
        for parameter in schema where !entries.contains(where: { $0.key == parameter.name }) {
            if let d = parameter.defaultValue {
                result[parameter.name] = d
            } else if parameter.nullable {
                result[parameter.name] = .null
            } else {
                diagnostics.append(Diagnostic(.missingParameter,
                                              "missing required parameter `\(parameter.name)` (\(parameter.type.description)) of \(owner)",
                                              at: mapping?.location ?? ownerLocation, field: "\(field).\(parameter.name)",
                                              suggestion: "add `\(parameter.name): …` (\(parameter.doc))"))
            }
        }
        return result
    }

    /// Checks one value against one parameter (type, choices, range, path existence).
    mutating func check(_ v: ConfigValue.Located, _ p: Parameter, field: String) -> Value? {
        if case .null = v.value, p.nullable { return .null }
        return check(v, type: p.type, parameter: p, field: field)
    }

    private mutating func check(_ v: ConfigValue.Located, type: ParameterType, parameter p: Parameter,
                                field: String) -> Value? {
        func mismatch() -> Value? {
            let shown = v.value.yamlText
            diagnostics.append(Diagnostic(.wrongType,
                                          "expected \(type.description), got \(v.value.typeName) `\(shown)`",
                                          at: v.location, field: field, suggestion: p.doc.isEmpty ? nil : "\(p.name): \(p.doc)"))
            return nil
        }
        switch type {
        case .int:
            let i: Int
            switch v.value {
            case .int(let x): i = x
            case .double(let d) where d == d.rounded() && abs(d) < 9e15: i = Int(d)  // 1e4 is fine for steps
            default: return mismatch()
            }
            return inRange(Double(i), v, p, field) ? .int(i) : nil
        case .float:
            let d: Double
            switch v.value {
            case .int(let x): d = Double(x)
            case .double(let x): d = x
            default: return mismatch()
            }
            // `maximum: .infinity` in a declaration opts in to `.inf` (β = ∞).
            guard d.isFinite || (d == .infinity && p.maximum == .infinity) else {
                diagnostics.append(Diagnostic(.invalidValue, "must be a finite number, got \(v.value.yamlText)",
                                              at: v.location, field: field))
                return nil
            }
            return inRange(d, v, p, field) ? .double(d) : nil
        case .bool:
            if case .bool(let b) = v.value { return .bool(b) }
            return mismatch()
        case .string:
            if case .string(let s) = v.value { return .string(s) }
            return mismatch()
        case .choice(let options):
            guard case .string(let s) = v.value else { return mismatch() }
            guard options.contains(s) else {
                diagnostics.append(Diagnostic(.invalidValue, "`\(s)` is not one of \(options.joined(separator: ", "))",
                                              at: v.location, field: field,
                                              suggestion: suggestion(for: s, among: options)))
                return nil
            }
            return .string(s)
        case .list(let element):
            guard case .list(let items) = v.value else { return mismatch() }
            var out: [Value] = []
            var ok = true
            for (i, item) in items.enumerated() {
                if let x = check(item, type: element, parameter: p, field: "\(field)[\(i)]") { out.append(x) } else { ok = false }
            }
            return ok ? .list(out) : nil
        case .path:
            guard case .string(let s) = v.value else { return mismatch() }
            let url = s.hasPrefix("/") ? URL(fileURLWithPath: s) : baseDirectory.appendingPathComponent(s)
            let path = url.standardizedFileURL.path
            if let problem = InputFileCheck.problem(path) {
                diagnostics.append(Diagnostic(.fileNotFound, problem.message, at: v.location, field: field,
                                              suggestion: problem.remedy))
                return nil
            }
            return .string(path)
        case .object(let fields):
            guard case .map = v.value else { return mismatch() }
            let before = diagnostics.count
            let values = check(v, schema: fields, field: field, owner: "`\(p.name)`", ownerLocation: v.location)
            return diagnostics.count == before ? .object(values) : nil
        }
    }

    private mutating func inRange(_ x: Double, _ v: ConfigValue.Located, _ p: Parameter, _ field: String) -> Bool {
        let below = p.minimum.map { x < $0 } ?? false
        let above = p.maximum.map { x > $0 } ?? false
        if !below && !above { return true }
        diagnostics.append(Diagnostic(.outOfRange, "\(v.value.yamlText) is out of range: must be \(p.rangeDescription)",
                                      at: v.location, field: field))
        return false
    }
}
