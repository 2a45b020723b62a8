import Foundation
import TangentCore

/// A sweep folder:
/// ```
/// OUT/                        (default runs/<pipeline>/sweeps/<profile and overrides, or "default">)
///   .tangent-sweep            marker: the folder is Tangent's; `tangent run` of the sweep locks it (flock)
///   sweep.json                the sweep: file, profile, overrides, axes, and every point's name and values
///   tasks.jsonl               one task per point (see `SweepTask`), for the points run by `--jobs`
///   points/<name>/            each point's run folder
///   store/                    finished stages shared between points (see `StageStore`)
///   logs/<name>.log           each point's output when run by `--jobs`
///   slurm/                    tasks.jsonl, array.sbatch, jobs.json and logs/ of `tangent sweep submit --slurm`
///   sweep.csv  aggregate.csv  curves/<stage>.<metric>.csv     the results (see `SweepResults`)
///   report.html  report-data/ the sweep's report, written by TangentReport after the results
/// ```
/// Like a run folder, it is created only new or empty (or when marked); Tangent writes nothing else into it.
public struct SweepFolder {
    public let root: URL

    static let marker = ".tangent-sweep"

    static func pointsURL(_ root: URL) -> URL { root.appendingPathComponent("points") }
    static func storeURL(_ root: URL) -> URL { root.appendingPathComponent("store") }
    public var recordURL: URL { root.appendingPathComponent("sweep.json") }
    public var tasksURL: URL { root.appendingPathComponent("tasks.jsonl") }
    public var logsURL: URL { root.appendingPathComponent("logs") }
    public var slurmURL: URL { root.appendingPathComponent("slurm") }
    var markerPath: String { root.appendingPathComponent(Self.marker).path }

    public init(root: URL) { self.root = root.standardizedFileURL }

    /// Opens `root` as a sweep folder, creating it when missing; a non-empty folder without the marker is refused.
    public static func open(_ root: URL) throws -> SweepFolder {
        let folder = SweepFolder(root: root)
        let path = folder.root.path
        switch FileSystem.kind(path, followingLinks: true) {
        case .missing:
            do { try FileSystem.makeDirectories(path) } catch {
                throw PipelineError(.io, "cannot create the sweep folder \(path); check that you may write to its parent, "
                                    + "or choose another folder with --out", cause: error)
            }
        case .directory: break
        case .file, .other:
            throw PipelineError(.runFolder, "the sweep folder \(path) exists and is not a folder; choose another path with --out")
        }
        let names: [String]
        do { names = try FileSystem.entries(path) } catch {
            throw PipelineError(.io, "cannot list the sweep folder \(path); check its permissions", cause: error)
        }
        guard names.contains(marker) || names.isEmpty else {
            throw PipelineError(.runFolder, "\(path) is not empty and is not a Tangent sweep folder (it has no \(marker) "
                                + "marker), and Tangent never writes into a folder it did not create; choose a new or empty "
                                + "folder with --out")
        }
        if !names.contains(marker) {
            do { try FileSystem.writeSmallFile(folder.markerPath, "") } catch {
                throw PipelineError(.io, "cannot create the marker \(folder.markerPath)", cause: error)
            }
        }
        return folder
    }

    /// An existing sweep folder (for `sweep status`, `summary`, `aggregate`): it must hold the marker and sweep.json.
    public static func existing(_ root: URL) throws -> SweepFolder {
        let folder = SweepFolder(root: root)
        guard FileSystem.kind(folder.markerPath) == .file, FileSystem.kind(folder.recordURL.path) == .file else {
            throw PipelineError(.sweep, "\(folder.root.path) is not a sweep folder (no \(marker) and sweep.json); give the "
                                + "folder that `tangent run --sweep …`, `--jobs` or `tangent sweep submit` wrote (its --out)")
        }
        return folder
    }

    /// Takes the sweep's lock: one `tangent run` of the sweep at a time (points lock their own run folders).
    func lock(wait: Bool, waiting: (String) -> Void) throws -> RunLock {
        try RunLock.acquire(marker: markerPath, folder: root.path, what: "sweep folder", wait: wait, waiting: waiting)
    }

    // MARK: - The sweep record

    /// What `sweep.json` says: the swept keys and each point's name and values, in order.
    public struct Record: Sendable, Equatable {
        public var pipeline: String
        public var file: String
        public var profile: String?
        public var overrides: [String]
        public var axes: [String]
        public var points: [PointRecord]
        /// The pipeline's claims, evaluated on the aggregate whenever the sweep is aggregated.
        public var claims: [StoredClaim] = []
    }

