/// The check of a claim, parsed: a small expression language over the metrics of a run or a sweep
/// (docs/pipeline-format.md, *Claims*).
///
/// ```
/// check       := conjunction
/// conjunction := comparison ("and" comparison)*
/// comparison  := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
/// sum         := product (("+" | "-") product)*
/// product     := unary (("*" | "/") unary)*
/// unary       := "-" unary | primary
/// primary     := number | string | word | "true" | "false" | metric | call | "(" conjunction ")"
/// metric      := name ("." name)+ selector?              e.g. coord.exponents.mup.h2, kr.error[white.gamma=0]
/// selector    := "[" axis "=" value ("," axis "=" value)* "]"
/// call        := function "(" arguments ")"              abs, log, min, max, mean (one argument);
///                                                        increasing, decreasing (a metric and an axis)
/// ```
///
/// A name is letters, digits and `_`, and may hold `-` between two such characters (as stage ids may), so a
/// subtraction between names needs spaces (`a.x - b.y`). A name without dots is a word: `true` and `false` are
/// booleans, any other word is a string (`holds`, `relu`), as is text in `"…"` or `'…'`. Numbers are decimal, with
/// an optional fraction and exponent (`10`, `0.5`, `1e-3`). The whole check must be a truth value: a comparison,
/// `increasing(…)`/`decreasing(…)`, or such joined with `and`.
///
/// Every node keeps its range in the check text, in Unicode scalars (0-based), so that problems point into the
/// string.
public struct ClaimExpression: Sendable, Equatable {
    /// The check as written.
    public let text: String
    public let root: Node

    /// A node of the expression and its range in the check text (Unicode scalar offsets, 0-based).
    public struct Node: Sendable, Equatable {
        public var kind: Kind
        public var range: Range<Int>

        public init(_ kind: Kind, _ range: Range<Int>) {
            self.kind = kind
            self.range = range
        }
    }

    public indirect enum Kind: Sendable, Equatable {
        case number(Double)
        /// A word (`holds`) or a quoted string.
        case text(String)
        case bool(Bool)
        case metric(MetricReference)
        case negate(Node)
        case arithmetic(ArithmeticOperator, Node, Node)
        case comparison(ComparisonOperator, Node, Node)
        /// Comparisons joined with `and`.
        case all([Node])
        case call(ClaimFunction, [Node])
        /// The axis argument of `increasing` and `decreasing` (a swept key, e.g. `white.gamma`).
        case axis(String)
    }

    public enum ArithmeticOperator: String, Sendable { case add = "+", subtract = "-", multiply = "*", divide = "/" }

    public enum ComparisonOperator: String, Sendable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

        /// `==` and `!=`: the only comparisons strings take.
        public var isEquality: Bool { self == .equal || self == .notEqual }
    }

    /// A problem of a check: where in the text (Unicode scalar offset, 0-based), what, and a remedy.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var suggestion: String?

        public init(offset: Int, _ message: String, suggestion: String? = nil) {
            self.offset = offset
            self.message = message
            self.suggestion = suggestion
        }

        public var description: String { "at character \(offset + 1): \(message)" + (suggestion.map { "; \($0)" } ?? "") }
    }

    /// Parses `text`; a syntax error is a `Problem` at its offset.
    public init(parsing text: String) throws(Problem) {
        self.text = text
        var parser = try ClaimParser(text)
        root = try parser.check()
    }

    /// The text of `range` in the check.
    public func source(_ range: Range<Int>) -> String {
        let scalars = Array(text.unicodeScalars)
        let clamped = range.clamped(to: 0..<scalars.count)
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[clamped])
        return String(out)
    }

    /// Every metric reference, in text order.
    public var metrics: [MetricReference] {
        var out: [MetricReference] = []
        root.visit { if case .metric(let m) = $0.kind { out.append(m) } }
        return out
    }
}

