import Foundation
import Testing
@testable import TangentPipeline

/// A JSON text (as UTF-8 bytes) the reader must accept, and the value it must produce.
struct AcceptedJSON: Sendable, CustomTestStringConvertible {
    let bytes: [UInt8]
    let value: Value
    init(_ text: String, _ value: Value) { (bytes, self.value) = (Array(text.utf8), value) }
    var testDescription: String { describe(bytes) }
}

/// A JSON text the reader must refuse, the byte offset its error must name and a fragment of the problem.
struct RefusedJSON: Sendable, CustomTestStringConvertible {
    let bytes: [UInt8]
    let offset: Int
    let problem: String
    init(_ text: String, at offset: Int, _ problem: String) { (bytes, self.offset, self.problem) = (Array(text.utf8), offset, problem) }
    init(bytes: [UInt8], at offset: Int, _ problem: String) { (self.bytes, self.offset, self.problem) = (bytes, offset, problem) }
    var testDescription: String { describe(bytes) }
}

/// A test case's input for the test report: the text (its start, when long) or, when not UTF-8, its bytes in hex.
private func describe(_ bytes: [UInt8]) -> String {
    guard let text = String(validating: bytes, as: UTF8.self) else { return bytes.map { String($0, radix: 16) }.description }
    return text.count <= 60 ? text.debugDescription : String(text.prefix(40)).debugDescription + "… (\(bytes.count) bytes)"
}

/// `[[[…]]]` nested `depth` deep.
private func nestedArrays(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }

/// `{"a":{"a":…1…}}` nested `depth` deep.
private func nestedObjects(_ depth: Int) -> String {
    String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
}

private func nestedValue(_ depth: Int, innermost: Value) -> Value {
    (0..<depth).reduce(innermost) { inner, _ in .list([inner]) }
}

