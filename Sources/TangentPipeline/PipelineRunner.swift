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

    public init(outputDirectory: URL? = nil, force: Bool = false, rerun: [String] = [],
                progress: any ProgressReporter = ConsoleProgress()) {
        self.outputDirectory = outputDirectory
        self.force = force
        self.rerun = rerun
        self.progress = progress
    }
}

/// The version of the Tangent toolkit (recorded in manifests and cache keys).
public enum TangentVersion {
    public static let current = "0.1.0"
}

/// What happened to one stage in a run.
public struct StageRecord: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, computed, cached, failed }
    public var id: String
    public var use: String
    public var version: Int
    public var key: String
    public var status: Status
    public var seconds: Double
    public var outputs: [String]
    public var error: String?
}

/// The outcome of `PipelineRunner.run`.
public struct RunResult: Sendable {
    public var directory: URL
    public var records: [StageRecord]
    /// Each stage's artifact, by stage id.
    public var artifacts: [String: Artifact]
}

/// Runs a resolved pipeline: stages in dependency order, each skipped when a finished result with the same cache
/// key exists, otherwise computed into a temporary folder and renamed into place. The manifest is rewritten
/// (atomically) after every stage, so an interrupted run leaves an accurate record.
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
            return try SHA256Sum.hexOfFile(at: URL(fileURLWithPath: path))
        } catch {
            throw PipelineError(.io, "cannot read input file \(path)", cause: error)
        }
    }

    /// Runs `pipeline` and returns what each stage did.
    public func run(_ pipeline: ResolvedPipeline) throws -> RunResult {
        let fm = FileManager.default
        let root = options.outputDirectory
            ?? RunFolder.defaultURL(for: pipeline, base: URL(fileURLWithPath: fm.currentDirectoryPath))
        let folder = RunFolder(root: root)
        do { try folder.create() } catch { throw PipelineError(.io, "cannot create run folder \(root.path)", cause: error) }
        folder.removeStaleTemporaries()
        try AtomicFileWriter.write(Data(pipeline.resolvedYAML.utf8), to: root.appendingPathComponent("config.resolved.yaml"))

        let threads = pipeline.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let forced = forcedStages(pipeline)
        var records = pipeline.stages.map {
            StageRecord(id: $0.id, use: $0.type.name, version: $0.type.version, key: "", status: .pending, seconds: 0,
                        outputs: [], error: nil)
        }
        let manifest = Manifest(pipeline: pipeline, threads: threads, toolkitVersion: options.toolkitVersion)
        var keys: [String: String] = [:]
        var artifacts: [String: Artifact] = [:]
        let progress = options.progress

        for (index, stage) in pipeline.stages.enumerated() {
            let key = try cacheKey(stage, pipeline: pipeline, upstreamKeys: keys)
            keys[stage.id] = key
            records[index].key = key
            let label = "[\(index + 1)/\(pipeline.stages.count)] \(stage.id) (\(stage.type.name))"

            if !forced.contains(stage.id), folder.completedKey(stage.id) == key,
               let artifact = try? Artifact.read(from: folder.stageURL(stage.id)) {
                artifacts[stage.id] = artifact
                records[index].status = .cached
                records[index].outputs = artifact.fileNames
                progress.log("\(label): cached")
                try manifest.write(records, to: root)
                continue
            }

            progress.log("\(label): running")
            let temporary: URL
            do { temporary = try folder.makeTemporary(for: stage.id) } catch {
                throw PipelineError(.io, "cannot create a folder in \(root.path)", cause: error)
            }
            let inputs = StageInputs(Dictionary(uniqueKeysWithValues: stage.inputs.map { input in
                (input.slot, input.upstream.map { artifacts[$0]! })
            }), stageID: stage.id)
            let context = StageContext(stageID: stage.id, seed: pipeline.seed, precision: pipeline.precision,
                                       threads: threads, progress: progress, workDirectory: temporary,
                                       pipelineDirectory: pipeline.pipelineDirectory)
            Threads.setBudget(threads)
            let start = Date()
            do {
                let artifact = try stage.type.run(inputs: inputs, parameters: stage.parameters, context: context)
                try artifact.write(to: temporary)
                try folder.commit(temporary, id: stage.id, key: key)
                artifacts[stage.id] = artifact
                records[index].status = .computed
                records[index].outputs = artifact.fileNames
                records[index].seconds = Date().timeIntervalSince(start)
                progress.log("\(label): done in \(String(format: "%.2f", records[index].seconds)) s")
                try manifest.write(records, to: root)
            } catch {
                folder.keepFailed(temporary, id: stage.id)
                records[index].status = .failed
                records[index].seconds = Date().timeIntervalSince(start)
                records[index].error = String(describing: error)
                try? manifest.write(records, to: root, failed: true)
                throw PipelineError(.stageFailed, "stage `\(stage.id)` (\(stage.type.name)) failed", cause: error)
            }
        }
        try manifest.write(records, to: root, finished: true)
        return RunResult(directory: root, records: records, artifacts: artifacts)
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

/// manifest.json: the resolved config, seed, precision, toolkit version, host, threads and every stage's key,
/// status, duration and outputs.
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
        ]
    }

    func write(_ records: [StageRecord], to root: URL, finished: Bool = false, failed: Bool = false) throws {
        var value = base
        value["status"] = .string(failed ? "failed" : finished ? "finished" : "running")
        if finished || failed { value["ended"] = .string(ISO8601DateFormatter().string(from: Date())) }
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
