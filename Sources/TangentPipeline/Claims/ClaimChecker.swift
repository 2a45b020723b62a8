/// Checks a pipeline file's `claims:` when it is loaded: the list's shape, each claim's fields, the check's
/// syntax, its stage ids, selectors and axes. Every problem is a diagnostic at its place, pointing into the check
/// string where it can (the check's location plus the offset of the problem).
extension PipelineLoader {
    static let claimKeys = ["that", "check"]

    /// The claims of `value` (the file's `claims:` node), or the diagnostics that explain why not. `text` is the
    /// pipeline file's text (to place problems inside the check strings); `axes` are the sweep's keys (none for a
    /// single run).
    static func checkClaims(_ value: ConfigValue.Located?, text: String, ids: StageIDs, axes: [String],
                            diagnostics: inout [Diagnostic], hints: inout SuggestionBudget) -> [Claim] {
        guard let value else { return [] }
        let items: [ConfigValue.Located]
        switch value.value {
        case .null: return []
        case .list(let list): items = list
        default:
            diagnostics.append(Diagnostic(.wrongType, "`claims` is a list of claims, got \(value.value.typeName)",
                                          at: value.location, field: "claims",
                                          suggestion: "write `claims:` then one `- that: …` / `check: …` entry per claim"))
            return []
        }
        var source = SourceText(text)
        var claims: [Claim] = []
        for (index, item) in items.enumerated() {
            let field = "claims[\(index)]"
            guard case .map(let entries) = item.value else {
                diagnostics.append(Diagnostic(.wrongType, "a claim is a mapping with `that:` and `check:`, got \(item.value.typeName)",
                                              at: item.location, field: field,
                                              suggestion: "write `- that: \"…\"` and `check: \"a < b\"` under it"))
                continue
            }
            for entry in entries where !claimKeys.contains(entry.key) {
                diagnostics.append(Diagnostic(.unknownKey, "unknown field `\(shown(entry.key))` in a claim", at: entry.keyLocation,
                                              field: "\(field).\(entry.key)",
                                              suggestion: suggestion(for: entry.key, among: claimKeys) ?? "a claim has `that` and `check`"))
            }
            var fields: [String: (value: String, location: SourceLocation)] = [:]
            for key in claimKeys {
                guard let entry = entries.first(where: { $0.key == key }) else {
                    diagnostics.append(Diagnostic(
                        .missingKey, "the claim has no `\(key)`", at: item.location, field: "\(field).\(key)",
                        suggestion: key == "that" ? "add `that: \"…\"`: one line naming the result it states"
                                                  : "add `check: \"…\"`, e.g. `check: \"times.t_align < times.t_half\"`"))
                    continue
                }
                guard case .string(let s) = entry.value.value else {
                    diagnostics.append(Diagnostic(.wrongType, "`\(key)` must be a string, got \(entry.value.value.typeName) `\(entry.value.value.yamlText)`",
                                                  at: entry.value.location, field: "\(field).\(key)",
                                                  suggestion: "quote it: \(key): \"\(entry.value.value.yamlText)\""))
                    continue
                }
                if s.allSatisfy(\.isWhitespace) {
                    diagnostics.append(Diagnostic(.invalidValue, "`\(key)` is empty", at: entry.value.location,
                                                  field: "\(field).\(key)",
                                                  suggestion: key == "that" ? "say which result the claim states" : "write a comparison, e.g. times.t_align < times.t_half"))
                    continue
                }
                if key == "that", s.contains(where: \.isNewline) {
                    diagnostics.append(Diagnostic(.invalidValue, "`that` must be one line", at: entry.value.location,
                                                  field: "\(field).that", suggestion: "shorten it to one line"))
                    continue
                }
                fields[key] = (s, entry.value.location)
            }
            guard let check = fields["check"] else { continue }
            let place = { (offset: Int) in source.location(of: offset, in: check.value, scalarAt: check.location) }
            let expression: ClaimExpression
            do throws(ClaimExpression.Problem) { expression = try ClaimExpression(parsing: check.value) } catch {
                diagnostics.append(Diagnostic(.badClaim, error.message, at: place(error.offset), field: "\(field).check",
                                              suggestion: error.suggestion))
                continue
            }
            let problems = expression.problems(stageIDs: ids, axes: axes, hints: &hints)
            for problem in problems {
                diagnostics.append(Diagnostic(.badClaim, problem.message, at: place(problem.offset), field: "\(field).check",
                                              suggestion: problem.suggestion))
            }
            if problems.isEmpty, let that = fields["that"] {
                claims.append(Claim(that: that.value, expression: expression, location: check.location))
            }
        }
        return claims
    }
}

extension ClaimExpression {
    /// The axis a sweep's aggregate averages over: selectors and `increasing` name the other axes.
    static let groupedOver = "seed"

