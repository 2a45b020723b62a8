/// The cell text of a summary value in sweep.csv, and the number the aggregate takes from it.
///
/// Integers are written as integers, other numbers in Swift's shortest round-trip form (`0.93`, `120.0`,
/// `1e-05`), booleans as `1`/`0`, strings as their text. NaN and infinities (also the strings `"nan"`, `"inf"`,
/// `"-inf"`, as summaries write them) are empty cells, which pandas reads as NaN; the aggregate leaves them out.
struct SweepCell: Sendable, Equatable {
    var text: String
    /// The value as a number (`nil` for text, and for NaN and infinities).
    var number: Double?
    /// The value is a number or boolean (finite or not): its column is a metric the aggregate summarises.
    var isNumeric: Bool

    /// The cell of a summary value; nil for values sweep.csv leaves out (lists, null, objects).
    init?(_ value: Value) {
        switch value {
        case .int(let i): self.init(text: String(i), number: Double(i), isNumeric: true)
        case .double(let d): self.init(number: d)
        case .bool(let b): self.init(text: b ? "1" : "0", number: b ? 1 : 0, isNumeric: true)
        case .string(let s):
            if let d = value.doubleValue, !d.isFinite { self.init(number: d) } else {
                self.init(text: s, number: nil, isNumeric: false)
            }
        case .null, .list, .object: return nil
        }
    }

    init(text: String, number: Double?, isNumeric: Bool) {
        self.text = text
        self.number = number
        self.isNumeric = isNumeric
    }

    /// A number's cell.
    init(number d: Double) {
        self.init(text: SweepCell.text(d), number: d.isFinite ? d : nil, isNumeric: true)
    }

    /// A number as the sweep's CSV files write it: shortest round-trip form, empty for NaN and infinities.
    static func text(_ d: Double) -> String { d.isFinite ? "\(d)" : "" }

    /// The optional number's text ("" when absent).
    static func text(_ d: Double?) -> String { d.map(text) ?? "" }
}

/// A metric column of sweep.csv: `<stage>.<key>`, or `<stage>.<key>.<member>` for a member of an object.
struct MetricColumn: Hashable, Sendable {
    var stage: String
    var key: String
    var member: String?

    var name: String { [stage, key, member].compactMap { $0 }.joined(separator: ".") }

    /// Order within a stage: by key, then the key's own value before its members, members sorted.
    static func withinStage(_ a: MetricColumn, _ b: MetricColumn) -> Bool {
        if a.key != b.key { return a.key < b.key }
        switch (a.member, b.member) {
        case (nil, nil), (_?, nil): return false
        case (nil, _?): return true
        case (let x?, let y?): return x < y
        }
    }

    /// The cells of one stage's summary: scalars as `<stage>.<key>`, an object's numeric and boolean members
    /// (one level) as `<stage>.<key>.<member>`; lists, null and deeper values are left out.
    static func cells(stage: String, summary: [String: Value]) -> [(column: MetricColumn, cell: SweepCell)] {
        var out: [(column: MetricColumn, cell: SweepCell)] = []
        for (key, value) in summary {
            if let members = value.objectValue {
                for (member, inner) in members {
                    guard let cell = SweepCell(inner), cell.isNumeric else { continue }
                    out.append((MetricColumn(stage: stage, key: key, member: member), cell))
                }
            } else if let cell = SweepCell(value) {
                out.append((MetricColumn(stage: stage, key: key, member: nil), cell))
            }
        }
        return out
    }
}
