import Foundation
import TangentCore

/// How a run treats existing results and where it writes.
public struct RunOptions: Sendable {
    /// The run folder; nil means `runs/<pipeline>/<overrides or default>/` under the current directory.
    public var outputDirectory: URL?
    /// Recompute every stage even when a finished result with the same key exists.
    public var force = false
    /// Recompute these stages and everything downstream of them.
    public var rerun: [String] = []
    public var progress: any ProgressReporter = ConsoleProgress()
    /// Part of every cache key: results of another toolkit version are not reused.
    public var toolkitVersion = TangentVersion.current
    /// Check the SHA-256 of every recorded output of a finished stage before reusing it (otherwise only files
    /// whose size or modification time changed are hashed).
    public var verify = false
    /// When another run holds the run folder: wait for it (true) or fail (false).
    public var waitForLock = false
    /// Handle SIGINT and SIGTERM: remove the running stage's temporary folder, record the run as interrupted,
    /// print how to resume and exit with status 130 (for command-line programs).
    public var handleInterrupts = false
    /// The command that resumes the run, printed after an interrupt: given the stages that `force` or `rerun`
    /// asked to recompute and that did not finish (the first of each chain), it returns the command without
    /// `--force`/`--rerun` but with `--rerun` for each of those.
    public var resumeCommand: (@Sendable (_ rerun: [String]) -> String)?
    /// A sweep's stage store (`OUT/store`): a stage whose key is stored there is hard-linked into the run folder
    /// instead of computed, and every stage the run finishes is added to it (see `StageStore`).
    public var store: URL?
    /// Evaluate the pipeline's claims once every stage has finished and write `claims.json` at the run folder's
    /// root (false for the points of a sweep, whose claims the sweep evaluates on its aggregate).
    public var evaluateClaims = true
    /// Digests of input files already hashed (by path, size and modification time), shared between the runs of a
    /// sweep's points in one process so that a data file is hashed once, not once per point.
    public var fileDigests: FileDigests?

    public init(outputDirectory: URL? = nil, force: Bool = false, rerun: [String] = [],
                progress: any ProgressReporter = ConsoleProgress(), verify: Bool = false, waitForLock: Bool = false) {
        self.outputDirectory = outputDirectory
        self.force = force
        self.rerun = rerun
        self.progress = progress
        self.verify = verify
        self.waitForLock = waitForLock
    }
}

/// The version of the Tangent toolkit (recorded in manifests and cache keys).
public enum TangentVersion {
    public static let current = "0.2.0"
}

/// What happened to one stage in a run.
public struct StageRecord: Sendable, Equatable {
    /// `shared`: taken from the sweep's stage store (another point computed it).
    public enum Status: String, Sendable { case pending, computed, cached, shared, failed, interrupted }
    public var id: String
    public var use: String
    public var version: Int
    public var key: String
    public var status: Status
    public var seconds: Double
    public var outputs: [String]
    public var error: String?
}

/// SHA-256 digests of files, remembered by path and checked against the file's size and modification time.
public final class FileDigests: @unchecked Sendable {
    private let lock = NSLock()
    private var known: [String: (size: Int, mtime: Int, digest: String)] = [:]

    public init() {}

    func digest(_ path: String) throws -> String {
        let status = try FileSystem.status(path)
        if let hit = lock.withLock({ known[path] }), hit.size == status.size, hit.mtime == status.mtime { return hit.digest }
        let digest = try fileSHA256(path)
        lock.withLock { known[path] = (status.size, status.mtime, digest) }
        return digest
    }
}

/// The outcome of `PipelineRunner.run`.
public struct RunResult: Sendable {
    public var directory: URL
    public var records: [StageRecord]
    /// What validation reported without stopping the run.
    public var warnings: [Diagnostic]
    /// The pipeline's claims, evaluated on the finished run and written to `claims.json` (nil when the run does not
    /// evaluate claims: a point of a sweep).
    public var claims: ClaimsReport? = nil

    /// The finished folder of stage `id`.
    public func folder(_ id: String) throws -> ArtifactFolder {
        try ArtifactFolder(url: directory.appendingPathComponent(id), stageID: id)
    }

    /// Stage `id`'s artifact read back as `type`.
    public func read<A: ArtifactValue>(_ type: A.Type, _ id: String) throws -> A { try A(reading: try folder(id)) }

