import Foundation
import TangentCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 of a file's contents, streamed in 1 MiB chunks, as 64 lowercase hex digits.
///
/// The one place the engine hashes files (input files for cache keys, stage outputs for completion records), with
/// TangentCore's `SHA256Sum` (swift-crypto); errors are the system call's, naming the path.
func fileSHA256(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileSystemError(call: "open", path: path, code: errno) }
    defer { close(fd) }
    var hasher = SHA256Sum.Hasher()
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { FileSystem.systemRead(fd, $0.baseAddress!, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileSystemError(call: "read", path: path, code: errno)
        }
        if n == 0 { break }
        hasher.update(chunk[0..<n])
    }
    return hasher.hexDigest()
}

/// One output file of a finished stage as it was written: its path relative to the stage folder, size, SHA-256
/// and modification time (nanoseconds since the epoch).
struct OutputRecord: Equatable, Sendable {
    var name: String
    var size: Int
    var sha256: String
    var mtime: Int
}

/// A finished stage's completion marker (`<id>/.complete`): JSON with the stage's cache key and a record of every
/// output file, against which a later run checks the files before reusing them.
struct CompletionRecord: Equatable, Sendable {
    static let format = "tangent-stage-complete/1"

    var key: String
    var files: [OutputRecord]

    /// Records the files `names` (default: every regular file) of `directory`, leaving out `excluded` names.
    /// `known` gives the digests of files hashed while they were written; they are used when the size still
    /// matches, and every other file is read and hashed.
    static func make(key: String, directory: URL, names: [String]? = nil, excluding excluded: Set<String> = [],
                     known: [String: (size: Int, sha256: String)] = [:]) throws -> CompletionRecord {
        let names = try names ?? FileSystem.regularFiles(under: directory.path)
        let files = try names.filter { !excluded.contains($0) }.map { name in
            let path = directory.appendingPathComponent(name).path
            let status = try FileSystem.status(path)
            let digest = known[name].flatMap { $0.size == status.size ? $0.sha256 : nil }
            return OutputRecord(name: name, size: status.size, sha256: try digest ?? fileSHA256(path), mtime: status.mtime)
        }
        return CompletionRecord(key: key, files: files)
    }

    var json: String {
        Value.object([
            "format": .string(Self.format), "key": .string(key),
            "files": .list(files.map { f in
                .object(["name": .string(f.name), "size": .int(f.size), "sha256": .string(f.sha256),
                         "mtime_ns": .int(f.mtime)])
            }),
        ]).prettyJSON() + "\n"
    }

    /// Parses a marker; nil when it is not a valid completion record (e.g. one written by an older Tangent).
    init?(json text: String) {
        guard let value = try? JSONReader.parse(text), value["format"]?.stringValue == Self.format,
              let key = value["key"]?.stringValue, let list = value["files"]?.listValue else { return nil }
        var files: [OutputRecord] = []
        for entry in list {
            guard let name = entry["name"]?.stringValue, let size = entry["size"]?.intValue,
                  let sha = entry["sha256"]?.stringValue, let mtime = entry["mtime_ns"]?.intValue else { return nil }
            files.append(OutputRecord(name: name, size: size, sha256: sha, mtime: mtime))
        }
        self.init(key: key, files: files)
    }

    init(key: String, files: [OutputRecord]) {
        self.key = key
        self.files = files
    }

    /// Checks the recorded files in `directory`: the first that no longer matches its record, described for the
    /// user ("w.npy changed since it was written (size)"), or nil when all match; and the record with the current
    /// modification times of files whose content was found unchanged. Existence and size are always checked; the
    /// SHA-256 when the modification time differs from the recorded one, or always with `verify`. Files that were
    /// not recorded are ignored.
    func check(in directory: URL, verify: Bool) -> (change: String?, refreshed: CompletionRecord) {
        var refreshed = self
        for (index, file) in files.enumerated() {
            let path = directory.appendingPathComponent(file.name).path
            guard FileSystem.kind(path) == .file, let status = try? FileSystem.status(path) else {
                return ("\(file.name) is missing", self)
            }
            if status.size != file.size { return ("\(file.name) changed since it was written (size)", self) }
            if verify || status.mtime != file.mtime {
                do {
                    if try fileSHA256(path) != file.sha256 {
                        return ("\(file.name) changed since it was written (content)", self)
                    }
                } catch {
                    return ("\(file.name) cannot be read (\(error))", self)
                }
                refreshed.files[index].mtime = status.mtime
            }
        }
        return (nil, refreshed)
    }
}
