import Foundation

/// A value of a check while it is evaluated.
enum ClaimOperand: Equatable {
    case number(Double)
    case text(String)
    case bool(Bool)
    /// A list of numbers: a sweep's group means (one per selected group), or a list in a summary.json.
    case list([Double])
}

/// What a metric reference stands for, as a source found it.
struct ResolvedMetric {
    /// The value as claims.json shows it: a number, string, bool or list of numbers; null when missing.
    var value: Value
    /// The value to evaluate with; nil when missing (then `error` says why).
    var operand: ClaimOperand?
    /// For a sweep: the group of each element of the list (group column → value as YAML text).
    var groups: [[String: String]]?
    var error: String?

    static func missing(_ error: String, value: Value = .null) -> ResolvedMetric {
        ResolvedMetric(value: value, operand: nil, groups: nil, error: error)
    }
}

/// Where the metrics of claims come from: a run folder's summaries or a sweep's aggregate.
protocol ClaimSource {
    mutating func resolve(_ reference: MetricReference) -> ResolvedMetric
}

/// The metrics of a single run: `<stage>.<path>` is read from `<run folder>/<stage>/summary.json`, walking into
/// objects one path component at a time (a key that itself holds dots is matched too).
struct RunMetrics: ClaimSource {
    let root: URL
    /// The run's stages in order with their manifest status (nil: not known, every stage folder is read).
    let stages: [(id: String, status: String)]?
    private var summaries: [String: Result<[String: Value], ClaimFailure>] = [:]

    init(root: URL, stages: [(id: String, status: String)]?) {
        self.root = root
        self.stages = stages
    }

    /// The stages of the run folder's manifest.json (nil when it cannot be read).
    static func manifestStages(_ root: URL) -> [(id: String, status: String)]? {
        guard let text = FileSystem.readSmallFile(root.appendingPathComponent("manifest.json").path),
              let list = (try? JSONReader.parse(text))?["stages"]?.listValue else { return nil }
        return list.compactMap { entry in
            guard let id = entry["id"]?.stringValue else { return nil }
            return (id, entry["status"]?.stringValue ?? "")
        }
    }

    static let finishedStatuses: Set<String> = ["computed", "cached", "shared"]

    mutating func resolve(_ m: MetricReference) -> ResolvedMetric {
        guard m.selector.isEmpty else {
            return .missing("`\(m.text)` has a selector, which picks groups of a sweep, but this is a single run")
        }
        if let stages {
            guard let stage = stages.first(where: { $0.id == m.stage }) else {
                return .missing("no stage `\(m.stage)` in this run; stages: \(listed(stages.map(\.id)))")
            }
            guard Self.finishedStatuses.contains(stage.status) else {
                return .missing("stage `\(m.stage)` did not finish in this run (its status is \(stage.status))")
            }
        }
        let file = "\(m.stage)/summary.json"
        let summary: [String: Value]
        switch self.summary(m.stage) {
        case .success(let s): summary = s
        case .failure(let failure): return .missing(failure.message)
        }
        var current = Value.object(summary)
        var consumed: [String] = []
        var remaining = m.path[...]
        while !remaining.isEmpty {
            guard let object = current.objectValue else {
                return .missing("`\(([m.stage] + consumed).joined(separator: "."))` in \(file) is \(describe(current)), "
                                + "not an object with the key `\(remaining.first!)`")
            }
            // The longest run of components that is a key (keys may hold dots), else one component.
            var matched: (key: String, count: Int)?
            for count in stride(from: remaining.count, to: 0, by: -1) {
                let key = remaining.prefix(count).joined(separator: ".")
                if object[key] != nil {
                    matched = (key, count)
                    break
                }
            }
            guard let matched else {
                let under = consumed.isEmpty ? "" : " under `\(consumed.joined(separator: "."))`"
                let keys = object.keys.sorted()
                let subtract = remaining.first!.contains("-") ? " (to subtract, write spaces around `-`)" : ""
                return .missing("no key `\(remaining.first!)`\(under) in \(file); "
                                + (keys.isEmpty ? "it is empty" : "keys: \(listed(keys))") + subtract)
            }
            current = object[matched.key]!
            consumed += remaining.prefix(matched.count)
            remaining = remaining.dropFirst(matched.count)
        }
        return Self.resolved(current, name: m.dotted, file: file)
    }

    /// A summary value as a claim's operand: numbers (and "nan", "inf", "-inf"), strings, booleans and lists of
    /// numbers; objects and null are errors.
    static func resolved(_ value: Value, name: String, file: String) -> ResolvedMetric {
        switch value {
        case .int, .double:
            return ResolvedMetric(value: value, operand: .number(value.doubleValue!), groups: nil, error: nil)
        case .string(let s):
            if let d = value.doubleValue { return ResolvedMetric(value: value, operand: .number(d), groups: nil, error: nil) }
            return ResolvedMetric(value: value, operand: .text(s), groups: nil, error: nil)
        case .bool(let b):
            return ResolvedMetric(value: value, operand: .bool(b), groups: nil, error: nil)
        case .list(let items):
            let numbers = items.map { $0.boolValue.map { $0 ? 1.0 : 0.0 } ?? $0.doubleValue }
            guard numbers.allSatisfy({ $0 != nil }) else {
                return .missing("`\(name)` in \(file) is a list of other things than numbers")
            }
            return ResolvedMetric(value: value, operand: .list(numbers.map { $0! }), groups: nil, error: nil)
        case .object(let fields):
            return .missing("`\(name)` in \(file) is an object; name one of its keys: \(listed(fields.keys.sorted()))")
        case .null:
            return .missing("`\(name)` is null in \(file)")
        }
    }

