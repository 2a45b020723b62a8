import Foundation
import TangentCore

/// A run folder and the rules that keep it safe:
/// ```
/// runs/<pipeline>/<overrides or default>/     (or --out DIR)
///   .tangent-run     marker: the folder is Tangent's; the run lock (flock) is taken on it; holds the holder's pid
///   manifest.json  config.resolved.yaml
///   <stage-id>/      outputs + .complete (JSON: cache key, and name/size/SHA-256/mtime of every output file)
///   <stage-id>.failed/        partial output of a failed stage, marked .tangent-failed
///   .<stage-id>.tmp-<uuid>/   a stage being computed, marked .tangent-tmp
///   report.html  report-data/ the run's report, written by TangentReport after the run (see `ReportWriter`)
/// ```
/// Tangent never deletes or replaces a path it did not create: it writes only into an empty, new or marked
/// folder; it replaces `<id>/` only when that holds `.complete`, `<id>.failed/` only when it holds
/// `.tangent-failed`, and removes a temporary folder only when it holds `.tangent-tmp` (or `.complete`).
/// Everything that changes the folder happens under the run lock (see `RunLock`).
struct RunFolder {
    let root: URL

    static let runMarker = ".tangent-run"
    static let completeMarker = ".complete"
    static let temporaryMarker = ".tangent-tmp"
    static let failedMarker = ".tangent-failed"
    /// Written by a stage that can resume (`ArtifactWriter.markResumable`): the stage's cache key, then the names of
    /// the files it created and may continue from. A failed, interrupted or killed attempt keeps those files in
    /// `<id>.failed/`, and the next attempt with the same key starts with them (and nothing else) in its folder.
    static let resumableMarker = ".tangent-resumable"
    /// Files of a stage folder that are the engine's bookkeeping, not outputs.
    static let markers: Set<String> = [completeMarker, temporaryMarker, failedMarker, resumableMarker]

    init(root: URL) { self.root = root }

    var markerPath: String { root.appendingPathComponent(Self.runMarker).path }
    func stageURL(_ id: String) -> URL { root.appendingPathComponent(id) }
    func failedURL(_ id: String) -> URL { root.appendingPathComponent("\(id).failed") }

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
        return prefix + "~" + SHA256Sum.hex(of: name)
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

    // MARK: - Opening

    /// Opens `root` as a run folder, creating it (with its parents) when missing. An existing folder is accepted
    /// when it holds the `.tangent-run` marker, is empty, or is a run folder of an earlier Tangent (its
    /// manifest.json); the marker is then added. Any other non-empty folder is refused (`runFolder` error).
    static func open(_ root: URL) throws -> RunFolder {
        let folder = RunFolder(root: root)
        let path = root.path
        switch FileSystem.kind(path, followingLinks: true) {
        case .missing:
            do { try FileSystem.makeDirectories(path) } catch {
                throw PipelineError(.io, "cannot create the run folder \(path); check that you may write to its parent, "
                                    + "or choose another folder with --out", cause: error)
            }
        case .directory:
            break
        case .file, .other:
            throw PipelineError(.runFolder, "the run folder \(path) exists and is not a folder; choose another path "
                                + "with --out")
        }
        let names: [String]
        do { names = try FileSystem.entries(path) } catch {
            throw PipelineError(.io, "cannot list the run folder \(path); check its permissions", cause: error)
        }
        if names.contains(runMarker) {
            guard FileSystem.kind(folder.markerPath) == .file else {
                throw PipelineError(.runFolder, "\(folder.markerPath) is not a regular file, so \(path) cannot be used "
                                    + "as a run folder; choose another folder with --out")
            }
            return folder
        }
        guard names.isEmpty || folder.isEarlierRunFolder else {
            throw PipelineError(.runFolder, "\(path) is not empty and is not a Tangent run folder (it has no "
                                + "\(runMarker) marker), and Tangent never writes into a folder it did not create; "
                                + "choose a new or empty folder with --out, or leave out --out to use runs/<pipeline>/…")
        }
        do { try FileSystem.writeSmallFile(folder.markerPath, "") } catch {
            throw PipelineError(.io, "cannot create the marker \(folder.markerPath); check that you may write to \(path)",
                                cause: error)
        }
        return folder
    }

    /// A folder written by a Tangent that did not mark run folders yet: its manifest.json is Tangent's.
    private var isEarlierRunFolder: Bool {
        guard let text = FileSystem.readSmallFile(root.appendingPathComponent("manifest.json").path),
              let manifest = try? JSONReader.parse(text) else { return false }
        return manifest["toolkit_version"]?.stringValue != nil && manifest["stages"]?.listValue != nil
            && FileSystem.kind(root.appendingPathComponent("config.resolved.yaml").path) == .file
    }

