/// A JSON-like value: validated stage parameters, summaries and manifest entries.
///
/// `canonicalJSON` is the deterministic serialization used for cache keys and files: object keys sorted, floats
/// in shortest round-trip form (always with a `.` or exponent), no whitespace.
public indirect enum Value: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case object([String: Value])

    public var intValue: Int? { if case .int(let v) = self { v } else { nil } }
    /// The number (the strings "nan", "inf" and "-inf", as summaries write non-finite numbers, included).
    public var doubleValue: Double? {
        switch self {
        case .double(let v): v
        case .int(let v): Double(v)
        case .string("nan"): .nan
        case .string("inf"): .infinity
        case .string("-inf"): -.infinity
        default: nil
        }
    }
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    public var listValue: [Value]? { if case .list(let v) = self { v } else { nil } }
    public var objectValue: [String: Value]? { if case .object(let v) = self { v } else { nil } }
    public var isNull: Bool { self == .null }

    public subscript(key: String) -> Value? { objectValue?[key] }

    /// Deterministic compact JSON (sorted keys).
    public var canonicalJSON: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        // JSON has no NaN or infinity: they are the strings numpy prints ("nan", "inf", "-inf"), which
        // Python's float() reads back, as metrics.csv writes them.
        case .double(let d): return d.isFinite ? formatDouble(d) : "\"\(formatNumber(d))\""
        case .string(let s): return jsonQuoted(s)
        case .list(let items): return "[" + items.map(\.canonicalJSON).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.keys.sorted().map { jsonQuoted($0) + ":" + fields[$0]!.canonicalJSON }
                .joined(separator: ",") + "}"
        }
    }

    /// Indented JSON with sorted keys, for files people read.
    public func prettyJSON(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .list(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + $0.prettyJSON(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let fields) where !fields.isEmpty:
            return "{\n" + fields.keys.sorted().map { inner + jsonQuoted($0) + ": " + fields[$0]!.prettyJSON(indent: inner) }
                .joined(separator: ",\n") + "\n\(indent)}"
        default:
            return canonicalJSON
        }
    }

    /// The value as YAML flow text (for override folder names and messages).
    public var yamlText: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): formatDouble(d)
        case .string(let s): s
        case .list(let items): "[" + items.map(\.yamlText).joined(separator: ", ") + "]"
        case .object(let fields): "{" + fields.keys.sorted().map { "\($0): \(fields[$0]!.yamlText)" }.joined(separator: ", ") + "}"
        }
    }
}

func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A small strict JSON reader producing `Value` (numbers with `.`/`e` become doubles, others ints).
enum JSONReader {
    struct Failure: Error, CustomStringConvertible {
        let offset: Int
        let problem: String
        var description: String { "invalid JSON at byte \(offset): \(problem)" }
    }

    static func parse(_ text: String) throws -> Value {
        var reader = Cursor(bytes: Array(text.utf8))
        let value = try reader.value()
        reader.skipSpace()
        guard reader.index == reader.bytes.count else { throw Failure(offset: reader.index, problem: "trailing text") }
        return value
    }

    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for b in literal.utf8 {
                guard index < bytes.count, bytes[index] == b else { throw Failure(offset: index, problem: "expected \(literal)") }
                index += 1
            }
        }

        mutating func value() throws -> Value {
            skipSpace()
            guard index < bytes.count else { throw Failure(offset: index, problem: "unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                index += 1
                var items: [Value] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .list(items) }
                while true {
                    items.append(try value())
                    skipSpace()
                    guard index < bytes.count else { throw Failure(offset: index, problem: "unterminated list") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .list(items) }
                    throw Failure(offset: index, problem: "expected , or ]")
                }
            case UInt8(ascii: "{"):
                index += 1
                var fields: [String: Value] = [:]
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    fields[key] = try value()
                    skipSpace()
                    guard index < bytes.count else { throw Failure(offset: index, problem: "unterminated object") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
                    throw Failure(offset: index, problem: "expected , or }")
                }
            default:
                return try number()
            }
        }

        mutating func string() throws -> String {
            try expect("\"")
            var out = [UInt8]()
            while index < bytes.count {
                let b = bytes[index]
                index += 1
                if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                if b == UInt8(ascii: "\\") {
                    guard index < bytes.count else { break }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard index + 4 <= bytes.count,
                              let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(code)
                        else { throw Failure(offset: index, problem: "bad \\u escape") }
                        index += 4
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: out.append(e)
                    }
                } else {
                    out.append(b)
                }
            }
            throw Failure(offset: index, problem: "unterminated string")
        }

        mutating func number() throws -> Value {
            let start = index
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if !text.contains(where: { ".eE".contains($0) }), let i = Int(text) { return .int(i) }
            if let d = Double(text) { return .double(d) }
            throw Failure(offset: start, problem: "bad number `\(text)`")
        }
    }
}