    private func describe(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .bool: "a bool"
        case .int, .double: "a number"
        case .string: "a string"
        case .list: "a list"
        case .object: "an object"
        }
    }

    private mutating func summary(_ stage: String) -> Result<[String: Value], ClaimFailure> {
        if let known = summaries[stage] { return known }
        let folder = root.appendingPathComponent(stage)
        let file = folder.appendingPathComponent("summary.json")
        let result: Result<[String: Value], ClaimFailure>
        if FileSystem.kind(folder.path) != .directory {
            result = .failure(ClaimFailure("no stage folder \(stage)/ in the run folder \(root.path) (stage `\(stage)` did not run or did not finish)"))
        } else if FileSystem.kind(file.path) != .file {
            result = .failure(ClaimFailure("stage `\(stage)` wrote no summary.json (no \(stage)/summary.json in \(root.path))"))
        } else if let text = FileSystem.readSmallFile(file.path), let object = (try? JSONReader.parse(text))?.objectValue {
            result = .success(object)
        } else {
            result = .failure(ClaimFailure("\(stage)/summary.json is not a JSON object (damaged?); run stage `\(stage)` again with --rerun \(stage)"))
        }
        summaries[stage] = result
        return result
    }
}

/// The metrics of a sweep: `<stage>.<path>` is the list of group means in aggregate.csv's column
/// `<stage>.<path>.mean`, one per group, in the aggregate's order (a reference that ends in `.mean`, `.std` or
/// `.stderr` may also name that column itself); a selector keeps the groups whose axis values match.
struct SweepMetrics: ClaimSource {
    let table: CSVTable
    /// The axis columns naming a group (the columns before `n`).
    let groupColumns: [String]

    init(aggregate: CSVTable, groupColumns: [String]) {
        table = aggregate
        self.groupColumns = groupColumns
    }

    static let file = SweepResults.aggregateFileName

    mutating func resolve(_ m: MetricReference) -> ResolvedMetric {
        var column = m.dotted + ".mean"
        if table.columnIndex(column) == nil, let last = m.path.last, ["mean", "std", "stderr"].contains(last),
           table.columnIndex(m.dotted) != nil {
            column = m.dotted
        }
        guard let index = table.columnIndex(column) else {
            let metrics = table.columns.filter { $0.hasPrefix(m.stage + ".") && $0.hasSuffix(".mean") }
                .map { String($0.dropLast(5)) }
            return .missing("no column `\(column)` in \(Self.file); " + (metrics.isEmpty
                ? "it has no metric of stage `\(m.stage)` (did a point finish it? text and lists are not aggregated)"
                : "metrics of stage `\(m.stage)`: \(listed(metrics)) (text and lists are not aggregated: compare a number or "
                  + "a boolean, e.g. `times.silent_alignment == true` rather than `times.verdict == holds`)"))
        }
        var rows = Array(table.rows.indices)
        for selection in m.selector {
            guard groupColumns.contains(selection.axis), let axis = table.columnIndex(selection.axis) else {
                let averaged = selection.axis == ClaimExpression.groupedOver ? " (the aggregate averages over it)" : ""
                return .missing("`\(selection.axis)` is not a group column of \(Self.file)\(averaged); "
                                + (groupColumns.isEmpty ? "it has none" : "group columns: \(groupColumns.joined(separator: ", "))"))
            }
            rows = rows.filter { Self.matches(table.rows[$0][axis], selection.value) }
        }
        if rows.isEmpty {
            let wanted = m.selector.map { "\($0.axis)=\($0.value)" }.joined(separator: ", ")
            let known = m.selector.compactMap { s in
                table.column(s.axis).map { "\(s.axis): \(listed(distinct($0)))" }
            }.joined(separator: "; ")
            return .missing(table.rows.isEmpty ? "\(Self.file) has no groups" : "no group of \(Self.file) has \(wanted) (\(known))")
        }
        let means = rows.map { Double(table.rows[$0][index]) }
        let groups = rows.map { row in
            Dictionary(uniqueKeysWithValues: groupColumns.compactMap { c in table[row, c].map { (c, $0) } })
        }
        let value = Value.list(means.map { $0.map(Value.double) ?? .null })
        if let missing = means.firstIndex(where: { $0 == nil }) {
            let group = groupColumns.map { "\($0)=\(groups[missing][$0] ?? "")" }.joined(separator: ", ")
            return .missing("`\(column)` is empty for the group \(group.isEmpty ? "of the sweep" : group) (no finished point of it has a value)",
                            value: value)
        }
        return ResolvedMetric(value: value, operand: .list(means.map { $0! }), groups: groups, error: nil)
    }

    /// An axis cell matches a selector value as numbers when both are numbers, else as text (the cell is the value's
    /// YAML text, so a quoted YAML string matches its content too).
    static func matches(_ cell: String, _ value: String) -> Bool {
        if let a = Double(cell), let b = Double(value) { return a == b }
        return cell == value || cell == jsonQuoted(value)
    }

    private func distinct(_ cells: [String]) -> [String] {
        var seen = Set<String>()
        return cells.filter { seen.insert($0).inserted }
    }
}

/// Why a claim could not be evaluated (a message for its `error`).
struct ClaimFailure: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