extension ClaimExpression.Node {
    /// Calls `body` on this node and every node under it, in text order.
    func visit(_ body: (ClaimExpression.Node) -> Void) {
        body(self)
        switch kind {
        case .negate(let x): x.visit(body)
        case .arithmetic(_, let a, let b), .comparison(_, let a, let b):
            a.visit(body)
            b.visit(body)
        case .all(let items), .call(_, let items): for item in items { item.visit(body) }
        case .number, .text, .bool, .metric, .axis: break
        }
    }

    /// A truth value by its shape: a comparison, `increasing`/`decreasing`, or such joined with `and`.
    var isTruthValue: Bool {
        switch kind {
        case .comparison: true
        case .call(let f, _): f.isTest
        case .all(let items): items.allSatisfy(\.isTruthValue)
        default: false
        }
    }
}

/// A metric of a claim: `<stage id>.<path>`, where the path walks into the stage's summary.json (a run) or names
/// an aggregate.csv column (a sweep), with an optional selector of groups (`[white.gamma=0, model.activation=relu]`).
public struct MetricReference: Sendable, Hashable {
    /// One `axis=value` of a selector: the value as written (a number's text, a word, a quoted string's content).
    public struct Selection: Sendable, Hashable {
        public var axis: String
        public var value: String
        /// Where the axis is written in the check.
        public var range: Range<Int>
    }

    public var stage: String
    public var path: [String]
    public var selector: [Selection]
    /// The reference as written, selector included: its key in a claim's `values`.
    public var text: String
    public var range: Range<Int>

    /// `<stage>.<path>` without the selector.
    public var dotted: String { ([stage] + path).joined(separator: ".") }
}

/// The functions of a check.
public enum ClaimFunction: String, Sendable, CaseIterable {
    case abs, log, min, max, mean, increasing, decreasing

    /// `increasing` and `decreasing`: truth values over a sweep's groups ordered by an axis.
    public var isTest: Bool { self == .increasing || self == .decreasing }
}

// MARK: - Tokens

struct ClaimToken: Equatable {
    enum Kind: Equatable {
        case number(Double)
        case name(String)
        case string(String)
        case symbol(String)
        case end
    }

    var kind: Kind
    var range: Range<Int>

    func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }

    var name: String? { if case .name(let n) = kind { n } else { nil } }
}

