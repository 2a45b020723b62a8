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
        /// A stage would allocate more memory than the machine has.
        case outOfMemory
    }

    /// An error makes the pipeline invalid; a warning is reported and the run goes on.
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
    public var severity: Severity

    public init(_ code: Code, _ message: String, at location: SourceLocation?, field: String,
                suggestion: String? = nil, severity: Severity = .error) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
        self.field = field
        self.suggestion = suggestion
    }

    /// The diagnostic as a JSON object (for editors and scripts: `tangent validate --json`).
    public var jsonValue: Value {
        .object([
            "code": .string(code.rawValue), "message": .string(message), "field": .string(field),
            "file": location.map { .string($0.file) } ?? .null, "line": location.map { .int($0.line) } ?? .null,
            "column": location.map { .int($0.column) } ?? .null, "suggestion": suggestion.map(Value.string) ?? .null,
            "severity": .string(severity.rawValue),
        ])
    }

    /// `file:line:column: error: field: message; suggestion`
    public var description: String {
        var text = (location.map { "\($0): " } ?? "") + "\(severity.rawValue): "
        if !field.isEmpty { text += "\(field): " }
        text += message
        if let suggestion { text += "; \(suggestion)" }
        return text
    }
}

/// An error of the pipeline engine.
///
/// `invalidPipeline` carries every diagnostic found (validation reports all problems at once); `runFolder` is a
/// run folder the run refuses to touch (not Tangent's, or in use by another run); the others are failures while
/// running, with the stage and the underlying cause.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case invalidPipeline, runFolder, stageFailed, artifact, io
    }

    public var code: Code
    public var message: String
    public var diagnostics: [Diagnostic]
    public var cause: String?
    public var location: String

    public init(_ code: Code, _ message: String, diagnostics: [Diagnostic] = [], cause: (any Error)? = nil,
                fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
        self.cause = cause.map { String(describing: $0) }
        self.location = "\(fileID):\(line)"
    }

    public static func invalid(_ diagnostics: [Diagnostic]) -> PipelineError {
        PipelineError(.invalidPipeline,
                      "\(diagnostics.count) problem\(diagnostics.count == 1 ? "" : "s") in the pipeline",
                      diagnostics: diagnostics)
    }

    public var description: String {
        if !diagnostics.isEmpty { return diagnostics.map(\.description).joined(separator: "\n") }
        return message + (cause.map { ": \($0)" } ?? "")
    }
}

/// "did you mean …?": the closest candidate by edit distance (with transpositions), if it is within a third of
/// the word's length (at least 1 edit).
func suggestion(for word: String, among candidates: [String]) -> String? {
    let best = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    guard let (candidate, distance) = best, distance <= max(1, word.count / 3) else { return nil }
    return "did you mean `\(candidate)`?"
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