    /// Refuses (`runFolder` error) when a stage's folder `<id>/` or `<id>.failed/` exists but was not made by
    /// Tangent, before anything is computed: the run would otherwise have to replace it.
    func checkOwnership(of ids: [String]) throws {
        var problems: [String] = []
        for id in ids {
            let stage = stageURL(id).path
            if FileSystem.kind(stage) != .missing, !holds(stage, Self.completeMarker) {
                problems.append("\(stage) was not written by Tangent (it has no \(Self.completeMarker) marker), but "
                                + "stage `\(id)` stores its results there")
            }
            let failed = failedURL(id).path
            if FileSystem.kind(failed) != .missing, !holds(failed, Self.failedMarker) {
                problems.append("\(failed) was not written by Tangent (it has no \(Self.failedMarker) marker), but "
                                + "stage `\(id)` keeps a failed attempt there")
            }
        }
        guard problems.isEmpty else {
            throw PipelineError(.runFolder, problems.joined(separator: "\n") + "\nTangent never deletes or replaces what "
                                + "it did not create: move or rename "
                                + (problems.count == 1 ? "it" : "them") + ", or choose another run folder with --out")
        }
    }

    /// Whether `directory` is a directory holding the regular file `marker`.
    private func holds(_ directory: String, _ marker: String) -> Bool {
        FileSystem.kind(directory) == .directory && FileSystem.kind(directory + "/" + marker) == .file
    }

    // MARK: - Housekeeping (only under the run lock)

    /// Removes what killed runs left: temporary stage folders (`.<id>.tmp-*`, `.<id>.old-*`) that hold one of
    /// Tangent's markers, empty ones, and the temporary files of atomic writes of the manifest, config, claims and report.
    /// Returns the names removed.
    @discardableResult
    func removeStaleTemporaries() -> [String] {
        guard let names = try? FileSystem.entries(root.path) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(".") {
            let path = root.appendingPathComponent(name).path
            switch FileSystem.kind(path) {
            case .directory where name.contains(".tmp-") || name.contains(".old-"):
                let ours = Self.markers.contains { holds(path, $0) }
                if ours, name.contains(".tmp-"), holds(path, Self.resumableMarker),
                   let range = name.range(of: ".tmp-"), case let id = String(name[name.index(after: name.startIndex)..<range.lowerBound]),
                   !id.isEmpty, markFailed(id, temporary: URL(fileURLWithPath: path)) != URL(fileURLWithPath: path) {
                    removed.append(name)  // a killed resumable stage: kept as <id>.failed/ for the next attempt
                } else if ours {
                    if (try? FileSystem.removeTree(path)) != nil { removed.append(name) }
                } else if (try? FileSystem.entries(path))?.isEmpty == true, rmdir(path) == 0 {
                    removed.append(name)
                }
            case .file where name.hasPrefix(".manifest.json.tmp-") || name.hasPrefix(".config.resolved.yaml.tmp-")
                || name.hasPrefix(".claims.json.tmp-") || name.hasPrefix(".report.html.tmp-"):
                if (try? FileSystem.remove(path)) != nil { removed.append(name) }
            default:
                break
            }
        }
        return removed
    }

    // MARK: - Stages

    /// Creates the marked temporary folder `.<id>.tmp-<uuid>/` that a stage computes into. With `key`, the files a
    /// failed attempt of the same stage with the same key marked resumable are moved from `<id>.failed/` into it.
    func beginStage(_ id: String, key: String? = nil) throws -> URL {
        let url = root.appendingPathComponent(".\(id).tmp-\(UUID().uuidString)")
        do {
            try FileSystem.makeDirectory(url.path)
            try FileSystem.writeSmallFile(url.appendingPathComponent(Self.temporaryMarker).path, "\(getpid())\n")
        } catch {
            throw PipelineError(.io, "cannot create a temporary folder in \(root.path); check that you may write there "
                                + "and that the disk is not full", cause: error)
        }
        if let key { adoptResumable(id, key: key, into: url) }
        return url
    }

    /// Moves the files listed in `<id>.failed/.tangent-resumable` into `temporary` when that marker names `key`
    /// (plain file names only; anything else is left alone). The marker is removed, so files are adopted once.
    private func adoptResumable(_ id: String, key: String, into temporary: URL) {
        let failed = failedURL(id).path
        guard holds(failed, Self.failedMarker), holds(failed, Self.resumableMarker),
              let text = FileSystem.readSmallFile(failed + "/" + Self.resumableMarker) else { return }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard lines.first == key else { return }
        try? FileSystem.remove(failed + "/" + Self.resumableMarker)
        for name in lines.dropFirst() where !name.contains("/") && !name.hasPrefix(".") && !Self.markers.contains(name) {
            guard FileSystem.kind(failed + "/" + name) == .file else { continue }
            try? FileSystem.rename(failed + "/" + name, to: temporary.appendingPathComponent(name).path)
        }
    }