/// Splits a check into tokens (see `ClaimExpression` for names, numbers and strings).
enum ClaimTokenizer {
    static func tokens(_ scalars: [Unicode.Scalar]) throws(ClaimExpression.Problem) -> [ClaimToken] {
        var tokens: [ClaimToken] = []
        var i = 0
        let n = scalars.count
        func at(_ k: Int) -> Unicode.Scalar? { k < n ? scalars[k] : nil }
        while i < n {
            let c = scalars[i]
            if c.properties.isWhitespace {
                i += 1
                continue
            }
            let start = i
            if isDigit(c) || (c == "." && at(i + 1).map(isDigit) == true) {
                while let d = at(i), isDigit(d) { i += 1 }
                if at(i) == ".", at(i + 1).map(isDigit) == true {
                    i += 1
                    while let d = at(i), isDigit(d) { i += 1 }
                }
                if let e = at(i), e == "e" || e == "E" {
                    var k = i + 1
                    if at(k) == "+" || at(k) == "-" { k += 1 }
                    if let d = at(k), isDigit(d) {
                        i = k
                        while let d = at(i), isDigit(d) { i += 1 }
                    }
                }
                let text = string(scalars[start..<i])
                if let next = at(i), isNameCharacter(next) || next == "." {
                    var end = i
                    while let x = at(end), isNameCharacter(x) || x == "." { end += 1 }
                    throw ClaimExpression.Problem(offset: start, "`\(string(scalars[start..<end]))` is neither a number nor a name",
                                suggestion: "a name starts with a letter or `_`; a number is written like 10, 0.5 or 1e-3")
                }
                guard let value = Double(text) else {
                    throw ClaimExpression.Problem(offset: start, "`\(text)` is not a number")
                }
                tokens.append(.init(kind: .number(value), range: start..<i))
                continue
            }
            if isNameStart(c) {
                i += 1
                while let x = at(i) {
                    if isNameCharacter(x) {
                        i += 1
                    } else if x == ".", let y = at(i + 1), isNameCharacter(y) {
                        i += 2
                    } else if x == "-", isNameCharacter(scalars[i - 1]), let y = at(i + 1), isNameCharacter(y) {
                        i += 2
                    } else {
                        break
                    }
                }
                if at(i) == "." {
                    throw ClaimExpression.Problem(offset: i, "a name cannot end with `.`", suggestion: "write <stage id>.<key>, e.g. times.t_align")
                }
                tokens.append(.init(kind: .name(string(scalars[start..<i])), range: start..<i))
                continue
            }
            if c == "\"" || c == "'" {
                i += 1
                while let x = at(i), x != c { i += 1 }
                guard i < n else {
                    throw ClaimExpression.Problem(offset: start, "the string opened by \(c) is not closed", suggestion: "end it with \(c)")
                }
                tokens.append(.init(kind: .string(string(scalars[(start + 1)..<i])), range: start..<(i + 1)))
                i += 1
                continue
            }
            let two = at(i + 1).map { String(c) + String($0) } ?? ""
            if ["<=", ">=", "==", "!="].contains(two) {
                tokens.append(.init(kind: .symbol(two), range: start..<(start + 2)))
                i += 2
                continue
            }
            if two == "&&" || two == "||" {
                throw ClaimExpression.Problem(offset: start, "unexpected `\(two)`",
                            suggestion: two == "&&" ? "join comparisons with `and`" : "only `and` joins comparisons (write two claims for either/or)")
            }
            if "<>+-*/()[],=".unicodeScalars.contains(c) {
                tokens.append(.init(kind: .symbol(String(c)), range: start..<(start + 1)))
                i += 1
                continue
            }
            throw ClaimExpression.Problem(offset: start, "unexpected `\(c)`",
                        suggestion: c == "!" ? "`!` is only part of `!=`" : "a check uses numbers, names, strings, + - * / ( ) [ ] , and comparisons")
        }
        tokens.append(.init(kind: .end, range: n..<n))
        return tokens
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    static func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
    static func isNameCharacter(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || isDigit(c) }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}

// MARK: - Parser

/// Recursive descent over the tokens of a check (the grammar is in `ClaimExpression`'s documentation).
struct ClaimParser {
    typealias Node = ClaimExpression.Node
    typealias Problem = ClaimExpression.Problem

    private let scalars: [Unicode.Scalar]
    private let tokens: [ClaimToken]
    private var index = 0

    init(_ text: String) throws(Problem) {
        scalars = Array(text.unicodeScalars)
        tokens = try ClaimTokenizer.tokens(scalars)
    }

    private var current: ClaimToken { tokens[index] }

    private mutating func advance() -> ClaimToken {
        defer { if index < tokens.count - 1 { index += 1 } }
        return tokens[index]
    }

    private func describe(_ token: ClaimToken) -> String {
        token.kind == .end ? "the end of the check" : "`\(ClaimTokenizer.string(scalars[token.range]))`"
    }

    /// The whole check: a truth value, then the end of the text.
    mutating func check() throws(Problem) -> Node {
        guard current.kind != .end else {
            throw Problem(offset: 0, "the check is empty", suggestion: "write a comparison, e.g. times.t_align < times.t_half")
        }
        let root = try conjunction()
        guard current.kind == .end else {
            if case .name = current.kind {
                throw Problem(offset: current.range.lowerBound, "unexpected \(describe(current)) after a complete comparison",
                              suggestion: "join comparisons with `and`")
            }
            throw Problem(offset: current.range.lowerBound, "unexpected \(describe(current))")
        }
        try requireTruthValue(root)
        return root
    }

    /// The check and each part joined by `and` must be a truth value.
    private func requireTruthValue(_ node: Node) throws(Problem) {
        if case .all(let items) = node.kind {
            for item in items { try requireTruthValue(item) }
            return
        }
        guard node.isTruthValue else {
            throw Problem(offset: node.range.lowerBound,
                          "`\(ClaimTokenizer.string(scalars[node.range]))` is a value, not a comparison",
                          suggestion: "compare it, e.g. `\(ClaimTokenizer.string(scalars[node.range])) > 0`, or use increasing(…) or decreasing(…)")
        }
    }

