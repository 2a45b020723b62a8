import Foundation
import Testing
import TangentCore
@testable import TangentPipeline

@Suite("Run folders: loading saved artifacts")
struct ArtifactReadTests {
    @Test("a truncated or invalid summary.json is an error when loading an artifact, never an empty summary")
    func truncatedSummary() throws {
        let dir = try temporaryFolder("artifact")
        let table = Table(summary: ["total": .double(3), "parts": .int(2)])
        let writer = ArtifactWriter(directory: dir, stageID: "t")
        try table.write(to: writer)
        try writer.finish(kind: Table.kind)
        #expect(try Table(reading: ArtifactFolder(url: dir, stageID: "t")) == table)
        let summary = dir.appendingPathComponent("summary.json")
        let text = try String(contentsOf: summary, encoding: .utf8)
        for broken in [String(text.prefix(text.count / 2)), "", "[1, 2]"] {
            try broken.write(to: summary, atomically: true, encoding: .utf8)
            #expect {
                try Table(reading: ArtifactFolder(url: dir, stageID: "t"))
            } throws: { error in
                (error as? PipelineError)?.message.contains("summary.json is not a valid JSON object") == true
            }
        }
    }
}

/// Keeps the log lines of a run (warnings about changed files).
final class CapturingProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var captured: [String] = []
    var lines: [String] { lock.withLock { captured } }
    func start(_ label: String, total: Int) {}
    func advance(by steps: Int) {}
    func finish() {}
    func log(_ message: String) { lock.withLock { captured.append(message) } }
}

/// A file's modification time, and setting it (access time too) as `touch -d` would.
func modificationTime(_ url: URL) -> timespec {
    var info = stat()
    _ = stat(url.path, &info)
    return info.st_mtim
}

func setModificationTime(_ url: URL, _ time: timespec) {
    var times = [time, time]
    _ = utimensat(AT_FDCWD, url.path, &times, 0)
}

/// Replaces the last byte of a file in place (same size, same inode).
func flipLastByte(_ url: URL) throws {
    let handle = try FileHandle(forUpdating: url)
    defer { try? handle.close() }
    let size = try handle.seekToEnd()
    try handle.seek(toOffset: size - 1)
    let byte = try #require(try handle.read(upToCount: 1)).first!
    try handle.seek(toOffset: size - 1)
    try handle.write(contentsOf: [byte ^ 0xFF])
}

@Suite("Run folders: marker, ownership, lock, temporaries and completion records")
struct RunFolderTests {
    func run(_ text: String = chain, in dir: URL, verify: Bool = false, progress: any ProgressReporter = SilentProgress())
        throws -> RunResult {
        try PipelineRunner(options: RunOptions(outputDirectory: dir, progress: progress, verify: verify)).run(try load(text))
    }

    func statuses(_ result: RunResult) -> [String: StageRecord.Status] {
        Dictionary(uniqueKeysWithValues: result.records.map { ($0.id, $0.status) })
    }

    func listing(_ dir: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileSystem.regularFiles(under: dir.path) {
            files[name] = try Data(contentsOf: dir.appendingPathComponent(name))
        }
        return files
    }

    @Test("a new or empty folder becomes a run folder marked .tangent-run holding the run's pid")
    func marker() throws {
        let empty = try temporaryFolder("rf")
        let missing = empty.appendingPathComponent("a/b/c")
        for dir in [empty, missing] {
            _ = try run(in: dir)
            let marker = try String(contentsOf: dir.appendingPathComponent(".tangent-run"), encoding: .utf8)
            #expect(marker == "\(getpid())\n")
        }
    }