    /// Every stage's files read back as a generic table (arrays, archives, summary, metrics), by stage id: for
    /// tests and scripts; stages read their inputs through their artifact types.
    public var artifacts: [String: Table] {
        var out: [String: Table] = [:]
        for record in records {
            if let folder = try? folder(record.id), let table = try? Table(reading: folder) { out[record.id] = table }
        }
        return out
    }
}

/// Runs a resolved pipeline: stages in dependency order, each skipped when a finished result with the same cache
/// key exists and its recorded files still match, otherwise computed into a temporary folder and renamed into
/// place. The run holds the run folder's lock throughout and never touches a path Tangent did not create (see
/// `RunFolder`). The manifest is rewritten (atomically) after every stage, so an interrupted run leaves an
/// accurate record.
public struct PipelineRunner {
    public var options: RunOptions

    public init(options: RunOptions = RunOptions()) { self.options = options }

    /// The cache key of every stage, in pipeline order.
    public func cacheKeys(_ pipeline: ResolvedPipeline) throws -> [String: String] {
        var keys: [String: String] = [:]
        for stage in pipeline.stages {
            keys[stage.id] = try cacheKey(stage, pipeline: pipeline, upstreamKeys: keys)
        }
        return keys
    }

    /// SHA-256 of the stage's name and version, canonical parameters (input files by content), upstream keys by
    /// slot, seed, precision and toolkit version. Never file times.
    func cacheKey(_ stage: ResolvedStage, pipeline: ResolvedPipeline, upstreamKeys: [String: String]) throws -> String {
        var parameters = stage.parameters.values
        for p in stage.type.parameters {
            if case .path = p.type, let path = parameters[p.name]?.stringValue {
                parameters[p.name] = .object(["path": .string(path), "sha256": .string(try fileDigest(path))])
            }
        }
        let inputs = Dictionary(uniqueKeysWithValues: stage.inputs.map { input in
            (input.slot, Value.list(input.upstream.map { .string(upstreamKeys[$0] ?? "") }))
        })
        let canonical = Value.object([
            "stage": .string(stage.type.name), "version": .int(stage.type.version), "parameters": .object(parameters),
            "inputs": .object(inputs), "seed": .int(pipeline.seed), "precision": .string(pipeline.precision.rawValue),
            "toolkit": .string(options.toolkitVersion),
        ]).canonicalJSON
        return SHA256Sum.hex(of: canonical)
    }

    /// SHA-256 of the file at `path`, read in 1 MiB pieces (input files may be larger than memory).
    private func fileDigest(_ path: String) throws -> String {
        do {
            if let memo = options.fileDigests { return try memo.digest(path) }
            return try fileSHA256(path)
        } catch { throw PipelineError(.io, "cannot read input file \(path)", cause: error) }
    }

