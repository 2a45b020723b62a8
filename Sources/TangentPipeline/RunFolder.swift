import Foundation
import TangentCore

/// Names and housekeeping of a run folder:
/// ```
/// runs/<pipeline>/<overrides or default>/
///   manifest.json  config.resolved.yaml
///   <stage-id>/    artifacts + .complete (the stage's cache key)
/// ```
/// A stage is written into `.<id>.tmp-<uuid>/`, marked complete, then renamed to `<id>/`; anything without the
/// marker, or whose marker holds another key, is never trusted.
struct RunFolder {
    let root: URL
    static let marker = ".complete"

    /// The default folder: `runs/<pipeline>/<profile and overrides joined, or "default">`.
    static func defaultURL(for pipeline: ResolvedPipeline, base: URL) -> URL {
        var parts: [String] = []
        if let profile = pipeline.profile { parts.append("profile=\(profile)") }
        parts += pipeline.overrides
        var name = parts.isEmpty ? "default" : parts.joined(separator: ",")
        name = String(name.map { "/\\ \t\n:".contains($0) ? "_" : $0 })
        if name.count > 100 { name = String(name.prefix(80)) + "-" + String(SHA256Sum.hex(of: name).prefix(12)) }
        return base.appendingPathComponent("runs").appendingPathComponent(sanitize(pipeline.name))
            .appendingPathComponent(name)
    }

    static func sanitize(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
    }

    func stageURL(_ id: String) -> URL { root.appendingPathComponent(id) }

    /// The cache key recorded in a finished stage folder, if any.
    func completedKey(_ id: String) -> String? {
        let marker = stageURL(id).appendingPathComponent(Self.marker)
        guard let data = try? Data(contentsOf: marker) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func create() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// Removes temporary folders left by interrupted runs.
    func removeStaleTemporaries() {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root.path) else { return }
        for name in names where name.hasPrefix(".") && (name.contains(".tmp-") || name.contains(".old-")) {
            try? fm.removeItem(at: root.appendingPathComponent(name))
        }
    }

    func makeTemporary(for id: String) throws -> URL {
        let url = root.appendingPathComponent(".\(id).tmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Marks `temporary` complete with `key` and moves it into place as `<id>/`, replacing an older result.
    func commit(_ temporary: URL, id: String, key: String) throws {
        let fm = FileManager.default
        try AtomicFileWriter.write(Data((key + "\n").utf8), to: temporary.appendingPathComponent(Self.marker))
        let destination = stageURL(id)
        if fm.fileExists(atPath: destination.path) {
            let old = root.appendingPathComponent(".\(id).old-\(UUID().uuidString)")
            try fm.moveItem(at: destination, to: old)
            try? fm.removeItem(at: old)
        }
        try fm.moveItem(at: temporary, to: destination)
    }

    /// Keeps a failed stage's partial output as `<id>.failed/` for inspection (never loaded as a result).
    func keepFailed(_ temporary: URL, id: String) {
        let fm = FileManager.default
        let failed = root.appendingPathComponent("\(id).failed")
        try? fm.removeItem(at: failed)
        if (try? fm.contentsOfDirectory(atPath: temporary.path).isEmpty) == false {
            try? fm.moveItem(at: temporary, to: failed)
        } else {
            try? fm.removeItem(at: temporary)
        }
    }
}

/// Atomic writes for the engine's own files (manifest, config), through TangentCore's temp-file-and-rename.
enum AtomicFileWriter {
    static func write(_ data: Data, to url: URL) throws {
        do { try AtomicFile.write(data, to: url) } catch {
            throw PipelineError(.io, "cannot write \(url.path)", cause: error)
        }
    }
}