@Suite("JSONReader: strict RFC 8259")
struct JSONReaderTests {
    static let accepted: [AcceptedJSON] = [
        // Literals and top-level scalars (RFC 8259 allows any value at the top).
        AcceptedJSON("null", .null), AcceptedJSON("true", .bool(true)), AcceptedJSON("false", .bool(false)),
        AcceptedJSON(" \t\r\n 42 \n", .int(42)),
        // Numbers: integers that fit Int are .int, everything else .double.
        AcceptedJSON("0", .int(0)), AcceptedJSON("-0", .int(0)), AcceptedJSON("123", .int(123)), AcceptedJSON("-123", .int(-123)),
        AcceptedJSON("9223372036854775807", .int(Int.max)), AcceptedJSON("-9223372036854775808", .int(Int.min)),
        AcceptedJSON("9223372036854775808", .double(9_223_372_036_854_775_808.0)),
        AcceptedJSON("-9223372036854775809", .double(-9_223_372_036_854_775_809.0)),
        AcceptedJSON("1.5", .double(1.5)), AcceptedJSON("-0.25", .double(-0.25)), AcceptedJSON("0.5", .double(0.5)),
        AcceptedJSON("2.0", .double(2)), AcceptedJSON("1e2", .double(100)), AcceptedJSON("1E2", .double(100)),
        AcceptedJSON("1e+2", .double(100)), AcceptedJSON("1e-2", .double(0.01)), AcceptedJSON("-1.5e3", .double(-1500)),
        AcceptedJSON("0e0", .double(0)), AcceptedJSON("1e-400", .double(0)), AcceptedJSON("1.7976931348623157e308", .double(.greatestFiniteMagnitude)),
        // Strings: every escape, \u in both cases, surrogate pairs as one scalar, raw UTF-8, NUL by escape, DEL raw.
        AcceptedJSON(#""""#, .string("")), AcceptedJSON(#""abc""#, .string("abc")),
        AcceptedJSON(#""\"\\\/\b\f\n\r\t""#, .string("\"\\/\u{8}\u{C}\n\r\t")),
        AcceptedJSON(#""\u0041\u00e9\u00E9\u20AC""#, .string("Aéé€")),
        AcceptedJSON(#""\ud83d\ude00""#, .string("\u{1F600}")), AcceptedJSON(#""\uD83D\uDE00!""#, .string("\u{1F600}!")),
        AcceptedJSON(#""\uDBFF\uDFFF""#, .string("\u{10FFFF}")), AcceptedJSON(#""\u0000""#, .string("\u{0}")),
        AcceptedJSON("\"é😀\u{7F}\"", .string("é😀\u{7F}")),
        // Structures, whitespace between every token, duplicate keys (the last wins).
        AcceptedJSON("[]", .list([])), AcceptedJSON("{}", .object([:])), AcceptedJSON("[[]]", .list([.list([])])),
        AcceptedJSON(" [ 1 , \"a\" , null , { } , [ ] ] ", .list([.int(1), .string("a"), .null, .object([:]), .list([])])),
        AcceptedJSON(#"{"a":[1,{"b":null}],"c":{"d":true},"":0}"#,
                     .object(["a": .list([.int(1), .object(["b": .null])]), "c": .object(["d": .bool(true)]), "": .int(0)])),
        AcceptedJSON("{\n  \"k\" :\t1\r\n}", .object(["k": .int(1)])),
        AcceptedJSON(#"{"a":1,"a":2}"#, .object(["a": .int(2)])),
        // Nesting up to the cap.
        AcceptedJSON(nestedArrays(JSONReader.maximumDepth), nestedValue(JSONReader.maximumDepth - 1, innermost: .list([]))),
    ]

    static let refused: [RefusedJSON] = [
        // Numbers outside the grammar.
        RefusedJSON("01", at: 0, "leading zero"), RefusedJSON("-01", at: 1, "leading zero"), RefusedJSON("00", at: 0, "leading zero"),
        RefusedJSON("[01]", at: 1, "leading zero"), RefusedJSON("+1", at: 0, "plus sign"), RefusedJSON("[+1]", at: 1, "plus sign"),
        RefusedJSON("1.", at: 2, "digit after the decimal point"), RefusedJSON("1.e3", at: 2, "digit after the decimal point"),
        RefusedJSON(".5", at: 0, "digit before its decimal point"), RefusedJSON("1e", at: 2, "digit in the exponent"),
        RefusedJSON("1e+", at: 3, "digit in the exponent"), RefusedJSON("-", at: 1, "digit after `-`"),
        RefusedJSON("--1", at: 1, "digit after `-`"), RefusedJSON("-Infinity", at: 1, "digit after `-`"),
        RefusedJSON("Infinity", at: 0, "unexpected `I`"), RefusedJSON("NaN", at: 0, "unexpected `N`"),
        RefusedJSON("0x10", at: 1, "unexpected `x` after the value"), RefusedJSON("1e400", at: 0, "beyond the range"),
        RefusedJSON("[-1e400]", at: 1, "beyond the range"),
        // Escapes and surrogates.
        RefusedJSON(#""\x""#, at: 1, "invalid escape `\\x`"), RefusedJSON(#""\a""#, at: 1, "invalid escape"),
        RefusedJSON(#""\'""#, at: 1, "invalid escape"), RefusedJSON(#""\U0041""#, at: 1, "invalid escape"),
        RefusedJSON(#""ab\u12""#, at: 3, "four hex digits"), RefusedJSON(#""\u12G4""#, at: 1, "four hex digits"),
        RefusedJSON(#""\ud83d""#, at: 1, "lone high surrogate \\uD83D"), RefusedJSON(#""\ud83dx""#, at: 1, "lone high surrogate"),
        RefusedJSON(#""\ude00""#, at: 1, "lone low surrogate \\uDE00"), RefusedJSON(#""\ude00\ud83d""#, at: 1, "lone low surrogate"),
        RefusedJSON(#""\ud83d\u0041""#, at: 1, "not a low surrogate"), RefusedJSON(#""\ud83d\ud83d""#, at: 1, "not a low surrogate"),
        RefusedJSON(#""\ud83d\x""#, at: 1, "lone high surrogate"),
        // Unescaped control characters in strings.
        RefusedJSON("\"a\u{1}b\"", at: 2, "unescaped control character U+0001"), RefusedJSON("\"a\tb\"", at: 2, "U+0009"),
        RefusedJSON("\"a\nb\"", at: 2, "U+000A"), RefusedJSON("\"\u{0}\"", at: 1, "U+0000"), RefusedJSON("\"\u{1F}\"", at: 1, "U+001F"),
        // Trailing and missing commas, colons and keys.
        RefusedJSON("[1,]", at: 3, "no trailing commas"), RefusedJSON("[1, ]", at: 4, "no trailing commas"),
        RefusedJSON(#"{"a":1,}"#, at: 7, "no trailing commas"), RefusedJSON("[1,,2]", at: 3, "unexpected `,`"),
        RefusedJSON("[,]", at: 1, "unexpected `,`"), RefusedJSON("{,}", at: 1, "expected a string key"),
        RefusedJSON("[1 2]", at: 3, "expected `,` or `]`, found `2`"), RefusedJSON(#"{"a":1 "b":2}"#, at: 7, "expected `,` or `}`"),
        RefusedJSON(#"{"a" 1}"#, at: 5, "expected `:`"), RefusedJSON("{a:1}", at: 1, "expected a string key, found `a`"),
        RefusedJSON("{'a':1}", at: 1, "expected a string key"), RefusedJSON("['a']", at: 1, "unexpected `'`"),
        RefusedJSON("[1}", at: 2, "expected `,` or `]`"), RefusedJSON(#"{"a":1]"#, at: 6, "expected `,` or `}`"),
        RefusedJSON("]", at: 0, "unexpected `]`"),
        // Unterminated input.
        RefusedJSON("", at: 0, "empty input"), RefusedJSON("  \n", at: 3, "only whitespace"), RefusedJSON("[", at: 1, "inside an array"),
        RefusedJSON("[1", at: 2, "inside an array"), RefusedJSON(#"{"a":1"#, at: 6, "inside an object"),
        RefusedJSON(#"{"a""#, at: 4, "inside an object"), RefusedJSON(#"{"a":"#, at: 5, "inside an object"),
        RefusedJSON(#""abc"#, at: 0, "unterminated string"), RefusedJSON(#""abc\"#, at: 5, "unterminated string"),
        // Literals, trailing text, comments.
        RefusedJSON("tru", at: 0, "expected `true`"), RefusedJSON("nul", at: 0, "expected `null`"), RefusedJSON("fals", at: 0, "expected `false`"),
        RefusedJSON("True", at: 0, "unexpected `T`"), RefusedJSON("NULL", at: 0, "unexpected `N`"),
        RefusedJSON("nullx", at: 4, "after the value"), RefusedJSON("1 2", at: 2, "unexpected `2` after the value"),
        RefusedJSON("[] []", at: 3, "after the value"), RefusedJSON("[1 /* c */]", at: 3, "found `/`"),
        RefusedJSON("// c\n1", at: 0, "unexpected `/`"), RefusedJSON("é", at: 0, "unexpected U+00E9"),
        RefusedJSON("\u{A0}1", at: 0, "unexpected U+00A0"), RefusedJSON("\u{C}1", at: 0, "unexpected U+000C"),
        // Not UTF-8.
        RefusedJSON(bytes: [0x22, 0xFF, 0x22], at: 1, "not UTF-8: byte 0xFF cannot start a character"),
        RefusedJSON(bytes: [0x80], at: 0, "not UTF-8: byte 0x80 cannot start"),
        RefusedJSON(bytes: [0x22, 0xC3, 0x22], at: 2, "not UTF-8: byte 0x22 cannot follow 0xC3"),
        RefusedJSON(bytes: [0x22, 0xC0, 0xAF, 0x22], at: 1, "not UTF-8"),             // overlong '/'
        RefusedJSON(bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], at: 2, "not UTF-8"),       // overlong 3-byte form
        RefusedJSON(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], at: 2, "not UTF-8"),       // U+D800 encoded directly
        RefusedJSON(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], at: 2, "not UTF-8"), // above U+10FFFF
        RefusedJSON(bytes: [0x22, 0xE2, 0x82], at: 1, "truncated 3-byte sequence"),
        RefusedJSON(bytes: [0xEF, 0xBB, 0xBF, 0x31], at: 0, "byte order mark"),
        RefusedJSON(bytes: [0x5B, 0x31, 0x5D, 0xFE], at: 3, "not UTF-8"),           // after a complete value
        // Nesting beyond the cap, without a stack overflow.
        RefusedJSON(nestedArrays(JSONReader.maximumDepth + 1), at: JSONReader.maximumDepth, "nested deeper than 512"),
        RefusedJSON(nestedObjects(JSONReader.maximumDepth + 1), at: 5 * JSONReader.maximumDepth, "nested deeper than 512"),
        RefusedJSON(String(repeating: "[", count: 1_000_000), at: JSONReader.maximumDepth, "nested deeper"),
        RefusedJSON(String(repeating: #"{"a":["#, count: 300_000), at: 6 * 256, "nested deeper"),
    ]

    @Test("accepts RFC 8259 texts and reads the right values", arguments: accepted)
    func accepts(_ c: AcceptedJSON) throws {
        #expect(try JSONReader.parse(c.bytes) == c.value)
        #expect(try JSONReader.parse(String(decoding: c.bytes, as: UTF8.self)) == c.value)
        #expect(try JSONReader.parse(Data(c.bytes)) == c.value)
    }

    @Test("refuses what RFC 8259 does not allow, naming the byte offset and the problem", arguments: refused)
    func refuses(_ c: RefusedJSON) {
        do {
            let value = try JSONReader.parse(c.bytes)
            Issue.record("accepted as \(value)")
        } catch let failure as JSONReader.Failure {
            #expect(failure.offset == c.offset, "\(failure)")
            #expect(failure.problem.contains(c.problem), "\(failure)")
            #expect(failure.description == "invalid JSON at byte \(c.offset): \(failure.problem)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("a surrogate pair is one scalar and numbers keep their kind")
    func kinds() throws {
        let s = try JSONReader.parse(#""\ud83d\ude00""#).stringValue
        #expect(s?.unicodeScalars.map(\.value) == [0x1F600])
        #expect(try JSONReader.parse("[1, 1.0, 1e0]") == .list([.int(1), .double(1), .double(1)]))
        guard case .double = try JSONReader.parse("1.0") else { Issue.record("1.0 is not a double"); return }
        guard case .int = try JSONReader.parse("-0") else { Issue.record("-0 is not an int"); return }
    }

    @Test("canonical and pretty JSON of every kind of value round-trip through the reader")
    func roundTrip() throws {
        let value = Value.object([
            "ints": .list([.int(0), .int(-1), .int(Int.max), .int(Int.min)]),
            "doubles": .list([.double(0.1), .double(-2.5e-308), .double(1e300), .double(.leastNonzeroMagnitude), .double(2), .double(-0.0),
                              .double(.greatestFiniteMagnitude), .double(123456.789)]),
            "strings": .list([.string(""), .string("quote \" backslash \\ slash / tab \t newline \n"),
                              .string("controls \u{0}\u{1}\u{8}\u{C}\u{1F} del \u{7F}"), .string("é € 😀 \u{10FFFF}")]),
            "nested": .list([.object([:]), .list([]), .object(["a": .list([.null, .bool(true), .bool(false)])])]),
            "": .string("empty key"), "ключ 😀": .int(7),
        ])
        #expect(try JSONReader.parse(value.canonicalJSON) == value)
        #expect(try JSONReader.parse(Array(value.canonicalJSON.utf8)) == value)
        #expect(try JSONReader.parse(value.prettyJSON()) == value)
        let deep = nestedValue(JSONReader.maximumDepth - 1, innermost: .object(["x": .double(1.5)]))
        #expect(try JSONReader.parse(deep.canonicalJSON) == deep)
    }

    @Test("random values round-trip through canonical JSON")
    func randomRoundTrip() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func randomString() -> String {
            let pool: [Unicode.Scalar] = ["a", "Z", "\"", "\\", "/", "\n", "\u{0}", "\u{1F}", "é", "€", "😀", "\u{FFFF}", " "]
            var s = String.UnicodeScalarView()
            for _ in 0..<Int(next() % 8) { s.append(pool[Int(next() % UInt64(pool.count))]) }
            return String(s)
        }
        func randomValue(_ depth: Int) -> Value {
            switch next() % (depth > 4 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(next() % 2 == 0)
            case 2: return .int(Int(bitPattern: UInt(next())) >> Int(next() % 64))
            case 3:
                let d = Double(bitPattern: next())
                return .double(d.isFinite ? d : 0.5)
            case 4: return .string(randomString())
            case 5: return .list((0..<Int(next() % 4)).map { _ in randomValue(depth + 1) })
            default:
                var fields: [String: Value] = [:]
                for _ in 0..<Int(next() % 4) { fields[randomString()] = randomValue(depth + 1) }
                return .object(fields)
            }
        }
        for _ in 0..<500 {
            let value = randomValue(0)
            #expect(try JSONReader.parse(value.canonicalJSON) == value, "\(value.canonicalJSON)")
        }
    }
}
