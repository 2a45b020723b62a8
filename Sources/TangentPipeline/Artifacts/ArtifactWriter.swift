import Foundation
import TangentCore

/// Writes a stage's artifact into its fresh folder, keeping the list of files for `artifact.json` and the
/// completion record. Arrays go straight to `.npy` files; large ones can be streamed while they are computed
/// (`streamArray`), so a stage never needs to hold them whole.
public final class ArtifactWriter {
    /// The stage's folder (a temporary folder until the stage is committed).
    public let directory: URL
    /// The stage id, for messages.
    public let stageID: String
    private(set) var arrays: [String] = []
    private(set) var archives: [String] = []
    private(set) var files: [String] = []
    private var streams: [NPYFileWriter] = []

    public init(directory: URL, stageID: String) {
        self.directory = directory
        self.stageID = stageID
    }

    /// The path of a file in the folder.
    public func path(_ file: String) -> URL { directory.appendingPathComponent(file) }

    /// Writes `<name>.npy`.
    public func write(_ array: NPYArray, as name: String) throws {
        try claim(name, in: \.arrays, file: "\(name).npy")
        try io("\(name).npy") { try NPY.write(array, to: path("\(name).npy")) }
    }

    /// Opens `<name>.npy` for streaming: a pre-sized file of `dtype` and `shape` whose elements the stage appends in
    /// C order as it computes them (call `finish()` on it when done).
    public func streamArray(_ name: String, dtype: NPYDType, shape: [Int]) throws -> NPYFileWriter {
        try claim(name, in: \.arrays, file: "\(name).npy")
        let stream = try io("\(name).npy") { try NPYFileWriter(url: path("\(name).npy"), dtype: dtype, shape: shape) }
        streams.append(stream)
        return stream
    }

    /// Claims `<name>.npy` for an array the stage writes into `path("<name>.npy")` itself (e.g. tile by tile, out of
    /// core); the file must be complete when the stage returns. Returns its path.
    @discardableResult
    public func claimArray(_ name: String) throws -> URL {
        try claim(name, in: \.arrays, file: "\(name).npy")
        return path("\(name).npy")
    }

    /// Writes another file the stage wrote itself into the folder (`path(file)`), as given.
    public func claimFile(_ file: String) throws {
        try claim(file, in: \.files, file: file)
    }

    /// The stage's cache key, set by the engine (nil outside a pipeline run): `markResumable` records it.
    public var resumeKey: String?

    /// Marks files the stage itself created in the folder as resumable: if this attempt fails, is interrupted or
    /// killed, they are kept (in `<id>.failed/`) and handed to the next attempt with the same cache key, which finds
    /// them in its folder. Only plain file names the stage wrote; it must check what it finds before using it.
    public func markResumable(_ files: [String]) throws {
        guard let resumeKey else { return }
        let text = ([resumeKey] + files.filter { !$0.contains("/") && !$0.hasPrefix(".") }).joined(separator: "\n") + "\n"
        try io(".tangent-resumable") { try AtomicFile.write(Data(text.utf8), to: path(".tangent-resumable")) }
    }

    /// Writes the `.npz` archive `file` with `members` in order.
    public func writeArchive(_ members: [(name: String, array: NPYArray)], as file: String) throws {
        try claim(file, in: \.archives, file: file)
        try io(file) { try NPZ.write(members, to: path(file)) }
    }

    /// Writes another file (text, CSV, …) as given.
    public func write(_ data: Data, as file: String) throws {
        try claim(file, in: \.files, file: file)
        try io(file) { try AtomicFile.write(data, to: path(file)) }
    }

    /// Writes summary.json (nothing when empty).
    public func writeSummary(_ summary: [String: Value]) throws {
        guard !summary.isEmpty else { return }
        try io("summary.json") {
            try AtomicFile.write(Data((Value.object(summary).prettyJSON() + "\n").utf8), to: path("summary.json"))
        }
    }

    /// Writes metrics.csv, tidy `step,key,value` (nothing when empty).
    public func writeMetrics(_ rows: [MetricRow]) throws {
        guard !rows.isEmpty else { return }
        var csv = "step,key,value\n"
        for row in rows { csv += "\(formatNumber(row.step)),\(csvField(row.key)),\(formatNumber(row.value))\n" }
        try io("metrics.csv") { try AtomicFile.write(Data(csv.utf8), to: path("metrics.csv")) }
    }

    /// Writes artifact.json for an artifact of `kind`; the engine calls this after `ArtifactValue.write(to:)`.
    public func finish(kind: ArtifactKind) throws {
        for stream in streams where !stream.isFinished {
            throw PipelineError(.artifact, "internal error: stage `\(stageID)` did not finish \(stream.url.lastPathComponent)")
        }
        let index = ArtifactIndex(kind: kind, arrays: arrays.sorted(), archives: archives.sorted(), files: files.sorted())
        try io(ArtifactIndex.fileName) {
            try AtomicFile.write(Data((index.value.prettyJSON() + "\n").utf8), to: path(ArtifactIndex.fileName))
        }
    }

    /// Size and SHA-256 of the files whose digest was computed while they were written (streamed arrays), so that
    /// recording the stage's outputs need not read them again.
    var knownDigests: [String: (size: Int, sha256: String)] {
        var out: [String: (size: Int, sha256: String)] = [:]
        for stream in streams {
            if let record = stream.record { out[stream.url.lastPathComponent] = (record.byteCount, record.sha256) }
        }
        return out
    }

    /// Every file name the artifact consists of (after `finish`), sorted.
    var fileNames: [String] {
        var names = arrays.map { "\($0).npy" } + archives + files + [ArtifactIndex.fileName]
        for extra in ["summary.json", "metrics.csv"]
        where FileManager.default.fileExists(atPath: path(extra).path) { names.append(extra) }
        return names.sorted()
    }

    private static let reserved: Set<String> = ["summary.json", "metrics.csv", ArtifactIndex.fileName, ".complete"]

    private func claim(_ name: String, in list: ReferenceWritableKeyPath<ArtifactWriter, [String]>, file: String) throws {
        guard !name.isEmpty, !file.contains("/"), !file.hasPrefix("."), !Self.reserved.contains(file) else {
            throw PipelineError(.artifact, "stage `\(stageID)` cannot write a file named `\(file)`: names are single "
                                + "file names not starting with `.`, other than summary.json, metrics.csv and artifact.json")
        }
        guard !(arrays.map { "\($0).npy" } + archives + files).contains(file) else {
            throw PipelineError(.artifact, "stage `\(stageID)` writes `\(file)` twice")
        }
        self[keyPath: list].append(name)
    }

    private func io<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw PipelineError(.io, "stage `\(stageID)`: cannot write \(file) into \(directory.path)", cause: error)
        }
    }
}
