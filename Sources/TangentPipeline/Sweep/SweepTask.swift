import Foundation

/// One point of a sweep as a self-contained job: a line of `tasks.jsonl`, enough for `tangent run --tasks FILE
/// --index I` to run it on any machine that sees the same paths (a Slurm array element, a GNU parallel slot, or a
/// child of `tangent run --jobs N`).
///
/// `{"index":0,"name":"seed=0","file":"/abs/p.yaml","profile":"quick","overrides":["seed=0"],
///   "run_folder":"/abs/OUT/points/seed=0","store":"/abs/OUT/store","threads":1}`
public struct SweepTask: Sendable, Equatable {
    public var index: Int
    public var name: String
    /// The pipeline file (absolute).
    public var file: String
    public var profile: String?
    /// Every override of the point: the sweep's base overrides, then the point's.
    public var overrides: [String]
    /// The point's run folder (absolute).
    public var runFolder: String
    /// The sweep's stage store (absolute), shared by all points.
    public var store: String?
    /// The point's thread budget; nil: the pipeline's `threads`, else `SLURM_CPUS_PER_TASK`, else all cores.
    public var threads: Int?

    public init(index: Int, name: String, file: String, profile: String?, overrides: [String], runFolder: String,
                store: String?, threads: Int?) {
        self.index = index
        self.name = name
        self.file = file
        self.profile = profile
        self.overrides = overrides
        self.runFolder = runFolder
        self.store = store
        self.threads = threads
    }

    public var value: Value {
        .object([
            "index": .int(index), "name": .string(name), "file": .string(file),
            "profile": profile.map(Value.string) ?? .null, "overrides": .list(overrides.map(Value.string)),
            "run_folder": .string(runFolder), "store": store.map(Value.string) ?? .null,
            "threads": threads.map(Value.int) ?? .null,
        ])
    }

    /// One JSON line.
    public var jsonLine: String { value.canonicalJSON }

    public init(json value: Value) throws(PipelineError) {
        func field(_ name: String) throws(PipelineError) -> Value {
            guard let v = value[name] else { throw PipelineError(.sweep, "a task has no `\(name)`") }
            return v
        }
        guard let index = try field("index").intValue, let name = try field("name").stringValue,
              let file = try field("file").stringValue, let folder = try field("run_folder").stringValue,
              let overrides = try field("overrides").listValue?.compactMap(\.stringValue) else {
            throw PipelineError(.sweep, "a task needs index, name, file, overrides and run_folder of the right types")
        }
        self.init(index: index, name: name, file: file, profile: value["profile"]?.stringValue, overrides: overrides,
                  runFolder: folder, store: value["store"]?.stringValue, threads: value["threads"]?.intValue)
    }

    /// Writes `tasks` as JSON Lines, atomically.
    public static func write(_ tasks: [SweepTask], to url: URL) throws {
        let text = tasks.map(\.jsonLine).joined(separator: "\n") + (tasks.isEmpty ? "" : "\n")
        try FileSystem.makeDirectories(url.deletingLastPathComponent().path)
        try AtomicFileWriter.write(Data(text.utf8), to: url)
    }

    /// The largest tasks file read (a task line is a few hundred bytes).
    static let maxFileBytes = 1 << 30

    /// Reads lines `range` (0-based line numbers, clamped to the file) of a tasks file; a line that is not a task
    /// is an error naming its line.
    public static func read(_ url: URL, lines range: Range<Int>? = nil) throws(PipelineError) -> [SweepTask] {
        if FileSystem.kind(url.path, followingLinks: true) == .file, let size = try? FileSystem.status(url.path).size,
           size > maxFileBytes {
            throw PipelineError(.sweep, "\(url.path) is \(size) bytes, too large for a tasks file (at most \(maxFileBytes >> 20) MB, "
                                + "about a million points); split the sweep")
        }
        guard FileSystem.kind(url.path, followingLinks: true) == .file,
              let text = FileSystem.readSmallFile(url.path) else {
            throw PipelineError(.io, "cannot read the tasks file \(url.path); check the path (it is written by `tangent sweep "
                                + "submit` or `tangent sweep plan`)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        let wanted = range.map { $0.clamped(to: 0..<lines.count) } ?? 0..<lines.count
        var tasks: [SweepTask] = []
        for i in wanted {
            do {
                tasks.append(try SweepTask(json: try JSONReader.parse(String(lines[i]))))
            } catch {
                throw PipelineError(.sweep, "line \(i + 1) of \(url.path) is not a task: \(userMessage(error))")
            }
        }
        return tasks
    }
}
