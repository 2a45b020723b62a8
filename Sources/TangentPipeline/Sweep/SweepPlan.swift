import Foundation
import TangentCore

/// One point of a sweep: its overrides and the pipeline they resolve to.
public struct SweepPoint: @unchecked Sendable {
    /// Position in the sweep (0-based, in `SweepSpec.point` order).
    public var index: Int
    /// The folder name under `OUT/points/`: the point's overrides, escaped and joined (see `RunFolder.folderName`):
    /// readable, injective and safe as a file name.
    public var name: String
    /// The swept keys and values as YAML text, in axis order (`[("model.hidden", "[64]"), ("seed", "3")]`).
    public var values: [(key: String, value: String)]
    /// The point's overrides as written (`model.hidden=[64]`), applied after the sweep's base overrides.
    public var overrides: [String] { values.map { "\($0.key)=\($0.value)" } }
    /// SHA-256 of the point's stage cache keys (see `SweepPoint.digest(ofKeys:)`): a point is finished when its run
    /// folder finished with these keys. (Points keep this, not their resolved pipelines, so that a plan's memory
    /// stays small however many points there are.)
    public var keysDigest: String

    /// One digest of a pipeline's stage cache keys (id → key).
    static func digest(ofKeys keys: [String: String]) -> String {
        SHA256Sum.hex(of: keys.keys.sorted().map { "\($0)=\(keys[$0]!)" }.joined(separator: "\n"))
    }
}

/// A sweep resolved and validated: every point loaded and planned (every stage's `validate`, memory included)
/// before any runs; the run folder of each point is `OUT/points/<name>`.
public struct SweepPlan: @unchecked Sendable {
    /// The sweep's base pipeline (the file, profile and overrides, before any point's overrides).
    public var base: ResolvedPipeline
    public var points: [SweepPoint]
    /// The sweep folder.
    public var directory: URL
    /// Warnings of the base pipeline and of every point (each once).
    public var warnings: [Diagnostic]

    public var file: String { base.file }
    public var profile: String? { base.profile }
    /// The base overrides (the command line's, without the profile's).
    public var overrides: [String]
    public var axes: [String] { base.sweep.keys }

    public func pointURL(_ point: SweepPoint) -> URL { SweepFolder.pointsURL(directory).appendingPathComponent(point.name) }

    /// Expands `base.sweep` into points and validates each; every problem of every point is reported at once, each
    /// under the point it belongs to (a problem shared by all points is reported once).
    public static func make(base: ResolvedPipeline, overrides: [String], out: URL?, registry: StageRegistry,
                            availableMemory: Int = Machine.availableMemoryBytes) throws(PipelineError) -> SweepPlan {
        let spec = base.sweep
        let directory = (out ?? defaultURL(for: base, overrides: overrides)).standardizedFileURL
        var points: [SweepPoint] = []
        var problems: [Diagnostic] = []
        var seen = Set<String>()
        var warnings: [Diagnostic] = []
        var warned = Set<String>()
        func note(_ d: Diagnostic, point: String) {
            let text = d.description
            if d.severity == .warning {
                if warned.insert(text).inserted { warnings.append(d) }
            } else if seen.insert(text).inserted {
                var d = d
                d.message = "point \(point): " + d.message
                problems.append(d)
            }
        }
        for d in base.warnings { note(d, point: "") }
        let text: String
        do { text = try PipelineFile.text(at: base.file) } catch { throw error }
        var keying = RunOptions(progress: SilentProgress())
        keying.fileDigests = FileDigests()
        let keyer = PipelineRunner(options: keying)
        for index in 0..<spec.count {
            let values = spec.point(index).map { ($0.key, yamlScalar($0.value.value.plainValue)) }
            let pointOverrides = values.map { "\($0.0)=\($0.1)" }
            let name = RunFolder.folderName(profile: nil, overrides: pointOverrides)
            do throws(PipelineError) {
                var pipeline = try PipelineLoader.loadPoint(text: text, file: base.file, overrides: overrides + pointOverrides,
                                                            profile: base.profile, registry: registry)
                pipeline.sweep = SweepSpec()
                let plan = try PipelinePlanner.plan(pipeline, availableMemory: availableMemory)
                for d in pipeline.warnings + plan.warnings { note(d, point: name) }
                let keys: [String: String]
                do { keys = try keyer.cacheKeys(pipeline) } catch {
                    throw (error as? PipelineError) ?? PipelineError(.io, "cannot compute the cache keys", cause: error)
                }
                points.append(SweepPoint(index: index, name: name, values: values,
                                         keysDigest: SweepPoint.digest(ofKeys: keys)))
            } catch {
                for d in error.diagnostics { note(d, point: name) }
                if error.diagnostics.isEmpty {
                    problems.append(Diagnostic(.invalidValue, "point \(name): \(error.message)", at: nil, field: "sweep"))
                }
            }
        }
        if problems.contains(where: { $0.severity == .error }) {
            throw PipelineError.invalid(PipelineLoader.capped(problems + warnings))
        }
        return SweepPlan(base: base, points: points, directory: directory, warnings: warnings, overrides: overrides)
    }

    /// The default sweep folder: `runs/<pipeline>/sweeps/<profile and overrides, or "default">` (a run folder's
    /// name is `default` or holds `=`, so `sweeps` never is one).
    public static func defaultURL(for base: ResolvedPipeline, overrides: [String]) -> URL {
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("runs")
            .appendingPathComponent(RunFolder.escape(base.name)).appendingPathComponent("sweeps")
            .appendingPathComponent(RunFolder.folderName(profile: base.profile, overrides: overrides))
    }

    /// The task of each point, in order (`threads`: each point's thread budget, nil for the pipeline's own).
    public func tasks(threads: Int?) -> [SweepTask] {
        points.map { point in
            SweepTask(index: point.index, name: point.name, file: file, profile: profile,
                      overrides: overrides + point.overrides, runFolder: pointURL(point).path,
                      store: SweepFolder.storeURL(directory).path, threads: threads)
        }
    }
}
