import Foundation

/// A table of text cells under named columns: what sweep.csv, aggregate.csv and the curve files hold.
///
/// `csvText` writes RFC 4180 CSV: a header row, then one record per row; a field containing `,`, `"`, CR or LF
/// is quoted, with `"` doubled inside. Records end with LF (as metrics.csv does; pandas, Python's `csv` module and
/// spreadsheets read LF and CRLF alike). `init(csv:)` reads such text back.
public struct CSVTable: Sendable, Equatable {
    public var columns: [String]
    /// Each row has one cell per column.
    public var rows: [[String]]

    public init(columns: [String] = [], rows: [[String]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// The index of column `name`.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex(of: name) }

    /// The cells of column `name`, top to bottom (nil when there is no such column).
    public func column(_ name: String) -> [String]? {
        columnIndex(name).map { i in rows.map { $0[i] } }
    }

    /// The cell of `row` in column `name`.
    public subscript(row: Int, column: String) -> String? {
        guard rows.indices.contains(row), let i = columnIndex(column) else { return nil }
        return rows[row][i]
    }

    /// The table as RFC 4180 CSV text (header row always; LF line ends).
    public var csvText: String {
        var text = CSVTable.record(columns)
        for row in rows { text += CSVTable.record(row) }
        return text
    }

    /// One CSV record with its line end.
    static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// A field as RFC 4180 writes it: quoted when it holds `,`, `"`, CR or LF.
    public static func field(_ text: String) -> String {
        let special = text.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
        return special ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// Reads RFC 4180 text: the first record is the header, every other record must have as many fields.
    /// Records end with LF, CRLF or CR; blank lines are skipped (as pandas does); a UTF-8 byte order mark is
    /// ignored. Throws `CSVReader.Failure` naming the line.
    public init(csv text: String) throws {
        var reader = CSVReader(text)
        guard let header = try reader.next() else { throw CSVReader.Failure(line: 1, problem: "no header row") }
        var rows: [[String]] = []
        while let record = try reader.next() {
            guard record.count == header.count else {
                throw CSVReader.Failure(line: reader.recordLine, problem: "\(record.count) fields where the header "
                                        + "has \(header.count)")
            }
            rows.append(record)
        }
        self.init(columns: header, rows: rows)
    }
}

/// Reads RFC 4180 records one at a time from CSV text (see `CSVTable.init(csv:)`), so a long file need not be
/// held as a table.
struct CSVReader {
    struct Failure: Error, Sendable, CustomStringConvertible {
        /// The line (1-based) of the offending record.
        let line: Int
        let problem: String
        var description: String { "line \(line): \(problem)" }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    /// The line on which the record last returned by `next()` starts.
    private(set) var recordLine = 1

    init(_ text: String) { self.init(bytes: Array(text.utf8)) }

    /// CSV bytes (UTF-8; invalid sequences in a field become U+FFFD).
    init(bytes: [UInt8]) {
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        self.bytes = bytes
    }

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr: UInt8 = 0x0D, lf: UInt8 = 0x0A

    /// The next record's fields, or nil at the end of the text.
    mutating func next() throws -> [String]? {
        // Blank lines are no records.
        while index < bytes.count, bytes[index] == Self.lf || bytes[index] == Self.cr { endLine() }
        guard index < bytes.count else { return nil }
        recordLine = line
        var fields: [String] = []
        while true {
            fields.append(try field())
            guard index < bytes.count else { return fields }
            switch bytes[index] {
            case Self.comma: index += 1
            default: endLine(); return fields  // CR or LF: `field()` stops only at these, a comma or the end
            }
        }
    }

    /// Steps over one line end (LF, CRLF or CR).
    private mutating func endLine() {
        if bytes[index] == Self.cr, index + 1 < bytes.count, bytes[index + 1] == Self.lf { index += 1 }
        index += 1
        line += 1
    }

    /// One field, leaving the cursor at the comma, line end or end of text after it.
    private mutating func field() throws -> String {
        guard index < bytes.count, bytes[index] == Self.quote else {
            let start = index
            while index < bytes.count, bytes[index] != Self.comma, bytes[index] != Self.cr, bytes[index] != Self.lf {
                if bytes[index] == Self.quote {
                    throw Failure(line: line, problem: "a `\"` inside a field that is not quoted (quote the field "
                                  + "and double the `\"`)")
                }
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        let openedOn = line
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else {
                throw Failure(line: openedOn, problem: "a quoted field is not closed")
            }
            let b = bytes[index]
            if b == Self.quote {
                if index + 1 < bytes.count, bytes[index + 1] == Self.quote {
                    out.append(Self.quote)
                    index += 2
                    continue
                }
                index += 1
                guard index == bytes.count || [Self.comma, Self.cr, Self.lf].contains(bytes[index]) else {
                    throw Failure(line: line, problem: "text after the closing `\"` of a quoted field")
                }
                return String(decoding: out, as: UTF8.self)
            }
            if b == Self.lf || (b == Self.cr && !(index + 1 < bytes.count && bytes[index + 1] == Self.lf)) { line += 1 }
            out.append(b)
            index += 1
        }
    }
}