    private mutating func conjunction() throws(Problem) -> Node {
        var items = [try comparison()]
        while current.name == "and" {
            _ = advance()
            items.append(try comparison())
        }
        guard items.count > 1 else { return items[0] }
        return Node(.all(items), items[0].range.lowerBound..<items[items.count - 1].range.upperBound)
    }

    private mutating func comparison() throws(Problem) -> Node {
        let lhs = try sum()
        if current.isSymbol("=") {
            throw Problem(offset: current.range.lowerBound, "`=` is not a comparison", suggestion: "write `==` to compare")
        }
        guard case .symbol(let s) = current.kind, let op = ClaimExpression.ComparisonOperator(rawValue: s) else { return lhs }
        _ = advance()
        let rhs = try sum()
        if case .symbol(let next) = current.kind, ClaimExpression.ComparisonOperator(rawValue: next) != nil {
            throw Problem(offset: current.range.lowerBound, "comparisons do not chain",
                          suggestion: "compare two values at a time and join the comparisons with `and`")
        }
        return Node(.comparison(op, lhs, rhs), lhs.range.lowerBound..<rhs.range.upperBound)
    }

    private mutating func sum() throws(Problem) -> Node {
        var lhs = try product()
        while case .symbol(let s) = current.kind, s == "+" || s == "-" {
            _ = advance()
            let rhs = try product()
            lhs = Node(.arithmetic(s == "+" ? .add : .subtract, lhs, rhs), lhs.range.lowerBound..<rhs.range.upperBound)
        }
        return lhs
    }

    private mutating func product() throws(Problem) -> Node {
        var lhs = try unary()
        while case .symbol(let s) = current.kind, s == "*" || s == "/" {
            _ = advance()
            let rhs = try unary()
            lhs = Node(.arithmetic(s == "*" ? .multiply : .divide, lhs, rhs), lhs.range.lowerBound..<rhs.range.upperBound)
        }
        return lhs
    }

    private mutating func unary() throws(Problem) -> Node {
        if current.isSymbol("-") {
            let start = advance().range.lowerBound
            let operand = try unary()
            if case .number(let x) = operand.kind { return Node(.number(-x), start..<operand.range.upperBound) }
            return Node(.negate(operand), start..<operand.range.upperBound)
        }
        return try primary()
    }

    private mutating func primary() throws(Problem) -> Node {
        let token = current
        switch token.kind {
        case .number(let x):
            _ = advance()
            return Node(.number(x), token.range)
        case .string(let s):
            _ = advance()
            return Node(.text(s), token.range)
        case .symbol("("):
            _ = advance()
            let inner = try conjunction()
            guard current.isSymbol(")") else {
                throw Problem(offset: current.range.lowerBound, "expected `)` (to close the `(` at character \(token.range.lowerBound + 1)), found \(describe(current))")
            }
            let end = advance().range.upperBound
            return Node(inner.kind, token.range.lowerBound..<end)
        case .name(let name):
            if name == "and" {
                throw Problem(offset: token.range.lowerBound, "expected a value before `and`")
            }
            _ = advance()
            if current.isSymbol("(") { return try call(name, at: token.range) }
            if name.contains(".") { return try metric(name, at: token.range) }
            if name == "true" || name == "false" { return Node(.bool(name == "true"), token.range) }
            return Node(.text(name), token.range)
        case .end:
            throw Problem(offset: token.range.lowerBound, "the check ends where a value should come")
        case .symbol(let s):
            throw Problem(offset: token.range.lowerBound, "unexpected `\(s)` where a value should come")
        }
    }

