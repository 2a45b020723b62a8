import Foundation
import TangentCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The content-addressed store of a sweep: each finished stage once, under its cache key, shared by every point
/// whose stage has that key (the same data stage for every width, say).
/// ```
/// OUT/store/
///   .tangent-store          marker: the folder is Tangent's
///   <key>/                  a finished stage: its output files and .complete (the completion record)
///   .<key>.lock             flock'ed while one process looks up, computes or publishes that key
///   .<key>.tmp-<uuid>/      being published
/// ```
/// A point takes a stored stage by hard-linking its files into the point's run folder (no copy; the files are
/// never written in place, so sharing inodes is safe). A process holds the key's lock from looking the key up
/// until it has published its result, so that two points computing the same stage at once compute it once: the
/// second waits and then links. Locks are taken one key at a time, so they cannot deadlock.
struct StageStore {
    let root: URL

    static let marker = ".tangent-store"

    /// Opens (creating when missing) the store at `root`; refuses a folder that is neither empty nor marked.
    static func open(_ root: URL) throws -> StageStore {
        let path = root.path
        do {
            try FileSystem.makeDirectories(path)
            let names = try FileSystem.entries(path)
            if !names.contains(marker) {
                guard names.isEmpty else {
                    throw PipelineError(.runFolder, "\(path) is not empty and is not a Tangent stage store (it has no "
                                        + "\(marker) marker); move it away or choose another sweep folder with --out")
                }
                try FileSystem.writeSmallFile(root.appendingPathComponent(marker).path, "")
            }
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(.io, "cannot open the sweep's stage store \(path); check that you may write there",
                                cause: error)
        }
        return StageStore(root: root)
    }

    func url(_ key: String) -> URL { root.appendingPathComponent(key) }

    /// Runs `body` holding the lock of `key` (waiting for another process that holds it).
    func withLock<T>(_ key: String, _ body: () throws -> T) throws -> T {
        let path = root.appendingPathComponent(".\(key).lock").path
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PipelineError(.io, "cannot open the store lock \(path)", cause: FileSystemError(call: "open", path: path, code: errno))
        }
        defer { close(fd) }  // closing releases the lock
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw PipelineError(.io, "cannot lock \(path)", cause: FileSystemError(call: "flock", path: path, code: errno))
            }
        }
        return try body()
    }

    /// The completion record of the stored stage `key`, when it is there and its files match their record
    /// (existence, size, and content where the modification time moved; always with `verify`).
    func lookup(_ key: String, verify: Bool) -> CompletionRecord? {
        let directory = url(key)
        guard let text = FileSystem.readSmallFile(directory.appendingPathComponent(RunFolder.completeMarker).path),
              let record = CompletionRecord(json: text), record.key == key,
              record.check(in: directory, verify: verify).change == nil else { return nil }
        return record
    }

    /// Hard-links the recorded files of stored stage `key` into the (empty, temporary) folder `destination`.
    func link(_ record: CompletionRecord, into destination: URL) throws {
        for file in record.files {
            try Self.hardLink(url(record.key).appendingPathComponent(file.name), destination.appendingPathComponent(file.name))
        }
    }

    /// Publishes the finished stage folder `source` (holding `record`'s files) as `key`, unless the store has it
    /// already (`replace` swaps out an existing entry, for a stage recomputed on purpose). Hard links; the entry
    /// appears whole (made in a temporary folder, then renamed). Call with the key's lock held.
    func publish(_ key: String, from source: URL, record: CompletionRecord, replace: Bool = false) throws {
        let destination = url(key).path
        if FileSystem.kind(destination) != .missing, !replace { return }
        // Leftovers of a process killed while publishing this key (the lock is ours, so nobody else is).
        for name in (try? FileSystem.entries(root.path)) ?? [] where name.hasPrefix(".\(key).tmp-") || name.hasPrefix(".\(key).old-") {
            try? FileSystem.removeTree(root.appendingPathComponent(name).path)
        }
        let temporary = root.appendingPathComponent(".\(key).tmp-\(UUID().uuidString)")
        do {
            try FileSystem.makeDirectory(temporary.path)
            for file in record.files {
                try Self.hardLink(source.appendingPathComponent(file.name), temporary.appendingPathComponent(file.name))
            }
            try AtomicFile.write(Data(record.json.utf8), to: temporary.appendingPathComponent(RunFolder.completeMarker))
            try FileSystem.moveReplacing(temporary.path, to: destination,
                                         aside: root.appendingPathComponent(".\(key).old-\(UUID().uuidString)").path)
        } catch {
            try? FileSystem.removeTree(temporary.path)
            throw PipelineError(.io, "cannot add a finished stage to the sweep's store \(root.path)", cause: error)
        }
    }

    /// `link(2)`, creating the destination's parent folders (outputs may sit in subfolders).
    static func hardLink(_ source: URL, _ destination: URL) throws {
        let parent = destination.deletingLastPathComponent().path
        try FileSystem.makeDirectories(parent)
        guard Glibc.link(source.path, destination.path) == 0 else {
            throw FileSystemError(call: "link", path: "\(source.path) → \(destination.path)", code: errno)
        }
    }
}