    /// What is wrong with the check in a pipeline with these stage ids and sweep axes (none: a single run): unknown
    /// stage ids, selectors and axes that are not swept (or are the seed, which the aggregate averages over),
    /// strings where numbers are needed.
    func problems(stageIDs: StageIDs, axes: [String], hints: inout SuggestionBudget) -> [Problem] {
        var problems: [Problem] = []
        let selectable = axes.filter { $0 != Self.groupedOver }
        func checkAxis(_ axis: String, at offset: Int, what: String) {
            let selector = what == "a selector"
            if axes.isEmpty {
                problems.append(Problem(offset: offset, "\(what) \(selector ? "picks" : "orders") the groups of a sweep, but this pipeline has no sweep",
                                        suggestion: selector ? "leave out the `[…]`, or add a `sweep:` block (or --sweep)" : "add a `sweep:` block (or --sweep) over `\(axis)`, or drop this check"))
            } else if axis == Self.groupedOver && axes.contains(axis) {
                problems.append(Problem(offset: offset, "the aggregate averages over `\(axis)`, so \(what) cannot pick by it",
                                        suggestion: selectable.isEmpty ? "sweep another axis to compare groups" : "name another swept axis: \(selectable.joined(separator: ", "))"))
            } else if !selectable.contains(axis) {
                problems.append(Problem(offset: offset, "`\(PipelineLoader.shown(axis))` is not a swept axis",
                                        suggestion: suggestion(for: axis, among: selectable)
                                            ?? (selectable.isEmpty ? "the sweep has no axis besides the seed" : "swept axes: \(selectable.joined(separator: ", "))")))
            }
        }
        root.visit { node in
            switch node.kind {
            case .metric(let m):
                if !stageIDs.set.contains(m.stage) {
                    let subtract = m.text.contains("-") ? " (to subtract, write spaces around `-`)" : ""
                    problems.append(Problem(offset: m.range.lowerBound, "no stage `\(PipelineLoader.shown(m.stage))` in this pipeline",
                                            suggestion: (hints.suggestion(for: m.stage, among: stageIDs.ordered)
                                                ?? (stageIDs.ordered.isEmpty ? "a metric is <stage id>.<key>, and the pipeline has no stages yet"
                                                    : "a metric is <stage id>.<key>; stage ids are: \(listed(stageIDs.ordered))")) + subtract))
                }
                var seen = Set<String>()
                for selection in m.selector {
                    if !seen.insert(selection.axis).inserted {
                        problems.append(Problem(offset: selection.range.lowerBound, "the selector names `\(selection.axis)` twice",
                                                suggestion: "give each axis once"))
                        continue
                    }
                    checkAxis(selection.axis, at: selection.range.lowerBound, what: "a selector")
                }
            case .call(let f, let arguments) where f.isTest:
                if case .axis(let axis) = arguments[1].kind {
                    checkAxis(axis, at: arguments[1].range.lowerBound, what: "\(f.rawValue)(…)")
                }
            case .comparison(let op, let a, let b) where !op.isEquality:
                for side in [a, b] { if case .text(let s) = side.kind { problems.append(textProblem(s, side)) } }
            case .arithmetic(_, let a, let b):
                for side in [a, b] { if case .text(let s) = side.kind { problems.append(textProblem(s, side)) } }
            case .negate(let x):
                if case .text(let s) = x.kind { problems.append(textProblem(s, x)) }
            case .call(_, let arguments):
                if case .text(let s) = arguments[0].kind { problems.append(textProblem(s, arguments[0])) }
            default: break
            }
        }
        return problems
    }

    /// A string where a number is needed.
    private func textProblem(_ s: String, _ node: Node) -> Problem {
        Problem(offset: node.range.lowerBound, "`\(PipelineLoader.shown(s))` is a string: strings compare with `==` and `!=` only",
                suggestion: "a metric is <stage id>.<key>, e.g. times.t_align")
    }
}

/// The lines of a pipeline file, to place a problem inside a string scalar: the check's node starts at its
/// location (at the opening quote of a quoted scalar); when the text there is the check itself, written on one line
/// without escapes, a problem at offset k is k characters into it. Otherwise (a block scalar, escapes, an alias) the
/// problem stays at the node.
struct SourceText {
    private let text: String
    private var lines: [[Unicode.Scalar]]?

    init(_ text: String) { self.text = text }

    mutating func location(of offset: Int, in value: String, scalarAt node: SourceLocation) -> SourceLocation {
        if lines == nil {
            lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        }
        guard node.line >= 1, node.line <= lines!.count else { return node }
        let line = lines![node.line - 1]
        var start = node.column - 1
        guard start >= 0, start < line.count else { return node }
        if line[start] == "\"" || line[start] == "'" { start += 1 }
        let scalars = Array(value.unicodeScalars)
        guard start + scalars.count <= line.count, Array(line[start..<(start + scalars.count)]) == scalars else { return node }
        return SourceLocation(file: node.file, line: node.line, column: start + 1 + offset)
    }
}
