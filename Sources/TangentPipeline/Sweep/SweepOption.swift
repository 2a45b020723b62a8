import Foundation

/// A `--sweep` option: `key=values`, where values is one of
///
/// - a comma-separated list of YAML values: `seed=0,1,2`, `model.hidden=[64],[256],[1024]`,
///   `data.teacher=linear,relu` (the text is read as the YAML flow list `[values]`);
/// - `range(start, stop)` or `range(start, stop, step)`: integers from start up to but not including stop, as in
///   Python (`seed=range(0,8)` is 0 … 7);
/// - `linspace(start, stop, n)`: n evenly spaced numbers from start to stop inclusive (`white.gamma=linspace(0,1,5)`
///   is 0, 0.25, 0.5, 0.75, 1);
/// - `logspace(start, stop, n)`: 10 to the power of `linspace(start, stop, n)` (`lr=logspace(-3,0,4)` is 0.001,
///   0.01, 0.1, 1); integer exponents give exact powers of ten.
///
/// Problems are diagnostics at `<sweep N>:1:column`, like overrides' `<override N>`.
public enum SweepOption {
    /// Parses option number `number` (1-based) into its dotted key and axis.
    public static func parse(_ text: String, number: Int) throws(PipelineError) -> SweepAxis {
        let source = "<sweep \(number)>"
        let start = SourceLocation(file: source, line: 1, column: 1)
        func fail(_ code: Diagnostic.Code, _ message: String, column: Int = 1, field: String = "",
                  _ remedy: String) -> PipelineError {
            PipelineError.invalid([Diagnostic(code, message, at: SourceLocation(file: source, line: 1, column: column),
                                              field: field, suggestion: remedy)])
        }
        guard let equals = text.firstIndex(of: "=") else {
            throw fail(.badOverride, "sweep `\(PipelineLoader.shown(text))` has no `=`",
                       "write key=values, e.g. seed=range(0,8) or model.hidden=[64],[256]")
        }
        let key = String(text[..<equals])
        guard PipelineLoader.dottedKey(key) != nil else {
            throw fail(.badOverride, "sweep key `\(PipelineLoader.shown(key))` is not a dotted name", field: key,
                       "use names joined by dots, e.g. model.init_scale")
        }
        let body = String(text[text.index(after: equals)...])
        let column = key.count + 2
        let here = SourceLocation(file: source, line: 1, column: column)
        let trimmed = body.trimmingCharacters(in: .whitespaces)
        var values: [ConfigValue.Located]
        if let (function, arguments) = call(trimmed) {
            let numbers = arguments.map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard numbers.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw fail(.invalidValue, "`\(function)(…)` takes numbers, got `\(PipelineLoader.shown(trimmed))`",
                           column: column, field: key, usage(function))
            }
            let n = numbers.map { $0! }
            switch function {
            case "range":
                guard (2...3).contains(n.count), n.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e15 }) else {
                    throw fail(.invalidValue, "`range` takes 2 or 3 integers", column: column, field: key, usage("range"))
                }
                let (first, stop, step) = (Int(n[0]), Int(n[1]), n.count == 3 ? Int(n[2]) : 1)
                guard step != 0 else {
                    throw fail(.invalidValue, "`range` step must not be 0", column: column, field: key, usage("range"))
                }
                let count = step > 0 ? max(0, (stop - first + step - 1) / step) : max(0, (first - stop - step - 1) / -step)
                try checkCount(count)
                values = (0..<count).map { .init(.int(first + $0 * step), at: here) }
            case "linspace", "logspace":
                guard n.count == 3, n[2] == n[2].rounded(), n[2] >= 1 else {
                    throw fail(.invalidValue, "`\(function)` takes start, stop and a count ≥ 1", column: column,
                               field: key, usage(function))
                }
                try checkCount(n[2] > Double(SweepSpec.maxPoints) ? SweepSpec.maxPoints + 1 : Int(n[2]))
                let points = linspace(n[0], n[1], Int(n[2]))
                values = points.map { .init(.double(function == "linspace" ? $0 : powerOfTen($0)), at: here) }
            default:
                throw fail(.invalidValue, "unknown function `\(PipelineLoader.shown(function))`", column: column,
                           field: key, "use range(a,b[,step]), linspace(a,b,n), logspace(a,b,n) or a comma-separated list")
            }
        } else {
            // A comma-separated list of YAML values: read as the flow list `[body]`, columns shifted back by the `[`.
            let parsed: ConfigValue.Located
            do {
                parsed = try ConfigParser.parse("[" + body + "]", file: source)
            } catch {
                throw PipelineError.invalid(error.diagnostics.map { d in
                    var d = d
                    d.location = d.location.map { SourceLocation(file: source, line: 1, column: max(column, $0.column + column - 2)) }
                    d.field = key
                    return d
                })
            }
            guard case .list(let items) = parsed.value, !items.isEmpty else {
                throw fail(.wrongType, "sweep `\(key)` has no values", column: column, field: key,
                           "write values separated by commas, e.g. \(key)=1,2,3")
            }
            try checkCount(items.count)
            values = items.map { item in
                var item = item
                item.location = SourceLocation(file: source, line: 1, column: item.location.column + column - 2)
                return item
            }
        }
        guard !values.isEmpty else {
            throw fail(.wrongType, "sweep `\(key)` has no values (`\(PipelineLoader.shown(trimmed))` is empty)",
                       column: column, field: key, "check the bounds: range(a,b) stops before b")
        }
        return SweepAxis(key: key, values: values, keyLocation: start)

        func checkCount(_ count: Int) throws(PipelineError) {
            guard count <= SweepSpec.maxPoints else {
                throw fail(.limitExceeded, "sweep `\(key)` has \(count) values; a sweep has at most \(SweepSpec.maxPoints) points",
                           column: column, field: key, "sweep fewer values, or split the sweep")
            }
        }
    }

    /// `name(a, b, …)` split into the name and its arguments.
    static func call(_ text: String) -> (String, [String])? {
        guard text.hasSuffix(")"), let open = text.firstIndex(of: "(") else { return nil }
        let name = String(text[..<open])
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter }) else { return nil }
        let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
        return (name, inner.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
    }

    static func usage(_ function: String) -> String {
        switch function {
        case "range": "write range(start, stop) or range(start, stop, step), e.g. seed=range(0,8)"
        case "linspace": "write linspace(start, stop, count), e.g. white.gamma=linspace(0,1,5)"
        default: "write logspace(start, stop, count) for 10^start … 10^stop, e.g. train.learning_rate=logspace(-3,0,4)"
        }
    }

    /// n evenly spaced numbers from a to b inclusive; the end points exactly.
    static func linspace(_ a: Double, _ b: Double, _ n: Int) -> [Double] {
        guard n > 1 else { return [a] }
        return (0..<n).map { i in i == n - 1 ? b : a + (b - a) * Double(i) / Double(n - 1) }
    }

    /// 10^x; exact for integer x (parsed from `1e<x>`, as the literal would be).
    static func powerOfTen(_ x: Double) -> Double {
        if x == x.rounded(), abs(x) < 300, let exact = Double("1e\(Int(x))") { return exact }
        return pow(10, x)
    }
}
