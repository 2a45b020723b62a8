import Foundation

/// Evaluates claims on a finished run folder (its stages' summary.json) or on a sweep's aggregate (its group
/// means), giving a `ClaimsReport`.
///
/// A claim holds when its check is true. Comparisons between lists (a sweep's group means) hold when they hold for
/// every pair of elements, a single value standing for every element; lists of different lengths are an error.
/// Booleans count as 1 and 0; strings compare with `==` and `!=` only, and only with strings. A claim whose
/// metric is missing, or whose evaluation fails, does not hold and has an `error`.
public enum ClaimEvaluator {
    /// The claims evaluated on the run folder `root`: each `<stage>.<path>` read from `<stage>/summary.json`; a
    /// stage that did not finish in the run (by its manifest.json) has no metrics.
    public static func evaluate(_ claims: [Claim], runFolder root: URL) -> ClaimsReport {
        var source = RunMetrics(root: root, stages: RunMetrics.manifestStages(root))
        return ClaimsReport(claims: claims.map { outcome($0.that, .success($0.expression), source: &source) })
    }

    /// The claims evaluated on a sweep's aggregate: each metric is the list of group means (aggregate.csv's
    /// `<metric>.mean` column); `groupColumns` are the axis columns naming a group (those before `n`).
    public static func evaluate(_ claims: [Claim], aggregate: CSVTable, groupColumns: [String]) -> ClaimsReport {
        var source = SweepMetrics(aggregate: aggregate, groupColumns: groupColumns)
        return ClaimsReport(claims: claims.map { outcome($0.that, .success($0.expression), source: &source) })
    }

    /// Claims as a folder stores them, parsed again; one whose check does not parse does not hold.
    static func outcomes<S: ClaimSource>(_ stored: [StoredClaim], source: inout S) -> ClaimsReport {
        ClaimsReport(claims: stored.map { claim in
            let parsed: Result<ClaimExpression, ClaimExpression.Problem>
            do throws(ClaimExpression.Problem) { parsed = .success(try ClaimExpression(parsing: claim.check)) } catch {
                parsed = .failure(error)
            }
            return outcome(claim.that, parsed, check: claim.check, source: &source)
        })
    }

    static func outcome<S: ClaimSource>(_ that: String, _ parsed: Result<ClaimExpression, ClaimExpression.Problem>,
                                        check: String? = nil, source: inout S) -> ClaimOutcome {
        let expression: ClaimExpression
        switch parsed {
        case .success(let e): expression = e
        case .failure(let problem):
            return ClaimOutcome(that: that, check: check ?? "", holds: false, values: [:],
                                error: "the check does not parse: \(problem)", shown: check ?? "")
        }
        var metrics: [String: ResolvedMetric] = [:]
        var errors: [String] = []
        for reference in expression.metrics where metrics[reference.text] == nil {
            let resolved = source.resolve(reference)
            metrics[reference.text] = resolved
            if let error = resolved.error, !errors.contains(error) { errors.append(error) }
        }
        let values = metrics.mapValues(\.value)
        let shown = Self.shown(expression, values: values)
        guard errors.isEmpty else {
            return ClaimOutcome(that: that, check: expression.text, holds: false, values: values,
                                error: errors.joined(separator: "; "), shown: shown)
        }
        do throws(ClaimFailure) {
            let evaluation = Evaluation(expression: expression, metrics: metrics)
            guard case .bool(let holds) = try evaluation.value(expression.root) else {
                throw ClaimFailure("the check is not a comparison")
            }
            return ClaimOutcome(that: that, check: expression.text, holds: holds, values: values, error: nil, shown: shown)
        } catch {
            return ClaimOutcome(that: that, check: expression.text, holds: false, values: values, error: error.message,
                                shown: shown)
        }
    }

    /// The check with each metric's value after it: `times.t_align = 12 < times.t_half = 40`.
    static func shown(_ expression: ClaimExpression, values: [String: Value]) -> String {
        var out = ""
        var position = 0
        let text = expression.text
        for reference in expression.metrics.sorted(by: { $0.range.lowerBound < $1.range.lowerBound })
        where reference.range.lowerBound >= position {
            out += expression.source(position..<reference.range.upperBound)
            out += " = " + display(values[reference.text] ?? .null)
            position = reference.range.upperBound
        }
        out += expression.source(position..<text.unicodeScalars.count)
        return out
    }

    /// A value as the printed line shows it: numbers with 4 significant digits (integers whole), lists of at most
    /// 8 elements, `?` for a missing value.
    static func display(_ value: Value) -> String {
        switch value {
        case .null: return "?"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return display(d)
        case .string(let s): return value.doubleValue.map(display) ?? s
        case .list(let items):
            let shown = items.prefix(8).map(display)
            return "[" + shown.joined(separator: ", ") + (items.count > 8 ? ", … (\(items.count) values)" : "") + "]"
        case .object: return "{…}"
        }
    }

