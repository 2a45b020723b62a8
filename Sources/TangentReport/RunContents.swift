import Foundation
import TangentCore
import TangentPipeline

/// What a run folder holds, read lazily and defensively for a report: the manifest (stages, their types, status
/// and timings, and the resolved config with each stage's inputs), each stage's summary, metrics and small arrays.
/// Whatever cannot be read is left out and named in `notes`.
public final class RunContents {
    public struct Stage: Sendable {
        public var id: String
        public var use: String
        public var version: Int?
        public var status: String
        public var seconds: Double?
        public var error: String?
        /// Input slot → upstream stage ids, from the resolved config.
        public var from: [String: [String]]
        /// The stage's parameters (`with`), from the resolved config.
        public var with: [String: Value]

        /// Whether the stage's folder holds a finished result.
        public var finished: Bool { ["computed", "cached", "shared"].contains(status) }
    }

    /// A metrics.csv: each key's (step, value) pairs in file order; keys in order of first appearance.
    public struct Metrics: Sendable {
        public var keys: [String] = []
        public var series: [String: (steps: [Double], values: [Double])] = [:]

        public func steps(_ key: String) -> [Double] { series[key]?.steps ?? [] }
        public func values(_ key: String) -> [Double] { series[key]?.values ?? [] }
        public func has(_ key: String) -> Bool { series[key].map { !$0.steps.isEmpty } ?? false }
    }

    public let root: URL
    public let manifest: [String: Value]
    public let stages: [Stage]
    public private(set) var notes: [String] = []
    private var metricsCache: [String: Metrics] = [:]

    /// Reads `root/manifest.json`; a run folder without a readable manifest is an error.
    public init(root: URL) throws {
        self.root = root
        let url = root.appendingPathComponent("manifest.json")
        guard let manifest = ReportFiles.jsonObject(url) else {
            throw ReportError("\(url.path) is missing or is not a JSON object, so \(root.path) cannot be reported on; "
                              + "run the pipeline again with --out \(root.path) (finished stages are reused)")
        }
        self.manifest = manifest
        let config = manifest["config"]?["stages"]?.objectValue ?? [:]
        stages = (manifest["stages"]?.listValue ?? []).compactMap { entry in
            guard let id = entry["id"]?.stringValue else { return nil }
            var from: [String: [String]] = [:]
            for (slot, value) in config[id]?["from"]?.objectValue ?? [:] {
                from[slot] = value.stringValue.map { [$0] } ?? value.listValue?.compactMap(\.stringValue) ?? []
            }
            return Stage(id: id, use: entry["use"]?.stringValue ?? config[id]?["use"]?.stringValue ?? "?",
                         version: entry["version"]?.intValue, status: entry["status"]?.stringValue ?? "?",
                         seconds: entry["seconds"]?.doubleValue, error: entry["error"]?.stringValue,
                         from: from, with: config[id]?["with"]?.objectValue ?? [:])
        }
    }

    public func note(_ text: String) { notes.append(text) }

    public func stage(_ id: String) -> Stage? { stages.first { $0.id == id } }

    /// Finished stages of these types, in pipeline order.
    public func stages(using types: Set<String>) -> [Stage] { stages.filter { types.contains($0.use) && $0.finished } }

    /// The upstream stage of `stage`'s input `slot` (its first).
    public func upstream(_ stage: Stage, _ slot: String) -> Stage? { stage.from[slot]?.first.flatMap(self.stage) }

    /// The folder of a finished stage; a failed stage's kept partial output (`<id>.failed/`) when `partial`.
    public func folder(_ stage: Stage, partial: Bool = false) -> URL? {
        if stage.finished { return root.appendingPathComponent(stage.id) }
        if partial, stage.status == "failed" {
            let failed = root.appendingPathComponent(stage.id + ".failed")
            if ReportFiles.exists(failed) { return failed }
        }
        return nil
    }

    public func file(_ stage: Stage, _ name: String, partial: Bool = false) -> URL? {
        folder(stage, partial: partial)?.appendingPathComponent(name)
    }

    /// The stage's summary.json ([:] when it has none; a note when it is damaged).
    public func summary(_ stage: Stage) -> [String: Value] {
        guard let url = file(stage, "summary.json"), ReportFiles.exists(url) else { return [:] }
        guard let object = ReportFiles.jsonObject(url) else {
            note("\(stage.id)/summary.json could not be read as a JSON object; its values are left out")
            return [:]
        }
        return object
    }

    /// The stage's metrics.csv (empty when it has none; a note when it is damaged).
    public func metrics(_ stage: Stage, partial: Bool = false) -> Metrics {
        let cacheKey = stage.id + (partial ? "#partial" : "")
        if let hit = metricsCache[cacheKey] { return hit }
        var metrics = Metrics()
        if let url = file(stage, "metrics.csv", partial: partial), ReportFiles.exists(url) {
            if let table = ReportFiles.csv(url), table.columns == ["step", "key", "value"] {
                for row in table.rows {
                    guard let step = Self.number(row[0]), let value = Self.number(row[2]) else { continue }
                    if metrics.series[row[1]] == nil {
                        metrics.keys.append(row[1])
                        metrics.series[row[1]] = ([], [])
                    }
                    metrics.series[row[1]]!.steps.append(step)
                    metrics.series[row[1]]!.values.append(value)
                }
            } else {
                note("\(url.lastPathComponent) of stage `\(stage.id)` is not a step,key,value table; its curves are left out")
            }
        }
        metricsCache[cacheKey] = metrics
        return metrics
    }

    /// A small `.npy` array of the stage (nil, with a note when it exists but cannot be read or is too large).
    public func array(_ stage: Stage, _ name: String) -> ReportFiles.SmallArray? {
        guard let url = file(stage, name + ".npy") else { return nil }
        return unwrap(ReportFiles.array(url), "\(stage.id)/\(name).npy")
    }

    /// A small member of one of the stage's `.npz` archives.
    public func archiveMember(_ stage: Stage, _ archive: String, _ name: String) -> ReportFiles.SmallArray? {
        guard let url = file(stage, archive) else { return nil }
        return unwrap(ReportFiles.archiveMember(url, name), "\(stage.id)/\(archive):\(name)")
    }

    /// The names of the stage's arrays (`artifact.json`), or [] when it has no index.
    public func arrayNames(_ stage: Stage) -> [String] {
        guard let url = file(stage, "artifact.json"), let index = ReportFiles.jsonObject(url) else { return [] }
        return (index["arrays"]?.listValue ?? []).compactMap(\.stringValue).sorted()
    }

    private func unwrap(_ result: Result<ReportFiles.SmallArray, ReportFiles.ArrayProblem>,
                        _ what: String) -> ReportFiles.SmallArray? {
        switch result {
        case .success(let array): return array
        case .failure(.missing): return nil
        case .failure(.tooLarge(let count)):
            note("\(what) has \(count) elements, more than a report reads (\(ReportFiles.arrayLimit)); its plot is left out")
        case .failure(.unreadable(let why)):
            note("\(what) could not be read (\(why)); its plot is left out")
        }
        return nil
    }

    /// A number as metrics.csv writes it (`nan`, `inf` and `-inf` included).
    static func number(_ text: String) -> Double? {
        switch text {
        case "nan", "NaN": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        case "": return .nan
        default: return Double(text)
        }
    }
}
