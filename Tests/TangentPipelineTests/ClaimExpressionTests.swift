import Testing
@testable import TangentPipeline

/// The expression as a compact prefix form, for comparing trees: `(< a.b (* 2 c.d))`.
private func tree(_ node: ClaimExpression.Node) -> String {
    switch node.kind {
    case .number(let x): return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    case .text(let s): return "'\(s)'"
    case .bool(let b): return b ? "true" : "false"
    case .axis(let a): return "axis:\(a)"
    case .metric(let m):
        return m.dotted + (m.selector.isEmpty ? "" : "[" + m.selector.map { "\($0.axis)=\($0.value)" }.joined(separator: ",") + "]")
    case .negate(let x): return "(neg \(tree(x)))"
    case .arithmetic(let op, let a, let b): return "(\(op.rawValue) \(tree(a)) \(tree(b)))"
    case .comparison(let op, let a, let b): return "(\(op.rawValue) \(tree(a)) \(tree(b)))"
    case .all(let items): return "(and " + items.map(tree).joined(separator: " ") + ")"
    case .call(let f, let args): return "(\(f.rawValue) " + args.map(tree).joined(separator: " ") + ")"
    }
}

private func parsed(_ text: String) throws -> String { tree(try ClaimExpression(parsing: text).root) }

/// The problem of a check that does not parse.
private func problem(_ text: String) -> ClaimExpression.Problem? {
    do {
        _ = try ClaimExpression(parsing: text)
        return nil
    } catch {
        return error
    }
}