    /// The completion record of a stage computed into `temporary`: `outputs` (default: every file in it).
    /// Hashes the files, so it is done before entering a critical section.
    func completionRecord(for temporary: URL, key: String, outputs: [String]? = nil,
                          known: [String: (size: Int, sha256: String)] = [:]) throws -> CompletionRecord {
        do {
            return try CompletionRecord.make(key: key, directory: temporary, names: outputs, excluding: Self.markers,
                                             known: known)
        } catch {
            throw PipelineError(.io, "cannot record the outputs in \(temporary.path)", cause: error)
        }
    }

    /// Writes `record` as the completion marker of `temporary` and moves it into place as `<id>/`, replacing a
    /// previous result only if that holds a completion marker.
    func commitStage(_ id: String, from temporary: URL, record: CompletionRecord) throws {
        let destination = stageURL(id).path
        do {
            try AtomicFile.write(Data(record.json.utf8), to: temporary.appendingPathComponent(Self.completeMarker))
            try FileSystem.remove(temporary.appendingPathComponent(Self.temporaryMarker).path)
            try FileSystem.remove(temporary.appendingPathComponent(Self.resumableMarker).path)
            if FileSystem.kind(destination) != .missing, !holds(destination, Self.completeMarker) {
                throw PipelineError(.runFolder, "\(destination) appeared during the run and was not written by Tangent; "
                                    + "it was left alone: move it away and run again")
            }
            let aside = root.appendingPathComponent(".\(id).old-\(UUID().uuidString)").path
            try FileSystem.moveReplacing(temporary.path, to: destination, aside: aside)
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(.io, "cannot move the results of stage `\(id)` into \(destination)", cause: error)
        }
    }

    /// Keeps a failed stage's partial output as `<id>.failed/` (marked, never loaded as a result), replacing an
    /// earlier one Tangent made; an empty attempt is just removed. Returns where the output was kept, if anywhere.
    @discardableResult
    func markFailed(_ id: String, temporary: URL) -> URL? {
        let files = (try? FileSystem.regularFiles(under: temporary.path))?.filter { !Self.markers.contains($0) } ?? []
        guard !files.isEmpty else {
            try? FileSystem.removeTree(temporary.path)
            return nil
        }
        let failed = failedURL(id).path
        do {
            try FileSystem.writeSmallFile(temporary.appendingPathComponent(Self.failedMarker).path, "\(getpid())\n")
            try FileSystem.remove(temporary.appendingPathComponent(Self.completeMarker).path)
            try FileSystem.remove(temporary.appendingPathComponent(Self.temporaryMarker).path)
            if FileSystem.kind(failed) != .missing {
                guard holds(failed, Self.failedMarker) else { return temporary }
                try FileSystem.removeTree(failed)
            }
            try FileSystem.rename(temporary.path, to: failed)
            return failedURL(id)
        } catch {
            return temporary
        }
    }

    /// Removes a temporary stage folder at once (on interruption): renamed first, so that a stage still writing
    /// cannot create new files in it, then removed.
    func discard(_ temporary: URL) {
        let doomed = temporary.path + "-discarded"
        let path = (try? FileSystem.rename(temporary.path, to: doomed)) != nil ? doomed : temporary.path
        for _ in 0..<5 where FileSystem.kind(path) != .missing {
            try? FileSystem.removeTree(path)
        }
    }

    /// The completion record of stage `id`'s finished result, if it has one.
    func record(_ id: String) -> CompletionRecord? {
        FileSystem.readSmallFile(stageURL(id).appendingPathComponent(Self.completeMarker).path).flatMap(CompletionRecord.init(json:))
    }

    /// Whether the finished result of stage `id` may be reused for `key`.
    enum Reuse: Equatable {
        /// No finished result, or one for another key: compute.
        case absent
        /// A finished result whose files changed (the reason names the file): compute, with a warning.
        case changed(String)
        /// All recorded files match.
        case reusable(CompletionRecord)
    }

    /// Checks the finished result of stage `id` against `key` and its completion record (see
    /// `CompletionRecord.check`). When files were hashed because their modification time changed (a copied
    /// folder, say) and matched, the record takes the new times, so they are not hashed again next time.
    func reuse(_ id: String, key: String, verify: Bool) -> Reuse {
        let directory = stageURL(id)
        let marker = directory.appendingPathComponent(Self.completeMarker)
        guard let text = FileSystem.readSmallFile(marker.path) else { return .absent }
        guard let record = CompletionRecord(json: text) else {
            return .changed("its completion record \(Self.completeMarker) is not valid (or from an older Tangent)")
        }
        guard record.key == key else { return .absent }
        let (change, refreshed) = record.check(in: directory, verify: verify)
        if let change { return .changed(change) }
        if refreshed != record { try? AtomicFile.write(Data(refreshed.json.utf8), to: marker) }
        return .reusable(refreshed)
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
