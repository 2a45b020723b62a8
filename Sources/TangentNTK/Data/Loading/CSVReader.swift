import Foundation
import TangentCore

/// Reads comma-separated numbers: one sample per line, the same number of values on every line.
///
/// - The first non-blank line is a header when any of its cells is not a number; its names are kept.
/// - Blank (or whitespace-only) lines are skipped; `\n` and `\r\n` line ends, a final newline or none, a UTF-8
///   byte-order mark and spaces around cells are all accepted. A cell may be wrapped in double quotes.
/// - Numbers are what Swift's `Double(_:)` accepts: `3`, `-0.5`, `1e-3`, `nan`, `inf`.
/// - A line with another number of cells than the first is `.raggedRows` (naming both lines and counts); a cell
///   that is not a number is `.notNumeric` (naming the line, the column and the cell's text). Lines and columns
///   count from 1, as editors show them.
public enum CSVReader {
    /// A parsed file: the header's names (nil without a header) and the values, one row per data line.
    public struct Table: Sendable, Equatable {
        public var header: [String]?
        public var matrix: Matrix<Double>
    }

    /// Parses CSV bytes; `source` names the file in errors.
    public static func parse(_ data: Data, source: String) throws -> Table {
        let bytes = [UInt8](data)
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0  // UTF-8 byte-order mark
        var lineNumber = 0
        var header: [String]?
        var columns: Int?       // cells per row, fixed by the first non-blank line
        var firstLine = 0       // the line that fixed it
        var values: [Double] = []
        var rows = 0
        while start < bytes.count {
            lineNumber += 1
            var end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let next = end + 1
            if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            defer { start = next }
            let cells = splitCells(bytes, start..<end)
            if cells.count == 1, cells[0].isEmpty { continue }  // blank line
            if let expected = columns {
                guard cells.count == expected else {
                    let first = header == nil ? "line \(firstLine)" : "the header (line \(firstLine))"
                    throw DataFileError(.raggedRows,
                                        "line \(lineNumber) has \(cells.count) column\(cells.count == 1 ? "" : "s") but "
                                        + "\(first) has \(expected): every row needs the same number of "
                                        + "comma-separated values", source: source)
                }
            } else {
                columns = cells.count
                firstLine = lineNumber
                let numbers = cells.map { number(bytes, $0) }
                if numbers.contains(where: { $0 == nil }) {
                    header = cells.map { text(bytes, $0) }
                    continue
                }
            }
            for (column, cell) in cells.enumerated() {
                guard let value = number(bytes, cell) else {
                    let shown = cell.isEmpty ? "the cell is empty" : "`\(text(bytes, cell, limit: 60))` is not a number"
                    throw DataFileError(.notNumeric,
                                        "line \(lineNumber), column \(column + 1): \(shown). Every cell must be a "
                                        + "number; only the first row may be a header of names", source: source)
                }
                values.append(value)
            }
            rows += 1
        }
        guard let columns else {
            throw DataFileError(.corrupt, "the file holds no rows (it is empty or blank)", source: source)
        }
        do {
            return Table(header: header, matrix: try Matrix(rows: rows, columns: columns, elements: values))
        } catch {
            throw DataFileError(.corrupt, "\(values.count) values do not form \(rows) rows of \(columns)", source: source)
        }
    }

    /// Reads a CSV file (see `parse`).
    public static func read(path: String) throws -> Table {
        try parse(try ArrayFileReader.contents(of: path), source: path)
    }

    // MARK: - Internals

    private static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\"")

    /// The cells of one line as byte ranges, trimmed of spaces and of one pair of surrounding double quotes.
    /// Commas inside double quotes do not split.
    private static func splitCells(_ bytes: [UInt8], _ line: Range<Int>) -> [Range<Int>] {
        var cells: [Range<Int>] = []
        var cellStart = line.lowerBound
        var quoted = false
        for i in line {
            let b = bytes[i]
            if b == quote { quoted.toggle() } else if b == comma && !quoted {
                cells.append(trim(bytes, cellStart..<i))
                cellStart = i + 1
            }
        }
        cells.append(trim(bytes, cellStart..<line.upperBound))
        return cells
    }

    private static func trim(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
        while lo < hi, isSpace(bytes[lo]) { lo += 1 }
        while hi > lo, isSpace(bytes[hi - 1]) { hi -= 1 }
        if hi - lo >= 2, bytes[lo] == quote, bytes[hi - 1] == quote { lo += 1; hi -= 1 }
        return lo..<hi
    }

    private static func number(_ bytes: [UInt8], _ cell: Range<Int>) -> Double? {
        guard !cell.isEmpty else { return nil }
        return Double(String(decoding: bytes[cell], as: UTF8.self))
    }

    /// The cell's text (`""` inside quotes becomes `"`), cut to `limit` characters for messages.
    private static func text(_ bytes: [UInt8], _ cell: Range<Int>, limit: Int = .max) -> String {
        let full = String(decoding: bytes[cell], as: UTF8.self).replacingOccurrences(of: "\"\"", with: "\"")
        return full.count <= limit ? full : full.prefix(limit) + "..."
    }
}