    /// The run folder `run(pipeline)` uses: `outputDirectory`, else `runs/<pipeline>/<overrides or default>/` under
    /// the current directory.
    public func runFolder(for pipeline: ResolvedPipeline) -> URL {
        (options.outputDirectory
            ?? RunFolder.defaultURL(for: pipeline, base: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)))
            .standardizedFileURL
    }

    /// Validates every stage (`PipelinePlanner`), then runs `pipeline` and returns what each stage did.
    public func run(_ pipeline: ResolvedPipeline) throws -> RunResult {
        let plan = try PipelinePlanner.plan(pipeline)
        for warning in plan.warnings { options.progress.log(warning.description) }
        let root = runFolder(for: pipeline)
        let folder = try RunFolder.open(root)
        let lock = try RunLock.acquire(folder, wait: options.waitForLock, waiting: options.progress.log)
        defer { lock.release() }
        try folder.checkOwnership(of: pipeline.stages.map(\.id))
        folder.removeStaleTemporaries()
        try AtomicFileWriter.write(Data(pipeline.resolvedYAML.utf8), to: root.appendingPathComponent("config.resolved.yaml"))

        let threads = pipeline.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let forced = forcedStages(pipeline)
        let journal = RunJournal(
            folder: folder, manifest: Manifest(pipeline: pipeline, threads: threads, toolkitVersion: options.toolkitVersion),
            records: pipeline.stages.map {
                StageRecord(id: $0.id, use: $0.type.name, version: $0.type.version, key: "", status: .pending,
                            seconds: 0, outputs: [], error: nil)
            },
            dependencies: pipeline.stages.map(\.dependencies), forced: forced, resumeCommand: options.resumeCommand)
        if options.handleInterrupts {
            Interruption.shared.install()
            Interruption.shared.watch(journal)
        }
        defer { Interruption.shared.forget(journal) }
        try journal.started()
        var keys: [String: String] = [:]
        let progress = options.progress

        let store = try options.store.map { try StageStore.open($0) }
        for (index, stage) in pipeline.stages.enumerated() {
            let key = try cacheKey(stage, pipeline: pipeline, upstreamKeys: keys)
            keys[stage.id] = key
            journal.stage(index, key: key)
            let label = "[\(index + 1)/\(pipeline.stages.count)] \(stage.id) (\(stage.type.name))"
            let forcedHere = forced.contains(stage.id)

            if !forcedHere, let outputs = reusableResult(stage, key: key, folder: folder) {
                progress.log("\(label): cached")
                try journal.cached(index, outputs: outputs)
                if let store, let record = folder.record(stage.id) {
                    try store.withLock(key) { try store.publish(key, from: folder.stageURL(stage.id), record: record) }
                }
                continue
            }
            let compute = { [self] in
                try computeStage(stage, index: index, key: key, label: label, pipeline: pipeline, plan: plan,
                                 folder: folder, journal: journal, threads: threads)
            }
            guard let store else {
                try compute()
                continue
            }
            try store.withLock(key) {
                if !forcedHere, let record = store.lookup(key, verify: options.verify) {
                    let temporary = try journal.begin(index)
                    do { try store.link(record, into: temporary) } catch {
                        throw PipelineError(.io, "cannot link stage `\(stage.id)` from the sweep's store \(store.root.path)",
                                            cause: error)
                    }
                    try journal.committed(index, status: .shared, record: record, outputs: record.files.map(\.name))
                    progress.log("\(label): shared (from the sweep's store)")
                    return
                }
                try compute()
                if let record = folder.record(stage.id) {
                    try store.publish(key, from: folder.stageURL(stage.id), record: record, replace: forcedHere)
                }
            }
        }
        try journal.finished()
        var result = RunResult(directory: root, records: journal.records, warnings: plan.warnings)
        if options.evaluateClaims {
            // Also when every stage was reused: claims are not part of any cache key.
            let claims = ClaimEvaluator.evaluate(pipeline.claims, runFolder: root)
            try claims.write(to: root)
            result.claims = claims
        }
        return result
    }

    /// Computes stage `index` into a temporary folder and moves it into place (or keeps it aside as failed).
    private func computeStage(_ stage: ResolvedStage, index: Int, key: String, label: String, pipeline: ResolvedPipeline,
                              plan: PipelinePlan, folder: RunFolder, journal: RunJournal, threads: Int) throws {
        let progress = options.progress
        progress.log("\(label): running")
        let temporary = try journal.begin(index, key: key)
        let writer = ArtifactWriter(directory: temporary, stageID: stage.id)
        writer.resumeKey = key
        let context = StageContext(stageID: stage.id, seed: pipeline.seed, precision: pipeline.precision,
                                   threads: threads, progress: progress, output: writer,
                                   pipelineDirectory: pipeline.pipelineDirectory)
        Threads.setBudget(threads)
        let start = Date()
        do {
            try execute(stage.type, stage, plan: plan, folder: folder, context: context)
            let record = try folder.completionRecord(for: temporary, key: key, known: writer.knownDigests)
            let seconds = Date().timeIntervalSince(start)
            try journal.committed(index, status: .computed, record: record, outputs: writer.fileNames, seconds: seconds)
            progress.log("\(label): done in \(String(format: "%.2f", seconds)) s")
        } catch {
            journal.failed(index, message: userMessage(error), seconds: Date().timeIntervalSince(start))
            throw PipelineError(.stageFailed, "stage `\(stage.id)` (\(stage.type.name)) failed", cause: error)
        }
    }

    /// Runs one stage: decodes it with its parameters and upstream folders, runs it, writes its artifact.
    private func execute<S: Stage>(_ type: S.Type, _ stage: ResolvedStage, plan: PipelinePlan, folder: RunFolder,
                                   context: StageContext) throws {
        var inputs: [String: StageDecoder.InputBinding] = [:]
        for input in stage.inputs {
            inputs[input.slot] = StageDecoder.InputBinding(
                shapes: input.upstream.compactMap { plan.shapes[$0] },
                folders: try input.upstream.map { try ArtifactFolder(url: folder.stageURL($0), stageID: $0) })
        }
        for slot in S.inputs where inputs[slot.name] == nil {
            inputs[slot.name] = StageDecoder.InputBinding(shapes: [], folders: [])
        }
        let instance = try StageDecoder.decodeStage(S.self, parameters: stage.parameters.values, inputs: inputs)
        let output = try instance.run(context)
        try output.write(to: context.output)
        try context.output.finish(kind: S.Output.kind)
    }

    /// Opens a finished stage's folder and reads its small files (index, summary, metrics), so that a damaged one
    /// is found now rather than by a downstream stage; returns its file names.
    func load(_ stage: ResolvedStage, from directory: URL) throws -> [String] {
        let finished = try ArtifactFolder(url: directory, stageID: stage.id)
        _ = try finished.summary()
        _ = try finished.metrics()
        return finished.fileNames
    }

    /// The file names of the finished result of `stage` for `key`, when its recorded files still match and it
    /// loads; otherwise nil, with a warning naming what changed when there was a result.
    func reusableResult(_ stage: ResolvedStage, key: String, folder: RunFolder) -> [String]? {
        switch folder.reuse(stage.id, key: key, verify: options.verify) {
        case .absent:
            return nil
        case .changed(let reason):
            options.progress.log("stage `\(stage.id)`: \(reason); recomputing")
            return nil
        case .reusable:
            do { return try load(stage, from: folder.stageURL(stage.id)) } catch {
                let reason = (error as? PipelineError)?.message ?? String(describing: error)
                options.progress.log("stage `\(stage.id)`: its saved results cannot be loaded (\(reason)); recomputing")
                return nil
            }
        }
    }

    /// Stages to recompute regardless of cache: all with `force`, else the `rerun` stages and their dependents.
    func forcedStages(_ pipeline: ResolvedPipeline) -> Set<String> {
        if options.force { return Set(pipeline.stages.map(\.id)) }
        var forced = Set(options.rerun)
        for stage in pipeline.stages where stage.dependencies.contains(where: forced.contains) {
            forced.insert(stage.id)
        }
        return forced
    }
}