    @Test("a run folder may be reached through a symbolic link (to scratch space, say)")
    func linkedFolder() throws {
        let base = try temporaryFolder("rf")
        let target = try temporaryFolder("rf-target")
        try FileManager.default.createSymbolicLink(at: base.appendingPathComponent("scratch"), withDestinationURL: target)
        _ = try run(in: base.appendingPathComponent("scratch"))
        _ = try run(in: base.appendingPathComponent("scratch/deeper"))
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("deeper/total/.complete").path))
        #expect(Set(statuses(try run(in: base.appendingPathComponent("scratch"))).values) == [.cached])
    }

    @Test("a non-empty folder that is not a run folder is refused and left untouched")
    func foreignFolder() throws {
        let dir = try temporaryFolder("rf")
        try "my notes\n".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let before = try listing(dir)
        #expect {
            try run(in: dir)
        } throws: { error in
            let e = error as? PipelineError
            return e?.code == .runFolder && e!.message.hasPrefix("\(dir.path) is not empty and is not a Tangent run folder")
                && e!.message.contains("choose a new or empty folder with --out")
        }
        #expect(try listing(dir) == before)
        #expect(try FileSystem.entries(dir.path) == ["notes.txt"])
    }

    @Test("a run folder of an earlier Tangent (manifest.json, no marker) is adopted")
    func earlierRunFolder() throws {
        let dir = try temporaryFolder("rf")
        _ = try run(in: dir)
        try FileManager.default.removeItem(at: dir.appendingPathComponent(".tangent-run"))
        let again = try run(in: dir)
        #expect(Set(statuses(again).values) == [.cached])
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".tangent-run").path))
    }

    @Test("a <id>.failed folder Tangent did not mark is refused; one it made is replaced by the next failure")
    func failedFolders() throws {
        let failing = "pipeline: f\nstages:\n  bad: { use: test.fail, with: { message: kaputt } }\n"
        let dir = try temporaryFolder("rf")
        #expect(throws: PipelineError.self) { try run(failing, in: dir) }
        let failed = dir.appendingPathComponent("bad.failed")
        #expect(try FileSystem.entries(failed.path) == [".tangent-failed", "partial.txt"])
        try "old attempt\n".write(to: failed.appendingPathComponent("extra.txt"), atomically: true, encoding: .utf8)
        #expect(throws: PipelineError.self) { try run(failing, in: dir) }
        #expect(try FileSystem.entries(failed.path) == [".tangent-failed", "partial.txt"])

        try FileManager.default.removeItem(at: failed.appendingPathComponent(".tangent-failed"))
        #expect {
            try run(failing, in: dir)
        } throws: { error in
            let e = error as? PipelineError
            return e?.code == .runFolder && e!.message.contains("\(failed.path) was not written by Tangent")
        }
        #expect(try FileSystem.entries(failed.path) == ["partial.txt"])
    }

    @Test("temporary folders of killed runs are removed when marked, or empty; others are left alone")
    func staleTemporaries() throws {
        let dir = try temporaryFolder("rf")
        _ = try run(in: dir)
        let fm = FileManager.default
        func folder(_ name: String, marker: String?, file: String? = "x.npy") throws -> URL {
            let url = dir.appendingPathComponent(name)
            try fm.createDirectory(at: url, withIntermediateDirectories: true)
            if let marker { try Data().write(to: url.appendingPathComponent(marker)) }
            if let file { try Data("data".utf8).write(to: url.appendingPathComponent(file)) }
            return url
        }
        _ = try folder(".src.tmp-1", marker: ".tangent-tmp")
        _ = try folder(".src.tmp-2", marker: ".complete")
        _ = try folder(".src.old-3", marker: ".complete")
        _ = try folder(".src.tmp-4", marker: nil, file: nil)
        let foreign = try folder(".src.tmp-mine", marker: nil)
        try Data("{}".utf8).write(to: dir.appendingPathComponent(".manifest.json.tmp-5"))
        _ = try run(in: dir)
        let names = try FileSystem.entries(dir.path).filter { $0.hasPrefix(".") }
        #expect(names == [".src.tmp-mine", ".tangent-run"])
        #expect(try FileSystem.entries(foreign.path) == ["x.npy"])
    }

    @Test("the completion record holds the key and each output's name, size, SHA-256 and modification time")
    func completionRecord() throws {
        let dir = try temporaryFolder("rf")
        let result = try run(in: dir)
        let total = dir.appendingPathComponent("total")
        let record = try #require(CompletionRecord(json: String(contentsOf: total.appendingPathComponent(".complete"),
                                                                encoding: .utf8)))
        #expect(record.key == result.records.first { $0.id == "total" }?.key)
        #expect(record.files.map(\.name) == ["artifact.json", "note.txt", "summary.json", "totals.npz"])
        for file in record.files {
            let url = total.appendingPathComponent(file.name)
            let data = try Data(contentsOf: url)
            #expect(file.size == data.count)
            var hasher = SHA256Sum.Hasher()
            hasher.update(Array(data))
            #expect(file.sha256 == hasher.hexDigest())
            let time = modificationTime(url)
            #expect(file.mtime == time.tv_sec * 1_000_000_000 + time.tv_nsec)
        }
    }

    @Test("reuse checks recorded files: size always, content when the mtime changed or with verify; unrecorded files are ignored")
    func integrity() throws {
        let dir = try temporaryFolder("rf")
        _ = try run(in: dir)
        let x = dir.appendingPathComponent("twice/x.npy")
        let original = try Data(contentsOf: x)
        let mtime = modificationTime(x)

        // An extra file is not part of the record.
        try Data("mine".utf8).write(to: dir.appendingPathComponent("twice/notes.txt"))
        #expect(Set(statuses(try run(in: dir)).values) == [.cached])

        // Touched, not changed: the hash matches and the record takes the new time (not hashed again next time).
        setModificationTime(x, timespec(tv_sec: mtime.tv_sec + 10, tv_nsec: 0))
        #expect(Set(statuses(try run(in: dir)).values) == [.cached])
        let marker = dir.appendingPathComponent("twice/.complete")
        let touched = try #require(CompletionRecord(json: String(contentsOf: marker, encoding: .utf8)))
        #expect(touched.files.first { $0.name == "x.npy" }?.mtime == (mtime.tv_sec + 10) * 1_000_000_000)

        // Same size, other bytes, a new modification time: found by its hash.
        try flipLastByte(x)
        setModificationTime(x, timespec(tv_sec: mtime.tv_sec + 5, tv_nsec: 0))
        var progress = CapturingProgress()
        var result = try run(in: dir, progress: progress)
        #expect(statuses(result) == ["src": .cached, "twice": .computed, "other": .cached, "total": .cached])
        #expect(progress.lines.contains("stage `twice`: x.npy changed since it was written (content); recomputing"))
        #expect(try Data(contentsOf: x) == original)

        // Same size, other bytes, the modification time put back: only --verify finds it.
        let rewritten = modificationTime(x)
        try flipLastByte(x)
        setModificationTime(x, rewritten)
        #expect(statuses(try run(in: dir))["twice"] == .cached)
        progress = CapturingProgress()
        result = try run(in: dir, verify: true, progress: progress)
        #expect(statuses(result)["twice"] == .computed)
        #expect(progress.lines.contains("stage `twice`: x.npy changed since it was written (content); recomputing"))

        // Another size, and a missing file.
        try Data("step,key,value\n".utf8).write(to: dir.appendingPathComponent("twice/metrics.csv"))
        progress = CapturingProgress()
        _ = try run(in: dir, progress: progress)
        #expect(progress.lines.contains("stage `twice`: metrics.csv changed since it was written (size); recomputing"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("src/summary.json"))
        progress = CapturingProgress()
        result = try run(in: dir, progress: progress)
        #expect(statuses(result) == ["src": .computed, "twice": .cached, "other": .cached, "total": .cached])
        #expect(progress.lines.contains("stage `src`: summary.json is missing; recomputing"))
    }

    @Test("a saved summary.json that does not parse (even with a matching record) is recomputed, not read as {}")
    func unreadableSummary() throws {
        let dir = try temporaryFolder("rf")
        _ = try run(in: dir)
        let total = dir.appendingPathComponent("total")
        let summary = total.appendingPathComponent("summary.json")
        let text = try String(contentsOf: summary, encoding: .utf8)
        try String(text.prefix(10)).write(to: summary, atomically: true, encoding: .utf8)
        // Pretend the truncated file was recorded so: only loading it can tell.
        let marker = total.appendingPathComponent(".complete")
        let record = try #require(CompletionRecord(json: String(contentsOf: marker, encoding: .utf8)))
        try CompletionRecord.make(key: record.key, directory: total, excluding: [".complete"]).json
            .write(to: marker, atomically: true, encoding: .utf8)
        let progress = CapturingProgress()
        let result = try run(in: dir, progress: progress)
        #expect(statuses(result)["total"] == .computed)
        #expect(progress.lines.contains { $0.hasPrefix("stage `total`: its saved results cannot be loaded (")
            && $0.contains("summary.json is not a valid JSON object") })
        #expect(try String(contentsOf: summary, encoding: .utf8) == text)
    }

    @Test("the run folder lock is exclusive and names the holder's pid; it is released when the run ends")
    func lock() throws {
        let dir = try temporaryFolder("rf")
        let folder = try RunFolder.open(dir)
        let held = try RunLock.acquire(folder, wait: false, waiting: { _ in })
        #expect {
            try RunLock.acquire(folder, wait: false, waiting: { _ in })
        } throws: { error in
            let e = error as? PipelineError
            return e?.code == .runFolder
                && e!.message.hasPrefix("run folder \(dir.path) is in use by another tangent run (pid \(getpid()))")
        }
        #expect { try run(in: dir) } throws: { ($0 as? PipelineError)?.code == .runFolder }
        held.release()
        _ = try run(in: dir)
        _ = try RunLock.acquire(folder, wait: false, waiting: { _ in })
    }

    @Test("fileSHA256 streams a file in chunks and matches the one-shot digest")
    func fileDigest() throws {
        let dir = try temporaryFolder("rf")
        let file = dir.appendingPathComponent("a.txt")
        try Data(repeating: UInt8(ascii: "a"), count: 1_000_000).write(to: file)
        #expect(try fileSHA256(file.path) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var rng = Xoshiro256StarStar(seed: 1)
        let bytes = (0..<(3 << 20) + 17).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try Data(bytes).write(to: file)
        var pieces = SHA256Sum.Hasher(), start = 0
        for size in [1, 63, 65, 1000, 4096] + Array(repeating: 1 << 20, count: 4) where start < bytes.count {
            pieces.update(bytes[start..<min(start + size, bytes.count)])
            start += size
        }
        var whole = SHA256Sum.Hasher()
        whole.update(bytes)
        #expect(try fileSHA256(file.path) == whole.hexDigest())
        #expect(pieces.hexDigest() == whole.hexDigest())
        #expect {
            try fileSHA256(dir.appendingPathComponent("missing").path)
        } throws: { String(describing: $0) == "open \(dir.path)/missing: No such file or directory (errno 2)" }
    }

    @Test("after an interrupt, the resume command drops --force/--rerun and reruns the first unfinished forced stages")
    func resumeCommand() throws {
        let journal = RunJournal(
            folder: RunFolder(root: URL(fileURLWithPath: "/nonexistent")),
            manifest: Manifest(pipeline: try load(chain), threads: 1, toolkitVersion: "0"),
            records: ["src", "twice", "other", "total"].map {
                StageRecord(id: $0, use: "u", version: 1, key: "", status: $0 == "src" ? .computed : .pending, seconds: 0,
                            outputs: [], error: nil)
            },
            dependencies: [[], ["src"], [], ["twice", "other"]], forced: ["src", "twice", "other", "total"],
            resumeCommand: nil)
        #expect(journal.unfinishedForced == ["twice", "other"])
    }
}
