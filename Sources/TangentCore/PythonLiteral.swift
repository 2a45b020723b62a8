/// A value of the Python literal subset that appears in `.npy` headers.
indirect enum PythonLiteral: Equatable {
    case string(String)
    /// An integer; nil if it does not fit in `Int`.
    case int(Int?)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    /// Key-value pairs in source order (duplicates kept; the last one wins, as in Python).
    case dict([(PythonLiteral, PythonLiteral)])

    static func == (lhs: PythonLiteral, rhs: PythonLiteral) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.none, .none): true
        case let (.tuple(a), .tuple(b)), let (.list(a), .list(b)): a == b
        case let (.dict(a), .dict(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// `repr`, shortened to at most 80 characters for error messages.
    var briefRepr: String {
        let text = repr
        return text.count <= 80 ? text : String(text.prefix(77)) + "..."
    }

    /// Python's `repr`, for error messages.
    var repr: String {
        switch self {
        case .string(let s): "'\(s)'"
        case .int(let i): i.map(String.init) ?? "<huge int>"
        case .bool(let b): b ? "True" : "False"
        case .none: "None"
        case .tuple(let items): items.count == 1 ? "(\(items[0].repr),)" : "(" + items.map(\.repr).joined(separator: ", ") + ")"
        case .list(let items): "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case .dict(let pairs): "{" + pairs.map { "\($0.0.repr): \($0.1.repr)" }.joined(separator: ", ") + "}"
        }
    }
}

/// Parses the Python literal subset used by `.npy` headers (what `ast.literal_eval` accepts there): dicts,
/// tuples (with Python's rule that `(x)` is just `x`), lists, quoted strings, integers (with `_` separators
/// and Python 2's `L` suffix), `True`, `False` and `None`. Never traps: errors are thrown as `Failure` with
/// the byte offset where parsing stopped.
struct PythonLiteralParser {
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    private let bytes: [UInt8]
    private let utf8Strings: Bool
    private var pos = 0
    private var depth = 0
    private static let maxDepth = 32

    /// Parses exactly one literal surrounded by optional whitespace. String contents are decoded as UTF-8 if
    /// `utf8Strings` (format 3.0) and as Latin-1 otherwise.
    static func parse(_ bytes: [UInt8], utf8Strings: Bool) throws(Failure) -> PythonLiteral {
        var parser = PythonLiteralParser(bytes: bytes, utf8Strings: utf8Strings)
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.pos < bytes.count {
            throw Failure(offset: parser.pos, reason: "unexpected \(parser.describeCurrent()) after the dictionary")
        }
        return value
    }

    private init(bytes: [UInt8], utf8Strings: Bool) {
        self.bytes = bytes
        self.utf8Strings = utf8Strings
    }

    private var current: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    private func describeCurrent() -> String {
        guard let c = current else { return "end of header" }
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || (0x09...0x0D).contains(c) { pos += 1 }
    }

    private mutating func expect(_ char: UInt8, _ what: String) throws(Failure) {
        skipWhitespace()
        guard current == char else { throw Failure(offset: pos, reason: "expected \(what) but found \(describeCurrent())") }
        pos += 1
    }

    private mutating func parseValue() throws(Failure) -> PythonLiteral {
        skipWhitespace()
        guard let c = current else { throw Failure(offset: pos, reason: "unexpected end of header, expected a value") }
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "("), UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            if depth > Self.maxDepth { throw Failure(offset: pos, reason: "nesting deeper than \(Self.maxDepth) levels") }
            if c == UInt8(ascii: "{") { return try parseDict() }
            if c == UInt8(ascii: "(") { return try parseParenthesized() }
            return .list(try parseSequence(closing: UInt8(ascii: "]")).items)
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseInt()
        default: break
        }
        let word = parseWord()
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        case "": throw Failure(offset: pos, reason: "unexpected \(describeCurrent())")
        default:
            // String prefixes (any case): u'…' and b'…' as written by Python 2 era tools, and the raw forms
            // r'…', rb'…', br'…' that `ast.literal_eval` (and so numpy) accepts too.
            let prefix = word.lowercased()
            if ["u", "b", "r", "rb", "br"].contains(prefix), current == UInt8(ascii: "'") || current == UInt8(ascii: "\"") {
                return .string(try parseString(raw: prefix.contains("r")))
            }
            throw Failure(offset: pos - word.utf8.count, reason: "unexpected name '\(word)'")
        }
    }

    private mutating func parseWord() -> String {
        let start = pos
        while let c = current, c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
            pos += 1
        }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    /// Parses `open item, item, ... close` with an optional trailing comma; the opener is at `pos`.
    private mutating func parseSequence(closing: UInt8) throws(Failure) -> (items: [PythonLiteral], sawComma: Bool) {
        pos += 1
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            if current == closing { pos += 1; return (items, sawComma) }
            items.append(try parseValue())
            skipWhitespace()
            if current == UInt8(ascii: ",") { pos += 1; sawComma = true; continue }
            if current == closing { pos += 1; return (items, sawComma) }
            throw Failure(offset: pos, reason: "expected ',' or '\(Character(Unicode.Scalar(closing)))' but found \(describeCurrent())")
        }
    }

    /// `()` and `(a,)` and `(a, b)` are tuples; `(a)` is just `a`, as in Python.
    private mutating func parseParenthesized() throws(Failure) -> PythonLiteral {
        let (items, sawComma) = try parseSequence(closing: UInt8(ascii: ")"))
        if items.count == 1 && !sawComma { return items[0] }
        return .tuple(items)
    }

    private mutating func parseDict() throws(Failure) -> PythonLiteral {
        pos += 1
        var pairs: [(PythonLiteral, PythonLiteral)] = []
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "}") { pos += 1; return .dict(pairs) }
            let key = try parseValue()
            try expect(UInt8(ascii: ":"), "':' after key \(key.briefRepr)")
            let value = try parseValue()
            pairs.append((key, value))
            skipWhitespace()
            if current == UInt8(ascii: ",") { pos += 1; continue }
            if current == UInt8(ascii: "}") { pos += 1; return .dict(pairs) }
            throw Failure(offset: pos, reason: "expected ',' or '}' after the value of key \(key.briefRepr) but found \(describeCurrent())")
        }
    }

    /// A quoted string; `raw` keeps backslashes as written (a backslash still keeps the next character from ending
    /// the string), as in Python's r'…'.
    private mutating func parseString(raw: Bool = false) throws(Failure) -> String {
        let start = pos
        guard let quote = current else { throw Failure(offset: pos, reason: "expected a string") }
        pos += 1
        var content: [UInt8] = []
        while true {
            guard let c = current else { throw Failure(offset: start, reason: "unterminated string") }
            pos += 1
            if c == quote { break }
            if c == 0x0A { throw Failure(offset: start, reason: "unterminated string (newline inside quotes)") }
            if c == UInt8(ascii: "\\") {
                guard let e = current else { throw Failure(offset: start, reason: "unterminated string") }
                pos += 1
                if raw {
                    content.append(c)
                    content.append(e)
                    continue
                }
                switch e {
                case UInt8(ascii: "n"): content.append(0x0A)
                case UInt8(ascii: "t"): content.append(0x09)
                case UInt8(ascii: "r"): content.append(0x0D)
                case UInt8(ascii: "0"): content.append(0x00)
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): content.append(e)
                default: content.append(UInt8(ascii: "\\")); content.append(e)
                }
                continue
            }
            content.append(c)
        }
        if utf8Strings {
            guard let s = String(validating: content, as: UTF8.self) else {
                throw Failure(offset: start, reason: "string is not valid UTF-8")
            }
            return s
        }
        return String(String.UnicodeScalarView(content.map { Unicode.Scalar($0) }))
    }

    private mutating func parseInt() throws(Failure) -> PythonLiteral {
        let start = pos
        var negative = false
        if current == UInt8(ascii: "-") || current == UInt8(ascii: "+") {
            negative = current == UInt8(ascii: "-")
            pos += 1
            skipWhitespace()
        }
        var value: Int? = 0
        var digits = 0
        var lastWasDigit = false
        while let c = current {
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                if let v = value {
                    let (m, o1) = v.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
                    value = (o1 || o2) ? nil : s
                }
                digits += 1
                lastWasDigit = true
            } else if c == UInt8(ascii: "_") && lastWasDigit {
                lastWasDigit = false
            } else {
                break
            }
            pos += 1
        }
        guard digits > 0, lastWasDigit else { throw Failure(offset: start, reason: "malformed integer") }
        if current == UInt8(ascii: "L") || current == UInt8(ascii: "l") { pos += 1 } // Python 2 long suffix
        if let c = current, c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "j")
            || c == UInt8(ascii: "x") || c == UInt8(ascii: "o") || c == UInt8(ascii: "b") {
            throw Failure(offset: start, reason: "only decimal integers are allowed here")
        }
        return .int(negative ? value.map { -$0 } : value)
    }
}
