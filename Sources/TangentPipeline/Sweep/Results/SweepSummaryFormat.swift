import Foundation

/// How `tangent sweep summary` shows a sweep's aggregate.
public enum SweepSummaryFormat: String, Sendable, CaseIterable {
    /// An aligned text table for a terminal: statistics with 4 significant digits; a table wider than the line
    /// shows only the group columns, `n` and each metric's `mean ± stderr`, in as many blocks as needed.
    case table
    /// aggregate.csv as it is.
    case csv
    /// A JSON list with one object per group, keys in column order; cells that are numbers are JSON numbers,
    /// empty cells null, other cells strings.
    case json
}

extension SweepTables {
    /// The aggregate in `format`; `width` is the widest line a text table may take before it folds. A text
    /// table leaves out metrics that are the same in every group with no spread (the data size, a fixed
    /// parameter echoed in a summary), saying how many, unless `all`.
    public func renderAggregate(as format: SweepSummaryFormat, width: Int = 100, all: Bool = false) -> String {
        switch format {
        case .csv: aggregate.csvText
        case .json: AggregateJSON.render(aggregate)
        case .table: AggregateText(tables: all ? self : withoutConstantMetrics.tables).render(width: width)
            + (all || withoutConstantMetrics.hidden == 0 ? ""
                : "\n(\(withoutConstantMetrics.hidden) metric\(withoutConstantMetrics.hidden == 1 ? "" : "s") constant across the sweep not shown; --all shows them)\n")
        }
    }

    /// These tables with the aggregate's constant metrics left out (the same mean in every group, and no stderr
    /// other than 0), and how many were left out.
    var withoutConstantMetrics: (tables: SweepTables, hidden: Int) {
        let table = aggregate
        let constant = Set(aggregateMetrics.filter { metric in
            let means = table.column("\(metric).mean") ?? []
            let errors = table.column("\(metric).stderr") ?? []
            return Set(means).count <= 1 && errors.allSatisfy { $0.isEmpty || Double($0) == 0 }
        })
        guard !constant.isEmpty else { return (self, 0) }
        var copy = self
        let dropped = Set(constant.flatMap { ["\($0).mean", "\($0).std", "\($0).stderr"] })
        let keep = table.columns.indices.filter { !dropped.contains(table.columns[$0]) }
        copy.aggregate = CSVTable(columns: keep.map { table.columns[$0] }, rows: table.rows.map { row in keep.map { row[$0] } })
        return (copy, constant.count)
    }
}

/// The aggregate as JSON text.
enum AggregateJSON {
    static func render(_ table: CSVTable) -> String {
        guard !table.rows.isEmpty else { return "[]\n" }
        let objects = table.rows.map { row in
            "  {" + zip(table.columns, row).map { jsonQuoted($0) + ": " + value($1) }.joined(separator: ", ") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    /// A cell as a JSON value: null when empty, the number when it is one by JSON's grammar, else a string.
    static func value(_ cell: String) -> String {
        if cell.isEmpty { return "null" }
        return isJSONNumber(cell) ? cell : jsonQuoted(cell)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        func digits() -> Int {
            var count = 0
            while let b = bytes.first, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { bytes.removeFirst(); count += 1 }
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes.removeFirst() }
        if bytes.first == UInt8(ascii: "0") { bytes.removeFirst() } else if digits() == 0 { return false }
        if bytes.first == UInt8(ascii: ".") {
            bytes.removeFirst()
            if digits() == 0 { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes.removeFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes.removeFirst() }
            if digits() == 0 { return false }
        }
        return bytes.isEmpty
    }
}

/// The aggregate as an aligned text table.
struct AggregateText {
    let tables: SweepTables

    /// One column of text: header, cells, alignment.
    struct Column {
        var header: String
        var cells: [String]
        var rightAligned: Bool
        var width: Int { cells.reduce(header.count) { max($0, $1.count) } }
    }

    func render(width: Int) -> String {
        let table = tables.aggregate
        let metrics = tables.aggregateMetrics
        let fixedCount = table.columnIndex("n").map { $0 + 1 } ?? table.columns.count
        let fixed = (0..<fixedCount).map { i in column(table.columns[i], table.rows.map { $0[i] }, formatted: false) }

        let full = fixed + (fixedCount..<table.columns.count).map { i in
            column(table.columns[i], table.rows.map { $0[i] }, formatted: true)
        }
        let fullText = lines(full, rows: table.rows.count)
        if fullText.allSatisfy({ $0.count <= width }) || metrics.isEmpty { return fullText.joined(separator: "\n") + "\n" }

        // Folded: each metric as one `mean ± stderr` column, in blocks that fit the width.
        let folded = metrics.map { metric in
            let means = table.column("\(metric).mean") ?? [], errors = table.column("\(metric).stderr") ?? []
            let cells = zip(means, errors).map { mean, error in
                mean.isEmpty ? "" : error.isEmpty ? Self.short(mean) : "\(Self.short(mean)) ± \(Self.short(error))"
            }
            return Column(header: metric, cells: cells, rightAligned: true)
        }
        let fixedWidth = fixed.reduce(0) { $0 + $1.width + 2 }
        var blocks: [[Column]] = [[]]
        var used = fixedWidth
        for column in folded {
            if !blocks[blocks.count - 1].isEmpty, used + column.width > width {
                blocks.append([])
                used = fixedWidth
            }
            blocks[blocks.count - 1].append(column)
            used += column.width + 2
        }
        return blocks.map { lines(fixed + $0, rows: table.rows.count).joined(separator: "\n") + "\n" }
            .joined(separator: "\n")
    }

    /// A column; `formatted` cells (statistics) are shortened to 4 significant digits.
    func column(_ header: String, _ cells: [String], formatted: Bool) -> Column {
        let shown = formatted ? cells.map(Self.short) : cells
        let numeric = cells.allSatisfy { $0.isEmpty || AggregateJSON.isJSONNumber($0) }
        return Column(header: header, cells: shown, rightAligned: numeric)
    }

    /// Header, a rule and the rows, columns two spaces apart, trailing spaces trimmed.
    func lines(_ columns: [Column], rows: Int) -> [String] {
        let widths = columns.map(\.width)
        func line(_ texts: [String]) -> String {
            var text = ""
            for (i, column) in columns.enumerated() {
                let padding = String(repeating: " ", count: widths[i] - texts[i].count)
                text += (i == 0 ? "" : "  ") + (column.rightAligned ? padding + texts[i] : texts[i] + padding)
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return [line(columns.map(\.header)), line(widths.map { String(repeating: "-", count: $0) })]
            + (0..<rows).map { row in line(columns.map { $0.cells[row] }) }
    }

    /// A number with 4 significant digits (`%.4g`); other text as it is.
    static func short(_ cell: String) -> String {
        guard AggregateJSON.isJSONNumber(cell), let value = Double(cell) else { return cell }
        return String(format: "%.4g", value)
    }
}
