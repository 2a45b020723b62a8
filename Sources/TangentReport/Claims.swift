import Foundation
import TangentCore
import TangentPipeline

/// `claims.json` at a run or sweep folder's root: the claims a pipeline makes about its results and whether each
/// held.
/// ```json
/// {"claims": [{"that": "...", "check": "times.t_align < times.t_half", "holds": true,
///              "values": {"times.t_align": 12, "times.t_half": 40}, "error": null}],
///  "total": 3, "held": 2, "failed": 1, "all_hold": false}
/// ```
/// The report only reads it (another part of Tangent evaluates the claims and writes the file).
public struct ClaimsFile: Sendable, Equatable {
    public struct Claim: Sendable, Equatable {
        /// The sentence the claim makes.
        public var that: String
        /// The expression checked.
        public var check: String
        /// Whether it held; nil when it could not be evaluated.
        public var holds: Bool?
        /// The values the check used, by name (sorted), as text.
        public var values: [(String, String)]
        public var error: String?

        public static func == (a: Claim, b: Claim) -> Bool {
            a.that == b.that && a.check == b.check && a.holds == b.holds && a.error == b.error
                && a.values.map(\.0) == b.values.map(\.0) && a.values.map(\.1) == b.values.map(\.1)
        }
    }

    public static let fileName = "claims.json"

    public var claims: [Claim]
    public var total: Int
    public var held: Int
    public var failed: Int
    public var allHold: Bool

    /// Parses the file's text; a problem is thrown as a sentence.
    public init(json text: String) throws {
        let value: Value
        do { value = try JSONReader.parse(text) } catch {
            throw ReportError("claims.json is not valid JSON (\(error))")
        }
        guard let list = value["claims"]?.listValue else {
            throw ReportError("claims.json has no `claims` list")
        }
        claims = list.map { item in
            let values = (item["values"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, Self.text($0.value)) }
            return Claim(that: item["that"]?.stringValue ?? "", check: item["check"]?.stringValue ?? "",
                         holds: item["holds"]?.boolValue, values: values,
                         error: item["error"].flatMap { $0.isNull ? nil : ($0.stringValue ?? $0.canonicalJSON) })
        }
        total = value["total"]?.intValue ?? claims.count
        held = value["held"]?.intValue ?? claims.filter { $0.holds == true }.count
        failed = value["failed"]?.intValue ?? claims.filter { $0.holds != true }.count
        allHold = value["all_hold"]?.boolValue ?? (held == total)
    }

    /// Reads `folder/claims.json`: nil when there is none; a damaged file is an error naming it.
    public static func read(in folder: URL) throws -> ClaimsFile? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let text = ReportFiles.text(url, limit: 16 << 20) else {
            throw ReportError("\(url.path) cannot be read as UTF-8 text")
        }
        return try ClaimsFile(json: text)
    }

    static func text(_ value: Value) -> String {
        switch value {
        case .int(let i): return String(i)
        case .double(let d): return Plot.number(d).isEmpty ? formatNonFinite(d) : Plot.number(d)
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        default: return value.canonicalJSON
        }
    }

    static func formatNonFinite(_ d: Double) -> String { d.isNaN ? "nan" : d > 0 ? "inf" : "-inf" }
}

/// A problem of the report, as one sentence for the user.
public struct ReportError: Error, UserFacingError, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
