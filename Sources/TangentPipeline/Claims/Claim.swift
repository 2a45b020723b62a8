/// An executable claim of a pipeline file: one line saying which paper result it states (`that`) and the check
/// that tests it against the run's metrics (`check`), e.g.
///
/// ```yaml
/// claims:
///   - that: "alignment saturates before the loss moves"
///     check: "times.t_align < times.t_half"
/// ```
///
/// Claims are evaluated after a run (on its stages' summary.json files) or after a sweep (on the group means of its
/// aggregate.csv) and reported in `claims.json` (see `ClaimsReport`). They are never part of a stage's cache key:
/// changing a claim recomputes nothing. docs/pipeline-format.md, *Claims*, describes the language.
public struct Claim: Sendable, Equatable {
    /// Which result the claim states (one line).
    public var that: String
    /// The check, parsed.
    public var expression: ClaimExpression
    /// Where the check is written in the pipeline file (nil for a claim read back from a run folder).
    public var location: SourceLocation?

    /// The check as written.
    public var check: String { expression.text }

    public init(that: String, expression: ClaimExpression, location: SourceLocation? = nil) {
        self.that = that
        self.expression = expression
        self.location = location
    }

    /// A claim from its text; a check that does not parse is a `Problem`.
    public init(that: String, check: String) throws(ClaimExpression.Problem) {
        self.init(that: that, expression: try ClaimExpression(parsing: check))
    }
}

/// A claim as a run or sweep folder stores it, before its check is parsed again: what `tangent claims DIR`
/// re-evaluates.
public struct StoredClaim: Sendable, Equatable {
    public var that: String
    public var check: String

    public init(that: String, check: String) {
        self.that = that
        self.check = check
    }

    public init(_ claim: Claim) { self.init(that: claim.that, check: claim.check) }

    /// `{"that": …, "check": …}`, as manifest.json and sweep.json store it.
    public var value: Value { .object(["that": .string(that), "check": .string(check)]) }

    /// The claims of a stored list (`manifest.json`'s or `sweep.json`'s `claims`); entries without both strings
    /// are left out, a missing list is no claims.
    public static func list(_ value: Value?) -> [StoredClaim] {
        (value?.listValue ?? []).compactMap { entry in
            guard let that = entry["that"]?.stringValue, let check = entry["check"]?.stringValue else { return nil }
            return StoredClaim(that: that, check: check)
        }
    }
}