    public struct PointRecord: Sendable, Equatable {
        public var name: String
        public var values: [String: String]
    }

    /// Writes sweep.json for `plan`, atomically.
    public func writeRecord(_ plan: SweepPlan) throws {
        let value = Value.object([
            "format": .string("tangent-sweep/1"), "pipeline": .string(plan.base.name), "file": .string(plan.file),
            "profile": plan.profile.map(Value.string) ?? .null, "overrides": .list(plan.overrides.map(Value.string)),
            "axes": .list(plan.axes.map(Value.string)), "toolkit_version": .string(TangentVersion.current),
            "claims": .list(plan.base.claims.map { StoredClaim($0).value }),
            "points": .list(plan.points.map { point in
                .object(["name": .string(point.name),
                         "values": .object(Dictionary(point.values.map { ($0.key, Value.string($0.value)) }) { a, _ in a })])
            }),
        ])
        try AtomicFileWriter.write(Data((value.prettyJSON() + "\n").utf8), to: recordURL)
    }

    /// Reads sweep.json.
    public func record() throws -> Record {
        guard let text = FileSystem.readSmallFile(recordURL.path), let value = try? JSONReader.parse(text),
              value["format"]?.stringValue == "tangent-sweep/1", let axes = value["axes"]?.listValue?.compactMap(\.stringValue),
              let points = value["points"]?.listValue else {
            throw PipelineError(.sweep, "\(recordURL.path) is missing or is not a sweep record written by Tangent; run the "
                                + "sweep again (finished points are reused)")
        }
        return Record(
            pipeline: value["pipeline"]?.stringValue ?? "", file: value["file"]?.stringValue ?? "",
            profile: value["profile"]?.stringValue, overrides: value["overrides"]?.listValue?.compactMap(\.stringValue) ?? [],
            axes: axes,
            points: points.compactMap { p in
                guard let name = p["name"]?.stringValue else { return nil }
                return PointRecord(name: name, values: (p["values"]?.objectValue ?? [:]).compactMapValues(\.stringValue))
            },
            claims: StoredClaim.list(value["claims"]))
    }

    // MARK: - Points

    public func pointURL(_ name: String) -> URL { Self.pointsURL(root).appendingPathComponent(name) }

    /// Where a point stands, from its run folder.
    public enum PointStatus: String, Sendable, CaseIterable {
        case pending, running, finished, failed, interrupted
    }

    /// The point's status: `running` while a process holds its run folder's lock, else its manifest's status
    /// (`pending` when it has none).
    public func status(ofPoint name: String) -> PointStatus {
        let folder = pointURL(name)
        if RunLock.isHeld(folder.appendingPathComponent(RunFolder.runMarker).path) { return .running }
        guard let manifest = manifest(folder) else { return .pending }
        switch manifest["status"]?.stringValue {
        case "finished": return .finished
        case "failed": return .failed
        case "interrupted": return .interrupted
        case "running": return .interrupted  // a manifest says running but nobody holds the lock: the run was killed
        default: return .pending
        }
    }

    /// Whether `point` finished with exactly its stage cache keys (so running it again would compute nothing).
    public func isFinished(_ point: SweepPoint) -> Bool {
        recordedKeys(point.name).map(SweepPoint.digest(ofKeys:)) == point.keysDigest
    }

    /// The stage cache keys (id → key) a point's run folder finished with; nil when it did not finish.
    func recordedKeys(_ name: String) -> [String: String]? {
        guard let manifest = manifest(pointURL(name)), manifest["status"]?.stringValue == "finished",
              let stages = manifest["stages"]?.listValue else { return nil }
        var recorded: [String: String] = [:]
        for stage in stages {
            if let id = stage["id"]?.stringValue, let key = stage["key"]?.stringValue { recorded[id] = key }
        }
        return recorded
    }

    /// The error line of a failed point: its manifest's failed stage and message.
    public func failure(ofPoint name: String) -> String? {
        guard let stages = manifest(pointURL(name))?["stages"]?.listValue else { return nil }
        for stage in stages where stage["status"]?.stringValue == "failed" {
            return "stage `\(stage["id"]?.stringValue ?? "?")` failed: \(stage["error"]?.stringValue ?? "no message")"
        }
        return nil
    }

    func manifest(_ folder: URL) -> Value? {
        FileSystem.readSmallFile(folder.appendingPathComponent("manifest.json").path).flatMap { try? JSONReader.parse($0) }
    }
}