/// manifest.json: the resolved config, seed, precision, toolkit version, host, threads, the claims and every
/// stage's key, status, duration and outputs.
struct Manifest {
    var base: [String: Value]

    init(pipeline: ResolvedPipeline, threads: Int, toolkitVersion: String) {
        base = [
            "pipeline": .string(pipeline.name), "file": .string(pipeline.file), "config": pipeline.configValue,
            "seed": .int(pipeline.seed), "precision": .string(pipeline.precision.rawValue),
            "toolkit_version": .string(toolkitVersion), "host": .string(ProcessInfo.processInfo.hostName),
            "threads": .int(threads), "overrides": .list(pipeline.overrides.map(Value.string)),
            "profile": pipeline.profile.map(Value.string) ?? .null,
            "started": .string(ISO8601DateFormatter().string(from: Date())),
            // The claims as written, so that `tangent claims DIR` can evaluate them again from the folder alone.
            "claims": .list(pipeline.claims.map { StoredClaim($0).value }),
        ]
    }

    /// `interrupted`: the run was stopped by a signal, while working on that stage ("" when between stages).
    func write(_ records: [StageRecord], to root: URL, finished: Bool = false, failed: Bool = false,
               interrupted: String? = nil) throws {
        var value = base
        value["status"] = .string(interrupted != nil ? "interrupted" : failed ? "failed" : finished ? "finished" : "running")
        if let interrupted { value["interrupted_stage"] = interrupted.isEmpty ? .null : .string(interrupted) }
        if finished || failed || interrupted != nil { value["ended"] = .string(ISO8601DateFormatter().string(from: Date())) }
        // The process's peak resident memory so far (validation and every stage run in this process).
        value["peak_resident_mb"] = .double((Double(Machine.peakResidentBytes) / 1_048_576 * 10).rounded() / 10)
        value["stages"] = .list(records.map { r in
            var entry: [String: Value] = [
                "id": .string(r.id), "use": .string(r.use), "version": .int(r.version), "key": .string(r.key),
                "status": .string(r.status.rawValue), "seconds": .double((r.seconds * 1000).rounded() / 1000),
                "outputs": .list(r.outputs.map(Value.string)),
            ]
            if let e = r.error { entry["error"] = .string(e) }
            return .object(entry)
        })
        try AtomicFileWriter.write(Data((Value.object(value).prettyJSON() + "\n").utf8),
                                   to: root.appendingPathComponent("manifest.json"))
    }
}