    private mutating func metric(_ name: String, at range: Range<Int>) throws(Problem) -> Node {
        let parts = name.split(separator: ".").map(String.init)
        var selector: [MetricReference.Selection] = []
        var end = range.upperBound
        if current.isSymbol("[") {
            let open = advance()
            guard !current.isSymbol("]") else {
                throw Problem(offset: open.range.lowerBound, "an empty selector", suggestion: "write [axis=value], e.g. [white.gamma=0], or leave out the brackets")
            }
            while true {
                guard case .name(let axis) = current.kind else {
                    throw Problem(offset: current.range.lowerBound, "expected a swept axis in the selector, found \(describe(current))",
                                  suggestion: "write [axis=value], e.g. [white.gamma=0]")
                }
                let axisRange = advance().range
                guard current.isSymbol("=") else {
                    throw Problem(offset: current.range.lowerBound, "expected `=` after the axis `\(axis)`, found \(describe(current))",
                                  suggestion: "write [\(axis)=value]")
                }
                _ = advance()
                var negative = false
                if current.isSymbol("-") {
                    negative = true
                    _ = advance()
                }
                let value: String
                switch current.kind {
                case .number: value = (negative ? "-" : "") + ClaimTokenizer.string(scalars[current.range])
                case .name(let word) where !negative: value = word
                case .string(let text) where !negative: value = text
                default:
                    throw Problem(offset: current.range.lowerBound, "expected the value of `\(axis)`, found \(describe(current))",
                                  suggestion: "write a number, a word or a quoted string, e.g. [\(axis)=0]")
                }
                _ = advance()
                selector.append(.init(axis: axis, value: value, range: axisRange))
                if current.isSymbol(",") {
                    _ = advance()
                    continue
                }
                guard current.isSymbol("]") else {
                    throw Problem(offset: current.range.lowerBound, "expected `,` or `]` in the selector, found \(describe(current))")
                }
                end = advance().range.upperBound
                break
            }
        }
        let text = ClaimTokenizer.string(scalars[range.lowerBound..<end])
        let reference = MetricReference(stage: parts[0], path: Array(parts.dropFirst()), selector: selector, text: text,
                                        range: range.lowerBound..<end)
        return Node(.metric(reference), range.lowerBound..<end)
    }

    private mutating func call(_ name: String, at range: Range<Int>) throws(Problem) -> Node {
        guard let function = ClaimFunction(rawValue: name) else {
            let names = ClaimFunction.allCases.map(\.rawValue)
            throw Problem(offset: range.lowerBound, "unknown function `\(name)`",
                          suggestion: suggestion(for: name, among: names) ?? "functions: \(names.joined(separator: ", "))")
        }
        _ = advance()  // (
        var arguments: [Node] = []
        if !current.isSymbol(")") {
            while true {
                if function.isTest && arguments.count == 1 {
                    guard case .name(let axis) = current.kind else {
                        throw Problem(offset: current.range.lowerBound, "the second argument of \(name)(…) is a swept axis, found \(describe(current))",
                                      suggestion: "e.g. \(name)(kr.error, white.gamma)")
                    }
                    arguments.append(Node(.axis(axis), advance().range))
                } else {
                    arguments.append(try conjunction())
                }
                guard current.isSymbol(",") else { break }
                _ = advance()
            }
        }
        guard current.isSymbol(")") else {
            throw Problem(offset: current.range.lowerBound, "expected `,` or `)` in the arguments of \(name)(…), found \(describe(current))")
        }
        let end = advance().range.upperBound
        if function.isTest {
            guard arguments.count == 2 else {
                throw Problem(offset: range.lowerBound, "\(name)(…) takes a metric and a swept axis, got \(arguments.count) argument\(arguments.count == 1 ? "" : "s")",
                              suggestion: "e.g. \(name)(kr.error, white.gamma)")
            }
            guard case .metric = arguments[0].kind else {
                throw Problem(offset: arguments[0].range.lowerBound, "the first argument of \(name)(…) is a metric (<stage id>.<key>)",
                              suggestion: "e.g. \(name)(kr.error, white.gamma)")
            }
        } else if arguments.count != 1 {
            throw Problem(offset: range.lowerBound, "\(name)(…) takes one argument, got \(arguments.count)")
        }
        return Node(.call(function, arguments), range.lowerBound..<end)
    }
}