    static func display(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return String(format: "%.4g", d)
    }
}

/// The evaluation of one check, its metrics resolved.
private struct Evaluation {
    typealias Node = ClaimExpression.Node
    let expression: ClaimExpression
    let metrics: [String: ResolvedMetric]

    /// Numbers: one, or a list (a single-element list stands for every element of another list).
    enum Numbers {
        case scalar(Double)
        case list([Double])
    }

    func text(_ node: Node) -> String { expression.source(node.range) }

    func value(_ node: Node) throws(ClaimFailure) -> ClaimOperand {
        switch node.kind {
        case .number(let x): return .number(x)
        case .text(let s): return .text(s)
        case .bool(let b): return .bool(b)
        case .axis(let a): return .text(a)
        case .metric(let m):
            guard let operand = metrics[m.text]?.operand else { throw ClaimFailure("`\(m.text)` has no value") }
            return operand
        case .negate(let x):
            return operand(map(try numbers(x)) { -$0 })
        case .arithmetic(let op, let a, let b):
            let f: (Double, Double) -> Double = switch op {
            case .add: (+)
            case .subtract: (-)
            case .multiply: (*)
            case .divide: (/)
            }
            return operand(try combine(a, b, f))
        case .comparison(let op, let a, let b):
            return .bool(try compare(op, a, b))
        case .all(let items):
            var holds = true
            for item in items {
                guard case .bool(let b) = try value(item) else {
                    throw ClaimFailure("`\(text(item))` is not a comparison")
                }
                holds = holds && b
            }
            return .bool(holds)
        case .call(let f, let arguments):
            return try call(f, arguments, node)
        }
    }

    func operand(_ n: Numbers) -> ClaimOperand {
        switch n {
        case .scalar(let x): .number(x)
        case .list(let xs): .list(xs)
        }
    }

    func numbers(_ node: Node) throws(ClaimFailure) -> Numbers {
        switch try value(node) {
        case .number(let x): return .scalar(x)
        case .bool(let b): return .scalar(b ? 1 : 0)
        case .list(let xs): return .list(xs)
        case .text(let s): throw ClaimFailure("\(describe(node, .text(s))), not a number")
        }
    }

    /// "`x.y` is the string `abc`", "`holds` is a string", "`x.y` is a number": what an operand is, for messages.
    func describe(_ node: Node, _ operand: ClaimOperand) -> String {
        let written = text(node)
        switch operand {
        case .text(let s): return written == s || written.dropFirst().dropLast() == s ? "`\(written)` is a string" : "`\(written)` is the string `\(s)`"
        case .number: return "`\(written)` is a number"
        case .bool: return "`\(written)` is a bool"
        case .list: return "`\(written)` is a list of numbers"
        }
    }

    func map(_ n: Numbers, _ f: (Double) -> Double) -> Numbers {
        switch n {
        case .scalar(let x): .scalar(f(x))
        case .list(let xs): .list(xs.map(f))
        }
    }

    /// The pairs of elements of two operands: element-wise for two lists of one length, a single value paired with
    /// every element of the other.
    func pairs(_ a: Node, _ x: Numbers, _ b: Node, _ y: Numbers) throws(ClaimFailure) -> (pairs: [(Double, Double)], list: Bool) {
        switch (x, y) {
        case (.scalar(let p), .scalar(let q)): return ([(p, q)], false)
        case (.scalar(let p), .list(let qs)): return (qs.map { (p, $0) }, true)
        case (.list(let ps), .scalar(let q)): return (ps.map { ($0, q) }, true)
        case (.list(let ps), .list(let qs)):
            if ps.count == qs.count { return (Array(zip(ps, qs)), true) }
            if ps.count == 1 { return (qs.map { (ps[0], $0) }, true) }
            if qs.count == 1 { return (ps.map { ($0, qs[0]) }, true) }
            throw ClaimFailure("`\(text(a))` has \(ps.count) values and `\(text(b))` has \(qs.count): lists compare "
                               + "element by element, so they need one length (or one of them a single value)")
        }
    }

    func combine(_ a: Node, _ b: Node, _ f: (Double, Double) -> Double) throws(ClaimFailure) -> Numbers {
        let (x, y) = (try numbers(a), try numbers(b))
        let (pairs, list) = try pairs(a, x, b, y)
        let results = pairs.map { f($0.0, $0.1) }
        return list ? .list(results) : .scalar(results[0])
    }

