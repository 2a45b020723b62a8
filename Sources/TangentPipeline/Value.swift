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

/// A strict RFC 8259 JSON reader producing `Value`.
///
/// - The input is UTF-8 without a byte order mark; anything else is refused. Whitespace is space, tab, LF and CR.
/// - Numbers follow the RFC grammar `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: no leading zeros, no
///   `+`, no bare `.` or `e`. A number without fraction or exponent becomes `.int` when it fits `Int`; any other
///   number becomes `.double`, and one beyond Double's range (`1e400`) is refused.
/// - Strings take the escapes `\" \\ \/ \b \f \n \r \t \uXXXX`; a `\u` high surrogate must be followed by a `\u`
///   low surrogate and the pair is one scalar (`\ud83d\ude00` is U+1F600). Lone surrogates, other escapes and
///   unescaped control characters (below U+0020) are refused.
/// - Arrays and objects nest at most `maximumDepth` deep. The reader keeps its own stack instead of recursing, so a
///   deeper document is refused with an error, never a stack overflow.
/// - A key repeated in one object keeps its last value (RFC 8259 leaves duplicates to the implementation).
///
/// Every error is a `Failure` that names the byte offset and the problem.
public enum JSONReader {
    /// The deepest nesting of arrays and objects accepted (`[[…]]` 512 levels deep is accepted, 513 is refused).
    static let maximumDepth = 512

    struct Failure: Error, CustomStringConvertible {
        /// Offset of the offending byte in the UTF-8 input.
        let offset: Int
        let problem: String
        var description: String { "invalid JSON at byte \(offset): \(problem)" }
    }

    /// Parses JSON text (a Swift string is always valid Unicode; use `parse(_:)` on bytes to check the encoding).
    public static func parse(_ text: String) throws -> Value {
        try parse(Array(text.utf8))
    }

    /// Parses JSON bytes (`[UInt8]`, `Data`, …), refusing input that is not UTF-8.
    public static func parse<Bytes: Collection>(_ bytes: Bytes) throws -> Value where Bytes.Element == UInt8 {
        var reader = Reader(bytes: Array(bytes))
        return try reader.document()
    }

