import Foundation
import TangentCore

/// Reads what a point's run folder holds for the aggregation: its manifest, and each stage's summary.json and
/// metrics.csv. Nothing here throws: a file that cannot be read or is malformed is left out for that point with a
/// warning naming it, so one damaged point never stops the aggregation of the others.
struct PointReader {
    let folder: URL
    var warnings: [String] = []

    init(folder: URL) { self.folder = folder }

    /// What manifest.json says of the point.
    struct Manifest {
        /// `finished`, `failed`, `running`, `interrupted` (as written); `missing` without a manifest,
        /// `unreadable` when it is damaged.
        var status: String
        /// The stage ids in pipeline order.
        var stages: [String]
    }

    /// Manifests and summaries larger than this are refused (they are meant to be small); a metrics.csv may be
    /// as large as the memory available.
    static let summaryLimit = 64 << 20

    /// manifest.json: its status and stage order.
    mutating func manifest() -> Manifest {
        let url = folder.appendingPathComponent("manifest.json")
        guard exists(url) else { return Manifest(status: "missing", stages: []) }
        guard let object = json(url)?.objectValue else { return Manifest(status: "unreadable", stages: []) }
        guard let status = object["status"]?.stringValue, !status.isEmpty else {
            warn(url, "has no `status`; the point is taken as unreadable")
            return Manifest(status: "unreadable", stages: [])
        }
        var stages: [String] = []
        for entry in object["stages"]?.listValue ?? [] {
            guard let id = entry["id"]?.stringValue, Self.isFolderName(id) else {
                warn(url, "lists a stage without a usable `id` (\(entry.canonicalJSON.prefix(80))); it is left out")
                continue
            }
            if !stages.contains(id) { stages.append(id) }
        }
        return Manifest(status: status, stages: stages)
    }

    /// The stage's summary.json ([:] when it wrote none; nil, with a warning, when it is damaged).
    mutating func summary(of stage: String) -> [String: Value]? {
        let url = folder.appendingPathComponent(stage).appendingPathComponent("summary.json")
        guard exists(url) else { return [:] }
        guard let value = json(url) else { return nil }
        guard let object = value.objectValue else {
            warn(url, "is not a JSON object; this point's `\(stage)` summary is left out")
            return nil
        }
        return object
    }

    /// The stage's metrics.csv as key → step → value ([:] when it wrote none; nil, with a warning, when it is
    /// damaged). A (key, step) written twice keeps its last value; rows whose step is NaN or infinite are
    /// ignored. Only this one file is held while it is read.
    mutating func metrics(of stage: String) -> [String: [Double: Double]]? {
        let url = folder.appendingPathComponent(stage).appendingPathComponent("metrics.csv")
        guard exists(url) else { return [:] }
        guard let data = contents(url, limit: nil) else { return nil }
        var reader = CSVReader(bytes: Array(data))
        var out: [String: [Double: Double]] = [:]
        do {
            guard let header = try reader.next(), header == ["step", "key", "value"] else {
                warn(url, "does not start with the header step,key,value; this point's `\(stage)` metrics are left out")
                return nil
            }
            while let row = try reader.next() {
                guard row.count == 3, !row[1].isEmpty, let step = parseNumber(row[0]), let value = parseNumber(row[2])
                else {
                    warn(url, "line \(reader.recordLine) is not `step,key,value` with numbers; this point's `\(stage)` "
                         + "metrics are left out")
                    return nil
                }
                if step.isFinite { out[row[1], default: [:]][step] = value }
            }
        } catch {
            warn(url, "is not valid CSV (\(error)); this point's `\(stage)` metrics are left out")
            return nil
        }
        return out
    }

    // MARK: - Files

    /// A stage id from a manifest is used as a folder name only when it is one (no `/`, not `.` or `..`).
    static func isFolderName(_ id: String) -> Bool {
        !id.isEmpty && id != "." && id != ".." && !id.contains("/") && !id.contains("\0")
    }

    private func exists(_ url: URL) -> Bool { FileSystem.kind(url.path, followingLinks: true) != .missing }

    private mutating func warn(_ url: URL, _ problem: String) { warnings.append("\(url.path) \(problem)") }

    /// The file's bytes (at most `limit`; nil: the memory available), or nil with a warning.
    private mutating func contents(_ url: URL, limit: Int?) -> Data? {
        guard FileSystem.kind(url.path, followingLinks: true) == .file else {
            warn(url, "is not a regular file; it is left out")
            return nil
        }
        do { return try FileContents.read(url, maximumSize: limit) } catch {
            warn(url, "cannot be read (\(TangentError.userText(error) ?? "read failed")); it is left out")
            return nil
        }
    }

    /// The file's text, or nil with a warning.
    private mutating func text(_ url: URL) -> String? {
        guard let data = contents(url, limit: Self.summaryLimit) else { return nil }
        guard let text = String(validating: data, as: UTF8.self) else {
            warn(url, "is not UTF-8 text; it is left out")
            return nil
        }
        return text
    }

    /// The file's JSON, or nil with a warning.
    private mutating func json(_ url: URL) -> Value? {
        guard let text = text(url) else { return nil }
        do { return try JSONReader.parse(text) } catch {
            warn(url, "is not valid JSON (\(error)); it is left out")
            return nil
        }
    }
}
