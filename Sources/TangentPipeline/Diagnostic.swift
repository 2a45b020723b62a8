import TangentCore
/// A place in a pipeline file (or on the command line): file, 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in a pipeline: what, where (file:line:column and the dotted field), and how to fix it.
public struct Diagnostic: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        case fileNotFound, yamlSyntax
        case unknownKey, missingKey, wrongType, outOfRange, invalidValue
        case unknownStage, unknownParameter, missingParameter
        case unknownUpstream, unknownSlot, missingInput, tooManyInputs, slotKindMismatch, cycle, duplicateID
        case unknownProfile, badOverride
        /// A claim's check does not parse, or names a stage, axis or selector the pipeline does not have.
        case badClaim
        /// A stage would allocate more memory than the machine has.
        case outOfMemory
        /// The pipeline file is not a readable regular file (a directory, a FIFO, a device, too large, no permission).
        case unreadableFile
        /// The pipeline file is not UTF-8 text (an invalid byte, a UTF-16/32 byte order mark, a control byte).
        case encoding
        /// The YAML exceeds a reader limit: nodes after alias expansion, nesting depth, key length.
        case limitExceeded
    }

    /// How bad it is: an error makes the pipeline invalid, a warning never does by itself.
    public enum Severity: String, Sendable {
        case error, warning
    }

    public var code: Code
    public var message: String
    public var location: SourceLocation?
    /// The dotted path of the offending field, e.g. `stages.train.with.learning_rate`.
    public var field: String
    /// A remedy, e.g. "did you mean `ntk.snapshots`?".
    public var suggestion: String?
    /// `error` (the default) or `warning`.
    public var severity: Severity = .error

    public init(_ code: Code, _ message: String, at location: SourceLocation?, field: String,
                suggestion: String? = nil, severity: Severity = .error) {
        self.code = code
        self.message = message
        self.location = location
        self.field = field
        self.suggestion = suggestion
        self.severity = severity
    }

    /// The diagnostic as a JSON object (for editors and scripts: `tangent validate --json`).
    public var jsonValue: Value {
        .object([
            "severity": .string(severity.rawValue), "code": .string(code.rawValue), "message": .string(message), "field": .string(field),
            "file": location.map { .string($0.file) } ?? .null, "line": location.map { .int($0.line) } ?? .null,
            "column": location.map { .int($0.column) } ?? .null, "suggestion": suggestion.map(Value.string) ?? .null,
        ])
    }

    /// `file:line:column: error: field: message; suggestion` (`warning:` for a warning)
    public var description: String {
        var text = (location.map { "\($0): " } ?? "") + "\(severity.rawValue): "
        if !field.isEmpty { text += "\(field): " }
        text += message
        if let suggestion { text += "; \(suggestion)" }
        return text
    }
}

/// Errors of the pipeline engine: a `TangentError` whose `details` are the diagnostics of an invalid pipeline.
///
/// `invalidPipeline` carries every diagnostic found (validation reports all problems at once); `runFolder` is a
/// run folder the run refuses to touch (not Tangent's, or in use by another run); the others are failures while
/// running, with the stage and the underlying cause.
public typealias PipelineError = TangentError

extension TangentError.Code {
    /// The pipeline file, its overrides or a stage's parameters are invalid (see the diagnostics).
    public static let invalidPipeline = Self(rawValue: "invalidPipeline")
    /// A run folder that the run refuses to touch: not Tangent's, or in use by another run.
    public static let runFolder = Self(rawValue: "runFolder")
    /// A stage failed while running.
    public static let stageFailed = Self(rawValue: "stageFailed")
    /// A stage's artifact is missing, damaged or not what its reader expects.
    public static let artifact = Self(rawValue: "artifact")
    /// A sweep's own files (a tasks file, the sweep record) are missing or not what Tangent wrote, or a point failed.
    public static let sweep = Self(rawValue: "sweep")
}

extension Diagnostic: UserFacingError {}

extension TangentError {
    /// An error of the engine with its diagnostics.
    public init(_ code: Code, _ message: String, diagnostics: [Diagnostic], cause: (any Error & Sendable)? = nil,
                fileID: String = #fileID, line: Int = #line) {
        self.init(code, message, cause: cause, details: diagnostics, fileID: fileID, line: line)
    }

    /// The diagnostics of an invalid pipeline (empty for other errors).
    public var diagnostics: [Diagnostic] { details.compactMap { $0 as? Diagnostic } }

    /// The pipeline is invalid: `diagnostics` holds at least one error (and possibly warnings).
    public static func invalid(_ diagnostics: [Diagnostic]) -> PipelineError {
        let errors = diagnostics.filter { $0.severity == .error }.count
        return PipelineError(.invalidPipeline, "\(errors) problem\(errors == 1 ? "" : "s") in the pipeline",
                             diagnostics: diagnostics)
    }
}

/// "did you mean …?": the closest candidate by edit distance (with transpositions), if it is within a third of
/// the word's length (at least 1 edit). Bounded: words longer than 100 characters get no suggestion, and candidates
/// whose length differs by more than the allowed distance are skipped before any edit distance is computed.
func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
    let length = word.count
    guard length <= 100 else { return nil }
    let limit = max(1, length / 3)
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        // Cheap length filter first (utf8 bounds the character count from above).
        if candidate.utf8.count < length - limit { continue }
        let count = candidate.count
        guard abs(count - length) <= limit else { continue }
        let d = editDistance(word, candidate)
        guard d <= limit else { continue }
        if best == nil || d < best!.distance || (d == best!.distance && candidate < best!.candidate) {
            best = (candidate, d)
        }
    }
    return best.map { "did you mean `\($0.candidate)`?" }
}

/// At most `limit` names joined by ", ", then "… (N in all)": remedies list names without growing with the file.
func listed(_ names: some Collection<String>, limit: Int = 10) -> String {
    if names.count <= limit { return names.joined(separator: ", ") }
    return names.prefix(limit).joined(separator: ", ") + ", … (\(names.count) in all)"
}

/// Did-you-mean among stage ids or profile names, whose number grows with the file: every lookup is charged the
/// number of candidates it examines, and once `budget` is spent no more suggestions are computed (so that a
/// file with 64,000 stages and as many typos stays linear).
struct SuggestionBudget {
    var remaining: Int

    init(_ budget: Int = 200_000) { remaining = budget }

    mutating func suggestion(for word: String, among candidates: [String], excluding excluded: String? = nil) -> String? {
        guard remaining >= candidates.count else { return nil }
        remaining -= candidates.count
        guard let excluded else { return TangentPipeline.suggestion(for: word, among: candidates) }
        return TangentPipeline.suggestion(for: word, among: candidates.lazy.filter { $0 != excluded })
    }
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions cost 1.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}