    /// An array or object being read.
    private struct Frame {
        var isObject: Bool
        var items: [Value] = []
        var fields: [String: Value] = [:]
        /// The key whose value comes next (objects).
        var key = ""
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ problem: String, at offset: Int? = nil) -> Failure {
            Failure(offset: offset ?? index, problem: problem)
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        /// The whole input: one value, surrounded by whitespace only.
        mutating func document() throws -> Value {
            try validateUTF8()
            skipSpace()
            guard index < bytes.count else { throw fail(bytes.isEmpty ? "empty input" : "no value, only whitespace") }
            let value = try readValue()
            skipSpace()
            guard index == bytes.count else { throw fail("unexpected \(describe(index)) after the value") }
            return value
        }

        /// One value; arrays and objects are read with an explicit stack of open containers.
        mutating func readValue() throws -> Value {
            var stack: [Frame] = []
            while true {
                // A value starts here (whitespace already skipped).
                var value: Value
                guard let byte = current else {
                    let inside = stack.last.map { $0.isObject ? " inside an object" : " inside an array" } ?? ""
                    throw fail("unexpected end of input" + inside)
                }
                switch byte {
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    guard stack.count < JSONReader.maximumDepth else {
                        throw fail("arrays and objects nested deeper than \(JSONReader.maximumDepth) levels")
                    }
                    let isObject = byte == UInt8(ascii: "{")
                    index += 1
                    skipSpace()
                    if current == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        index += 1
                        value = isObject ? .object([:]) : .list([])
                    } else {
                        stack.append(Frame(isObject: isObject))
                        if isObject { stack[stack.count - 1].key = try key() }
                        continue
                    }
                case UInt8(ascii: "\""): value = .string(try string())
                case UInt8(ascii: "t"): try literal("true"); value = .bool(true)
                case UInt8(ascii: "f"): try literal("false"); value = .bool(false)
                case UInt8(ascii: "n"): try literal("null"); value = .null
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = try number()
                case UInt8(ascii: "+"): throw fail("unexpected `+`: a number has no plus sign")
                case UInt8(ascii: "."): throw fail("unexpected `.`: a number needs a digit before its decimal point")
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    throw fail(stack.isEmpty ? "unexpected \(describe(index))"
                                             : "expected a value after `,` (no trailing commas)")
                default: throw fail("unexpected \(describe(index)); expected a value")
                }

                // A value is complete: add it to the innermost open container, closing containers as they end.
                while true {
                    guard !stack.isEmpty else { return value }
                    let top = stack.count - 1
                    if stack[top].isObject {
                        let key = stack[top].key
                        stack[top].fields[key] = value
                    } else {
                        stack[top].items.append(value)
                    }
                    skipSpace()
                    let close = stack[top].isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    guard let next = current else {
                        throw fail("unexpected end of input inside \(stack[top].isObject ? "an object" : "an array")")
                    }
                    if next == UInt8(ascii: ",") {
                        index += 1
                        skipSpace()
                        if stack[top].isObject { stack[top].key = try key() }
                        break  // the next element's value
                    }
                    guard next == close else {
                        throw fail("expected `,` or `\(stack[top].isObject ? "}" : "]")`, found \(describe(index))")
                    }
                    index += 1
                    let frame = stack.removeLast()
                    value = frame.isObject ? .object(frame.fields) : .list(frame.items)
                }
                skipSpace()
            }
        }

        /// An object key and its colon, leaving the cursor at the value.
        mutating func key() throws -> String {
            guard current == UInt8(ascii: "\"") else {
                if current == UInt8(ascii: "}") { throw fail("expected a key after `,` (no trailing commas)") }
                throw fail(current == nil ? "unexpected end of input inside an object"
                                          : "expected a string key, found \(describe(index))")
            }
            let key = try string()
            skipSpace()
            guard current == UInt8(ascii: ":") else {
                throw fail(current == nil ? "unexpected end of input inside an object"
                                          : "expected `:` after the key, found \(describe(index))")
            }
            index += 1
            skipSpace()
            return key
        }

        mutating func literal(_ word: StaticString) throws {
            let start = index
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            for b in expected {
                guard current == b else { throw fail("invalid literal; expected `\(word)`", at: start) }
                index += 1
            }
        }

        /// A string, from its opening quote to after its closing quote. The input is already known to be UTF-8.
        mutating func string() throws -> String {
            let start = index
            index += 1
            var out: [UInt8] = []
            var runStart = index  // bytes copied as they are, in runs
            while true {
                guard let b = current else { throw fail("unterminated string", at: start) }
                switch b {
                case UInt8(ascii: "\""):
                    out.append(contentsOf: bytes[runStart..<index])
                    index += 1
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    out.append(contentsOf: bytes[runStart..<index])
                    try escape(into: &out)
                    runStart = index
                case 0x00..<0x20:
                    throw fail("unescaped control character \(describe(index)) in a string (write it as an escape)")
                default:
                    index += 1
                }
            }
        }

        /// One escape sequence, from its backslash, appended to `out` as UTF-8.
        mutating func escape(into out: inout [UInt8]) throws {
            let start = index
            index += 1
            guard let e = current else { throw fail("unterminated string") }
            index += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hexQuad(escapeAt: start)
                if (0xDC00...0xDFFF).contains(code) {
                    throw fail("lone low surrogate \\u\(hex(code, digits: 4)) (it must follow a high surrogate)",
                               at: start)
                }
                if (0xD800...0xDBFF).contains(code) {
                    let second = index
                    guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                        throw fail("lone high surrogate \\u\(hex(code, digits: 4)) (a \\u low surrogate must follow)",
                                   at: start)
                    }
                    index += 2
                    let low = try hexQuad(escapeAt: second)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw fail("high surrogate \\u\(hex(code, digits: 4)) followed by \\u\(hex(low, digits: 4)), "
                                   + "not a low surrogate", at: start)
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                UTF8.encode(Unicode.Scalar(code)!) { out.append($0) }
            default:
                throw fail("invalid escape `\\\(describeEscape(e))` (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
                           at: start)
            }
        }

        /// The four hex digits of a `\u` escape (the cursor is after the `u`).
        mutating func hexQuad(escapeAt start: Int) throws -> UInt32 {
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard let b = current, let digit = hexDigit(b) else {
                    throw fail("\\u must be followed by four hex digits", at: start)
                }
                code = code << 4 | digit
                index += 1
            }
            return code
        }

        func hexDigit(_ b: UInt8) -> UInt32? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(b - UInt8(ascii: "A") + 10)
            default: nil
            }
        }

        /// A number by the RFC 8259 grammar.
        mutating func number() throws -> Value {
            let start = index
            func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
            if current == UInt8(ascii: "-") { index += 1 }
            if current == UInt8(ascii: "0") {
                index += 1
                if isDigit(current) { throw fail("leading zero in a number", at: index - 1) }
            } else if isDigit(current) {
                while isDigit(current) { index += 1 }
            } else {
                throw fail("expected a digit after `-`")
            }
            var integral = true
            if current == UInt8(ascii: ".") {
                index += 1
                guard isDigit(current) else { throw fail("expected a digit after the decimal point") }
                while isDigit(current) { index += 1 }
                integral = false
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard isDigit(current) else { throw fail("expected a digit in the exponent") }
                while isDigit(current) { index += 1 }
                integral = false
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if integral, let i = Int(text) { return .int(i) }
            guard let d = Double(text), d.isFinite else {
                throw fail("number \(text) is beyond the range of a double", at: start)
            }
            return .double(d)
        }

        /// Checks that the whole input is well-formed UTF-8 (RFC 3629: no overlong forms, no encoded surrogates,
        /// nothing above U+10FFFF) without a byte order mark.
        func validateUTF8() throws {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
                throw fail("byte order mark (JSON text is UTF-8 without one)", at: 0)
            }
            var i = 0
            let n = bytes.count
            while i < n {
                let b = bytes[i]
                if b < 0x80 { i += 1; continue }
                let length: Int
                var second: ClosedRange<UInt8> = 0x80...0xBF
                switch b {
                case 0xC2...0xDF: length = 2
                case 0xE0: length = 3; second = 0xA0...0xBF
                case 0xED: length = 3; second = 0x80...0x9F
                case 0xE1...0xEC, 0xEE...0xEF: length = 3
                case 0xF0: length = 4; second = 0x90...0xBF
                case 0xF1...0xF3: length = 4
                case 0xF4: length = 4; second = 0x80...0x8F
                default:
                    throw fail("input is not UTF-8: byte 0x\(hex(UInt32(b), digits: 2)) cannot start a character",
                               at: i)
                }
                for k in 1..<length {
                    guard i + k < n else { throw fail("input is not UTF-8: truncated \(length)-byte sequence", at: i) }
                    let c = bytes[i + k]
                    guard (k == 1 ? second : 0x80...0xBF).contains(c) else {
                        throw fail("input is not UTF-8: byte 0x\(hex(UInt32(c), digits: 2)) cannot follow "
                                   + "0x\(hex(UInt32(b), digits: 2))", at: i + k)
                    }
                }
                i += length
            }
        }

        /// The character at `offset`, for messages: `x` for printable ASCII, else its code point.
        func describe(_ offset: Int) -> String {
            guard offset < bytes.count else { return "end of input" }
            let b = bytes[offset]
            if b >= 0x21 && b < 0x7F { return "`\(Character(Unicode.Scalar(b)))`" }
            if b < 0x80 { return "U+\(hex(UInt32(b), digits: 4))" }
            var iterator = bytes[offset...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) { return "U+\(hex(scalar.value, digits: 4))" }
            return "byte 0x\(hex(UInt32(b), digits: 2))"
        }

        func describeEscape(_ b: UInt8) -> String {
            b >= 0x21 && b < 0x7F ? String(Character(Unicode.Scalar(b))) : "U+\(hex(UInt32(b), digits: 4))"
        }

        func hex(_ v: UInt32, digits: Int) -> String {
            let text = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
    }
}