@Suite("Claim checks parse into expressions, with offsets for every problem")
struct ClaimExpressionTests {
    @Test("products bind tighter than sums, sums tighter than comparisons, comparisons tighter than `and`")
    func precedence() throws {
        #expect(try parsed("a.x + b.y * 2 < c.z") == "(< (+ a.x (* b.y 2)) c.z)")
        #expect(try parsed("(a.x + b.y) * 2 < c.z") == "(< (* (+ a.x b.y) 2) c.z)")
        #expect(try parsed("a.x - b.y - 1 >= 0") == "(>= (- (- a.x b.y) 1) 0)")
        #expect(try parsed("a.x / b.y / 2 != 0") == "(!= (/ (/ a.x b.y) 2) 0)")
        #expect(try parsed("a.x < 1 and b.y > 2 and c.z == 3") == "(and (< a.x 1) (> b.y 2) (== c.z 3))")
        #expect(try parsed("-a.x <= -2") == "(<= (neg a.x) -2)")
        #expect(try parsed("kr.final.relative_error * 10 <= kr.initial.relative_error")
                == "(<= (* kr.final.relative_error 10) kr.initial.relative_error)")
        #expect(try parsed("(a.x < 1) and (b.y < 2)") == "(and (< a.x 1) (< b.y 2))")
    }

    @Test("numbers, words, quoted strings and booleans")
    func literals() throws {
        #expect(try parsed("a.x < 1e-3") == "(< a.x 0.001)")
        #expect(try parsed("a.x < 2.5E2") == "(< a.x 250)")
        #expect(try parsed("a.x < .5") == "(< a.x 0.5)")
        #expect(try parsed("times.verdict == holds") == "(== times.verdict 'holds')")
        #expect(try parsed("m.activation == \"relu\"") == "(== m.activation 'relu')")
        #expect(try parsed("m.label != 'two words'") == "(!= m.label 'two words')")
        #expect(try parsed("a.flag == true and b.flag == false") == "(and (== a.flag true) (== b.flag false))")
    }

    @Test("metric paths go to any depth; a `-` between name characters belongs to the name")
    func references() throws {
        let e = try ClaimExpression(parsing: "coord.exponents.mup.h2.rms_delta < my-stage.x-y - 1")
        let metrics = e.metrics
        #expect(metrics.map(\.stage) == ["coord", "my-stage"])
        #expect(metrics[0].path == ["exponents", "mup", "h2", "rms_delta"])
        #expect(metrics[1].path == ["x-y"])
        #expect(metrics.map(\.text) == ["coord.exponents.mup.h2.rms_delta", "my-stage.x-y"])
        #expect(metrics[1].range == 35..<47)
        #expect(e.source(metrics[1].range) == "my-stage.x-y")
    }

    @Test("selectors pick groups by axis values: numbers, negative numbers, words and quoted text")
    func selectors() throws {
        #expect(try parsed("times.silent_alignment[white.gamma=0] > 0.5") == "(> times.silent_alignment[white.gamma=0] 0.5)")
        let e = try ClaimExpression(parsing: "kr.final.relative_error[white.gamma=1e-3, model.activation=relu, b.f=-2, m.h='[64]'] < 1")
        let m = try #require(e.metrics.first)
        #expect(m.selector.map(\.axis) == ["white.gamma", "model.activation", "b.f", "m.h"])
        #expect(m.selector.map(\.value) == ["1e-3", "relu", "-2", "[64]"])
        #expect(m.text == "kr.final.relative_error[white.gamma=1e-3, model.activation=relu, b.f=-2, m.h='[64]']")
        #expect(m.selector[1].range.lowerBound == 42)
    }

    @Test("functions: one argument for abs, log, min, max, mean; a metric and an axis for increasing and decreasing")
    func functions() throws {
        #expect(try parsed("abs(a.x - b.y) < 1e-6") == "(< (abs (- a.x b.y)) 1e-06)")
        #expect(try parsed("log(a.x) > min(b.y) + max(c.z) - mean(d.w)")
                == "(> (log a.x) (- (+ (min b.y) (max c.z)) (mean d.w)))")
        #expect(try parsed("increasing(kr.error, white.gamma)") == "(increasing kr.error axis:white.gamma)")
        #expect(try parsed("decreasing(kr.error[model.activation=relu], seed) and a.x > 0")
                == "(and (decreasing kr.error[model.activation=relu] axis:seed) (> a.x 0))")
    }

    @Test("syntax errors point at the offending character, with a remedy")
    func syntaxErrors() {
        let cases: [(String, Int, String)] = [
            ("", 0, "the check is empty"),
            ("a.x <", 5, "the check ends where a value should come"),
            ("a.x < (b.y + 1", 14, "expected `)`"),
            ("a.x = 3", 4, "`=` is not a comparison"),
            ("a.x < b.y < c.z", 10, "comparisons do not chain"),
            ("a.x < 1 or b.y < 2", 8, "after a complete comparison"),
            ("a.x < 1 && b.y < 2", 8, "unexpected `&&`"),
            ("a.x < \"open", 6, "is not closed"),
            ("a.x < 10x", 6, "`10x` is neither a number nor a name"),
            ("a.x. < 1", 3, "a name cannot end with `.`"),
            ("a.x < foo(1)", 6, "unknown function `foo`"),
            ("mean(a.x, b.y) < 1", 0, "takes one argument"),
            ("increasing(a.x)", 0, "takes a metric and a swept axis"),
            ("increasing(1, a.b)", 11, "the first argument of increasing(…) is a metric"),
            ("increasing(a.x, 2)", 16, "the second argument of increasing(…) is a swept axis"),
            ("a.x[] < 1", 3, "an empty selector"),
            ("a.x[b.y 1] < 1", 8, "expected `=` after the axis `b.y`"),
            ("a.x[b.y=] < 1", 8, "expected the value of `b.y`"),
            ("a.x[b.y=1 c.d=2] < 1", 10, "expected `,` or `]`"),
            ("a.x", 0, "`a.x` is a value, not a comparison"),
            ("a.x < 1 and b.y", 12, "`b.y` is a value, not a comparison"),
            ("a.x < 1 and", 11, "the check ends where a value should come"),
            ("a.x ! 1", 4, "unexpected `!`"),
            ("a.x < $", 6, "unexpected `$`"),
        ]
        for (text, offset, message) in cases {
            let p = problem(text)
            #expect(p?.offset == offset, "`\(text)`: \(String(describing: p))")
            #expect(p?.message.contains(message) == true, "`\(text)`: \(String(describing: p))")
        }
        #expect(problem("a.x < foo(1)")?.suggestion?.contains("functions: abs, log, min, max, mean, increasing, decreasing") == true)
        #expect(problem("a.x < maen(b.y)")?.suggestion == "did you mean `mean`?")
        #expect(problem("a.x = 3")?.suggestion == "write `==` to compare")
    }

    @Test("offsets count Unicode scalars, so problems after non-ASCII text land on the right character")
    func unicodeOffsets() {
        #expect(problem("a.x == 'γ₀' and b.y <")?.offset == 21)
    }
}
