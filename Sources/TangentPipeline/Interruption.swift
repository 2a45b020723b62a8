import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT and SIGTERM during a run into a clean stop: the running stage's temporary folder is removed, the
/// manifest records `"status": "interrupted"` and the stage, one line says how to resume, and the process exits
/// with status 130.
///
/// The signals are received by Dispatch signal sources (their default action is ignored first). Every change to
/// the run folder and manifest that an interrupt must see whole is made inside `critical`; the handler takes the
/// same lock and never releases it (it ends the process), so it never sees a half-written manifest or a stage
/// halfway through being moved into place.
public final class Interruption: @unchecked Sendable {
    public static let shared = Interruption()

    /// The exit status after an interrupt (128 + SIGINT, as shells report Ctrl-C).
    public static let exitStatus: Int32 = 130

    private let mutex = NSLock()
    private var sources: [any DispatchSourceSignal] = []
    private var journals: [ObjectIdentifier: RunJournal] = [:]

    private init() {}

    /// Starts handling SIGINT and SIGTERM (once per process). Outside a run they end the process with status 130.
    public func install() {
        critical {
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global(qos: .userInitiated))
                source.setEventHandler { [unowned self] in self.handle() }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Runs `body` so that no interrupt is handled while it runs.
    func critical<T>(_ body: () throws -> T) rethrows -> T {
        mutex.lock()
        defer { mutex.unlock() }
        return try body()
    }

    /// Makes `journal`'s run the one an interrupt cleans up (until `forget`).
    func watch(_ journal: RunJournal) { critical { journals[ObjectIdentifier(journal)] = journal } }

    func forget(_ journal: RunJournal) { critical { journals[ObjectIdentifier(journal)] = nil } }

    private func handle() {
        mutex.lock()  // held until the process ends
        for journal in journals.values { journal.interrupted() }
        _exit(Self.exitStatus)
    }
}

/// What the manifest and an interrupt need to know about a run in progress: every stage's record, the stage being
/// worked on and its temporary folder. Changes go through `Interruption.shared.critical`.
final class RunJournal: @unchecked Sendable {
    let folder: RunFolder
    let manifest: Manifest
    /// Each stage's upstream stage ids, and the stages to recompute regardless of the cache.
    let dependencies: [[String]]
    let forced: Set<String>
    /// The command that resumes the run, shown after an interrupt (see `RunOptions.resumeCommand`).
    let resumeCommand: (@Sendable ([String]) -> String)?
    private var stored: [StageRecord]
    private var current: Int?
    private var temporary: URL?

    init(folder: RunFolder, manifest: Manifest, records: [StageRecord], dependencies: [[String]], forced: Set<String>,
         resumeCommand: (@Sendable ([String]) -> String)?) {
        self.folder = folder
        self.manifest = manifest
        stored = records
        self.dependencies = dependencies
        self.forced = forced
        self.resumeCommand = resumeCommand
    }

    private func update<T>(_ body: () throws -> T) rethrows -> T { try Interruption.shared.critical(body) }

    /// Every stage's record so far.
    var records: [StageRecord] { update { stored } }

    /// Writes the manifest of a run in progress.
    func started() throws { try update { try manifest.write(stored, to: folder.root) } }

    /// Stage `index` is being looked at (its key computed, its result checked or computed).
    func stage(_ index: Int, key: String) {
        update {
            stored[index].key = key
            current = index
        }
    }

    /// Stage `index` reuses its finished result.
    func cached(_ index: Int, outputs: [String]) throws {
        try update {
            stored[index].status = .cached
            stored[index].outputs = outputs
            current = nil
            try manifest.write(stored, to: folder.root)
        }
    }

    /// Creates the temporary folder stage `index` computes into.
    func begin(_ index: Int, key: String? = nil) throws -> URL {
        try update {
            let url = try folder.beginStage(stored[index].id, key: key)
            temporary = url
            return url
        }
    }

    /// Moves stage `index`'s output from its temporary folder into place and records it: `computed` by this
    /// run, or `shared` (linked from a sweep's store).
    func committed(_ index: Int, status: StageRecord.Status, record: CompletionRecord, outputs: [String],
                   seconds: Double = 0) throws {
        try update {
            guard let temporary else { return }
            try folder.commitStage(stored[index].id, from: temporary, record: record)
            self.temporary = nil
            current = nil
            stored[index].status = status
            stored[index].outputs = outputs
            stored[index].seconds = seconds
            try manifest.write(stored, to: folder.root)
        }
    }

    /// Keeps stage `index`'s partial output aside and records the failure.
    func failed(_ index: Int, message: String, seconds: Double) {
        update {
            if let temporary { folder.markFailed(stored[index].id, temporary: temporary) }
            temporary = nil
            current = nil
            stored[index].status = .failed
            stored[index].seconds = seconds
            stored[index].error = message
            try? manifest.write(stored, to: folder.root, failed: true)
        }
    }

    func finished() throws {
        try update {
            current = nil
            try manifest.write(stored, to: folder.root, finished: true)
        }
    }

    /// Called by the signal handler with the lock held: removes the running stage's temporary folder, records the
    /// interruption and prints how to resume.
    func interrupted() {
        if let temporary {
            // A stage that marked its files resumable keeps them (as <id>.failed/) for the next attempt.
            if FileSystem.kind(temporary.appendingPathComponent(RunFolder.resumableMarker).path) == .file,
               let index = current {
                folder.markFailed(stored[index].id, temporary: temporary)
            } else {
                folder.discard(temporary)
            }
        }
        temporary = nil
        let stage = current.map { stored[$0].id }
        if let current { stored[current].status = .interrupted }
        try? manifest.write(stored, to: folder.root, interrupted: stage ?? "")
        var line = "interrupted" + (stage.map { " during stage `\($0)`" } ?? "") + "; finished stages are kept; "
            + (resumeCommand.map { "to resume, run: " + $0(unfinishedForced) }
                ?? "run the same pipeline into the same run folder again to resume") + "\n"
        if isatty(STDERR_FILENO) != 0 { line = "\r\u{1B}[K" + line }
        let bytes = Array(line.utf8)
        _ = try? FileSystem.writeAll(STDERR_FILENO, bytes, path: "standard error")
    }

    /// The stages that `--force`/`--rerun` asked to recompute and that were not computed yet, without those
    /// downstream of another one (re-running a stage re-runs what depends on it).
    var unfinishedForced: [String] {
        let unfinished = Set(stored.filter { forced.contains($0.id) && $0.status != .computed }.map(\.id))
        return stored.indices.filter { i in
            unfinished.contains(stored[i].id) && !dependencies[i].contains(where: unfinished.contains)
        }.map { stored[$0].id }
    }
}
