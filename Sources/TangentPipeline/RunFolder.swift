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

    /// The default folder: `runs/<pipeline>/<profile and overrides, or "default">`.
    ///
    /// The name is injective: two different (profile, overrides) lists never share a folder. Each part
    /// (`profile=<name>`, then each override as written) is escaped with `escape` and the parts are joined by `,`
    /// (which the escape never leaves bare), so the list can be read back from the name. A name longer than
    /// 100 bytes becomes a readable prefix, `~` (also never bare in an escaped name) and the SHA-256 of the whole
    /// name. The pipeline name is a valid name (a letter, then letters, digits, `_`, `-`), escaped all the same.
    /// (An override is never `profile=…`: `profile` is neither a top-level field nor `<stage>.<parameter>`.)
    static func defaultURL(for pipeline: ResolvedPipeline, base: URL) -> URL {
        base.appendingPathComponent("runs").appendingPathComponent(escape(pipeline.name))
            .appendingPathComponent(folderName(profile: pipeline.profile, overrides: pipeline.overrides))
    }

    static func folderName(profile: String?, overrides: [String]) -> String {
        var parts: [String] = []
        if let profile { parts.append("profile=\(profile)") }
        parts += overrides
        guard !parts.isEmpty else { return "default" }
        let name = parts.map(escape).joined(separator: ",")
        guard name.utf8.count > 100 else { return name }
        var prefix = Substring(name.prefix(35))
        // Do not cut an escape in two.
        if let percent = prefix.suffix(2).lastIndex(of: "%") { prefix = prefix[..<percent] }
        return prefix + "~" + SHA256.hex(name)
    }

    /// Percent-encoding of every byte outside `[A-Za-z0-9._=+-]` (so `,`, `/`, `\\`, `%`, `~`, spaces and all
    /// non-ASCII bytes are escaped, as `%XX`); a name that is `.` or `..` is escaped whole. Reversible
    /// (`unescape`).
    static func escape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "="),
                 UInt8(ascii: "+"), UInt8(ascii: "-"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                out += "%" + hex(Int(byte), 2)
            }
        }
        if out == "." || out == ".." { return String(repeating: "%2E", count: out.count) }
        return out
    }

    /// The inverse of `escape`.
    static func unescape(_ s: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(s.utf8).makeIterator()
        while let b = iterator.next() {
            guard b == UInt8(ascii: "%") else {
                bytes.append(b)
                continue
            }
            guard let h = iterator.next(), let l = iterator.next(),
                  let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(v)
        }
        return String(validating: bytes, as: UTF8.self)
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