    func compare(_ op: ClaimExpression.ComparisonOperator, _ a: Node, _ b: Node) throws(ClaimFailure) -> Bool {
        let (x, y) = (try value(a), try value(b))
        switch (x, y) {
        case (.text(let s), .text(let t)):
            guard op.isEquality else {
                throw ClaimFailure("strings compare with `==` and `!=` only, not `\(op.rawValue)` (`\(text(a))` and `\(text(b))`)")
            }
            return (s == t) == (op == .equal)
        case (.text, _), (_, .text):
            throw ClaimFailure("\(describe(a, x)) and \(describe(b, y)): a string compares only with a string")
        default:
            let (pairs, _) = try pairs(a, try numbers(a), b, try numbers(b))
            guard !pairs.isEmpty else { throw ClaimFailure("`\(text(a)) \(op.rawValue) \(text(b))` compares an empty list") }
            return pairs.allSatisfy { p, q in
                switch op {
                case .less: p < q
                case .lessOrEqual: p <= q
                case .greater: p > q
                case .greaterOrEqual: p >= q
                case .equal: p == q
                case .notEqual: p != q
                }
            }
        }
    }

    func call(_ f: ClaimFunction, _ arguments: [Node], _ node: Node) throws(ClaimFailure) -> ClaimOperand {
        switch f {
        case .abs: return operand(map(try numbers(arguments[0])) { Swift.abs($0) })
        case .log: return operand(map(try numbers(arguments[0])) { Foundation.log($0) })
        case .min, .max, .mean:
            let xs: [Double]
            switch try numbers(arguments[0]) {
            case .scalar(let x): return .number(x)
            case .list(let list): xs = list
            }
            guard !xs.isEmpty else { throw ClaimFailure("\(f.rawValue)(\(text(arguments[0]))) of an empty list") }
            switch f {
            case .min: return .number(xs.min()!)
            case .max: return .number(xs.max()!)
            default: return .number(xs.reduce(0, +) / Double(xs.count))
            }
        case .increasing, .decreasing:
            guard case .metric(let m) = arguments[0].kind, case .axis(let axis) = arguments[1].kind else {
                throw ClaimFailure("\(f.rawValue)(…) takes a metric and a swept axis")
            }
            return .bool(try ordered(m, by: axis, increasing: f == .increasing))
        }
    }

    /// Whether the metric's group means, ordered by the axis's values, strictly increase (or decrease) within each
    /// combination of the other group columns.
    ///
    /// The values are ordered as numbers when every one is a number, otherwise in the order the sweep lists them
    /// (aggregate.csv's group order), so a list-valued axis such as `model.hidden: [[64], [64, 64]]` orders by
    /// position. A column that moves in step with the axis (a `zip:` partner: one value per axis value) is not an
    /// "other" column. Fewer than two groups to compare is an error rather than a vacuous truth.
    func ordered(_ m: MetricReference, by axis: String, increasing: Bool) throws(ClaimFailure) -> Bool {
        guard let resolved = metrics[m.text], case .list(let means)? = resolved.operand, let groups = resolved.groups else {
            throw ClaimFailure("\(increasing ? "increasing" : "decreasing")(…) orders the groups of a sweep, but this is a single run")
        }
        var cells: [String] = []
        for group in groups {
            guard let cell = group[axis] else {
                throw ClaimFailure("`\(axis)` is not a group column of \(SweepMetrics.file); group columns: "
                                   + group.keys.sorted().joined(separator: ", "))
            }
            cells.append(cell)
        }
        let numeric = cells.allSatisfy { Double($0) != nil }
        var position: [String: Double] = [:]
        for cell in cells where position[cell] == nil { position[cell] = Double(position.count) }
        // Columns in step with the axis: each axis value sees a single value of the column.
        let columns = Set(groups.flatMap(\.keys)).subtracting([axis])
        let partners = Set(columns.filter { column in
            var seen: [String: String] = [:]
            for (cell, group) in zip(cells, groups) {
                let v = group[column] ?? ""
                if let previous = seen[cell], previous != v { return false }
                seen[cell] = v
            }
            return true
        })
        var partitions: [[String]: [(x: Double, mean: Double)]] = [:]
        var order: [[String]] = []
        for ((mean, group), cell) in zip(zip(means, groups), cells) {
            let x = numeric ? Double(cell)! : position[cell]!
            let others = group.keys.sorted().filter { $0 != axis && !partners.contains($0) }.map { "\($0)=\(group[$0]!)" }
            if partitions[others] == nil { order.append(others) }
            partitions[others, default: []].append((x, mean))
        }
        guard order.contains(where: { partitions[$0]!.count > 1 }) else {
            throw ClaimFailure("`\(axis)` has a single value in every group of \(SweepMetrics.file), so there is nothing to order")
        }
        for key in order {
            let points = partitions[key]!.sorted { $0.x < $1.x }
            for (a, b) in zip(points, points.dropFirst()) where increasing ? !(a.mean < b.mean) : !(a.mean > b.mean) {
                return false
            }
        }
        return true
    }
}
