import Foundation
import TangentCore

/// One evaluated claim.
public struct ClaimOutcome: Sendable, Equatable {
    public var that: String
    public var check: String
    public var holds: Bool
    /// Every metric reference of the check, as written (selector included), and its value: a number, string, bool,
    /// a list of numbers (a sweep's group means), or null when missing.
    public var values: [String: Value]
    /// Why the claim could not be evaluated (a missing metric names its file and the keys there); nil when it was.
    public var error: String?
    /// The check with each metric's value after it, for printing: `times.t_align = 12 < times.t_half = 40`.
    public var shown: String

    public init(that: String, check: String, holds: Bool, values: [String: Value], error: String?, shown: String) {
        self.that = that
        self.check = check
        self.holds = holds
        self.values = values
        self.error = error
        self.shown = shown
    }

    /// `{"that", "check", "holds", "values", "error"}`, as claims.json holds it.
    public var json: Value {
        .object(["that": .string(that), "check": .string(check), "holds": .bool(holds), "values": .object(values),
                 "error": error.map(Value.string) ?? .null])
    }
}

/// The claims of a run or sweep, evaluated: what `claims.json` holds and `tangent run` prints.
///
/// ```json
/// {"claims": [{"that": "…", "check": "times.t_align < times.t_half", "holds": true,
///              "values": {"times.t_align": 12, "times.t_half": 40}, "error": null}],
///  "total": 1, "held": 1, "failed": 0, "all_hold": true}
/// ```
public struct ClaimsReport: Sendable, Equatable {
    public static let fileName = "claims.json"

    public var claims: [ClaimOutcome]

    public init(claims: [ClaimOutcome]) { self.claims = claims }

    public var total: Int { claims.count }
    public var held: Int { claims.filter(\.holds).count }
    public var failed: Int { total - held }
    /// True when every claim holds (also when there are none).
    public var allHold: Bool { failed == 0 }
    /// The claims that do not hold, in order.
    public var failedClaims: [ClaimOutcome] { claims.filter { !$0.holds } }

    public var json: Value {
        .object(["claims": .list(claims.map(\.json)), "total": .int(total), "held": .int(held), "failed": .int(failed),
                 "all_hold": .bool(allHold)])
    }

    /// Writes `<folder>/claims.json` atomically (a reader sees the old file or the new one whole).
    public func write(to folder: URL) throws {
        let url = folder.appendingPathComponent(Self.fileName)
        do { try AtomicFile.write(Data((json.prettyJSON() + "\n").utf8), to: url) } catch {
            throw PipelineError(.io, "cannot write \(url.path); check that you may write to \(folder.path)", cause: error)
        }
    }

    /// One line per claim, `✓ holds  that  (check with values)` or `✗ fails  that  (…; error: …)`, then
    /// `claims: 2 of 3 hold`; nothing when there are no claims. `colour`: green and red marks (for a terminal).
    public func lines(colour: Bool = false) -> [String] {
        guard !claims.isEmpty else { return [] }
        let paint = { (code: String, text: String) in colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var lines = claims.map { claim in
            let mark = claim.holds ? paint("32", "✓ holds") : paint("31", "✗ fails")
            let detail = claim.error.map { claim.shown + "; error: " + $0 } ?? claim.shown
            return "\(mark)  \(claim.that)  (\(detail))"
        }
        lines.append(summaryLine)
        return lines
    }

    /// `claims: 2 of 3 hold`.
    public var summaryLine: String { "claims: \(held) of \(total) hold" }

    /// What `--strict-claims` says when claims fail: how many, and each one's `that`.
    public var strictMessage: String {
        "\(failed) of \(total) claim\(total == 1 ? "" : "s") failed (--strict-claims): "
            + failedClaims.map { "\"\($0.that)\"" }.joined(separator: ", ")
    }
}
