import TangentCore
/// A dotted `key=value` override from the command line, a profile or a sweep point, e.g.
/// `train.learning_rate=0.1`, `seed=3`, `model.hidden=[512, 512]`. The value is YAML, typed like the file's.
///
/// Keys resolve as: a top-level field (`seed`, `precision`, `threads`, `description`), or `<stage id>.<param>`
/// (short for `stages.<id>.with.<param>`, and deeper for object parameters), or a full `stages.<id>.…` path.
public struct Override: Sendable, Equatable {
    public var key: [String]
    public var value: ConfigValue.Located
    /// The override as written (`train.learning_rate=0.1`).
    public var text: String
    public var keyLocation: SourceLocation

    public init(key: [String], value: ConfigValue.Located, text: String, keyLocation: SourceLocation) {
        self.key = key
        self.value = value
        self.text = text
        self.keyLocation = keyLocation
    }

    /// Parses `key=value`. `source` names it in diagnostics (e.g. `<override 2>`).
    public static func parse(_ text: String, source: String) throws(PipelineError) -> Override {
        let start = SourceLocation(file: source, line: 1, column: 1)
        guard let equals = text.firstIndex(of: "=") else {
            throw PipelineError.invalid([Diagnostic(.badOverride, "override `\(text)` has no `=`", at: start, field: "",
                                                    suggestion: "write key=value, e.g. train.learning_rate=0.1")])
        }
        let keyText = String(text[..<equals])
        let key = keyText.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let validComponent = { (c: String) in
            !c.isEmpty && c.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        }
        guard !keyText.isEmpty, key.allSatisfy(validComponent) else {
            throw PipelineError.invalid([Diagnostic(.badOverride, "override key `\(keyText)` is not a dotted name",
                                                    at: start, field: keyText,
                                                    suggestion: "use names joined by dots, e.g. model.init_scale")])
        }
        let valueText = String(text[text.index(after: equals)...])
        let valueColumn = keyText.count + 2
        var value: ConfigValue.Located
        do {
            value = try ConfigParser.parse(valueText, file: source)
        } catch {
            throw PipelineError.invalid(error.diagnostics.map { d in
                var d = d
                d.location = d.location.map { SourceLocation(file: source, line: 1, column: $0.column + valueColumn - 1) }
                d.field = keyText
                return d
            })
        }
        value = shiftColumns(value, by: valueColumn - 1)
        return Override(key: key, value: value, text: text, keyLocation: start)
    }

    private static func shiftColumns(_ v: ConfigValue.Located, by offset: Int) -> ConfigValue.Located {
        var out = v
        out.location.column += offset
        out.location.line = 1
        switch v.value {
        case .list(let items): out.value = .list(items.map { shiftColumns($0, by: offset) })
        case .map(let entries):
            out.value = .map(entries.map { e in
                var e = e
                e.keyLocation.column += offset
                e.value = shiftColumns(e.value, by: offset)
                return e
            })
        default: break
        }
        return out
    }

    /// Top-level fields an override may set directly.
    static let topLevelFields = ["seed", "precision", "threads", "description"]

    /// The full path of this override in the pipeline document, or a `badOverride` diagnostic.
    func documentPath(stageIDs: StageIDs, hints: inout SuggestionBudget) -> Result<[String], Diagnostic> {
        let first = key[0]
        if Override.topLevelFields.contains(first) {
            if key.count == 1 { return .success(key) }
            return .failure(Diagnostic(.badOverride, "`\(first)` takes a single value; `\(key.joined(separator: "."))` has extra parts",
                                       at: keyLocation, field: key.joined(separator: ".")))
        }
        if first == "stages" { return .success(key) }
        if stageIDs.set.contains(first) {
            guard key.count >= 2 else {
                return .failure(Diagnostic(.badOverride, "override `\(PipelineLoader.shown(text))` names stage `\(first)` but no parameter",
                                           at: keyLocation, field: first,
                                           suggestion: "write \(first).<parameter>=value"))
            }
            return .success(["stages", first, "with"] + key.dropFirst())
        }
        return .failure(Diagnostic(
            .badOverride,
            "`\(PipelineLoader.shown(first))` is neither a top-level field (\(Override.topLevelFields.joined(separator: ", "))) nor a stage id"
                + (stageIDs.ordered.isEmpty ? "" : " (\(listed(stageIDs.ordered)))"),
            at: keyLocation, field: key.joined(separator: "."),
            suggestion: suggestion(for: first, among: Override.topLevelFields)
                ?? hints.suggestion(for: first, among: stageIDs.ordered)))
    }
}

extension ConfigValue.Located {
    /// Sets `value` at `path`, creating mappings as needed (a non-mapping in the way is replaced).
    mutating func set(_ path: ArraySlice<String>, to newValue: ConfigValue.Located, keyLocation: SourceLocation) {
        guard let head = path.first else {
            self = newValue
            return
        }
        var entries: [ConfigValue.Entry]
        if case .map(let existing) = value { entries = existing } else { entries = [] }
        if let i = entries.firstIndex(where: { $0.key == head }) {
            entries[i].value.set(path.dropFirst(), to: newValue, keyLocation: keyLocation)
        } else {
            var child = ConfigValue.Located(.map([]), at: keyLocation)
            child.set(path.dropFirst(), to: newValue, keyLocation: keyLocation)
            entries.append(.init(key: head, keyLocation: keyLocation, value: child))
        }
        value = .map(entries)
    }
}
