import Dispatch
import Foundation
import TangentCore

/// How `SweepRunner` runs the points.
public struct SweepRunOptions: Sendable {
    /// Points run at once, each as its own child process.
    public var jobs = 1
    /// Each point's thread budget; nil: the run's budget (the pipeline's `threads`, else all cores) / `jobs`.
    public var threadsPerPoint: Int?
    /// Passed on to every point: recompute every stage / these stages; check every hash before reusing.
    public var force = false
    public var rerun: [String] = []
    public var verify = false
    /// The program the points run as (`<executable> run --tasks … --index I`): the running `tangent`.
    public var executable = URL(fileURLWithPath: "/proc/self/exe")
    /// Where progress goes (standard error by default).
    public var isTerminal = isatty(STDERR_FILENO) != 0
    /// Called with each line to show; nil: standard error.
    public var log: (@Sendable (String) -> Void)?
    /// More arguments for every point's `tangent run --tasks …` (e.g. `--no-report`).
    public var pointArguments: [String] = []

    public init(jobs: Int = 1) { self.jobs = jobs }
}

/// What a sweep run did.
public struct SweepOutcome: Sendable {
    public struct Failure: Sendable {
        public var point: String
        public var message: String
        public var log: String
    }

    public var directory: URL
    public var points: Int
    /// Points that were already finished and were not run again.
    public var reused: Int
    public var finished: Int
    public var failures: [Failure]
    public var interrupted: Bool
    public var results: SweepTables?
}

/// Runs a sweep's points as child processes, `jobs` at a time, in a sweep folder; then aggregates the results.
///
/// Each point is `tangent run --tasks OUT/tasks.jsonl --index I` with its output in `OUT/logs/<point>.log`: a crash
/// in one point never takes the sweep down, and a failed point does not stop the others. Points already finished
/// with the same cache keys are not started again; an unfinished point resumes from its finished stages (each is
/// a run folder). SIGINT or SIGTERM stops the running points (they record themselves as interrupted) and exits
/// with status 130; if the sweep is killed outright, its points get SIGTERM from the kernel (see
/// `Machine.terminateWithParent`). Either way the same command resumes.
public final class SweepRunner: @unchecked Sendable {
    public let options: SweepRunOptions
    private let lock = NSLock()
    private var running: [Int32: (name: String, started: Date)] = [:]
    private var interrupted = false
    private var signalSources: [any DispatchSourceSignal] = []

    public init(options: SweepRunOptions) { self.options = options }

    private func say(_ line: String) {
        if let log = options.log { log(line) } else {
            FileHandle.standardError.write(Data(((options.isTerminal ? "\r\u{1B}[K" : "") + line + "\n").utf8))
        }
    }

    /// Runs every unfinished point of `plan`, then writes the results (sweep.csv, aggregate.csv, curves/) and
    /// evaluates the claims on them (claims.json).
    public func run(_ plan: SweepPlan) throws -> SweepOutcome {
        let folder = try SweepFolder.open(plan.directory)
        let sweepLock = try folder.lock(wait: false, waiting: say)
        defer { sweepLock.release() }
        try folder.writeRecord(plan)
        let budget = plan.base.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let jobs = max(1, min(options.jobs, plan.points.count))
        let perPoint = options.threadsPerPoint ?? max(1, budget / jobs)
        let tasks = plan.tasks(threads: perPoint)
        try SweepTask.write(tasks, to: folder.tasksURL)

        var pending: [SweepTask] = []
        for (point, task) in zip(plan.points, tasks) {
            let finished = !options.force && options.rerun.isEmpty && folder.isFinished(point)
            if !finished { pending.append(task) }
        }
        let reused = tasks.count - pending.count
        say("sweep: \(tasks.count) point\(tasks.count == 1 ? "" : "s")"
            + (reused > 0 ? " (\(reused) already finished)" : "") + ", \(jobs) at a time, \(perPoint) thread"
            + (perPoint == 1 ? "" : "s") + " each → \(folder.root.path)")
        try FileSystem.makeDirectories(folder.logsURL.path)

        installSignalHandlers()
        defer { removeSignalHandlers() }
        let done = DispatchSemaphore(value: 0)
        let ended = Ended()
        var queue = pending[...]
        var durations: [Double] = []
        var failures: [SweepOutcome.Failure] = []
        var finished = 0
        let started = Date()
        while true {
            let stopping = lock.withLock { interrupted }
            while !stopping, lock.withLock({ running.count }) < jobs, let task = queue.popFirst() {
                try launch(task, folder: folder, done: done, ended: ended)
            }
            if lock.withLock({ running.isEmpty }) && (queue.isEmpty || stopping) { break }
            _ = done.wait(timeout: .now() + 0.25)
            for (pid, status) in ended.take() {
                guard let entry = lock.withLock({ running.removeValue(forKey: pid) }) else { continue }
                let seconds = Date().timeIntervalSince(entry.started)
                let log = folder.logsURL.appendingPathComponent(entry.name + ".log").path
                if status == 0 {
                    finished += 1
                    durations.append(seconds)
                } else if status != Interruption.exitStatus || !lock.withLock({ interrupted }) {
                    let message = folder.failure(ofPoint: entry.name) ?? Self.errorLine(ofLog: log)
                        ?? "exited with status \(status)"
                    failures.append(.init(point: entry.name, message: message, log: log))
                }
                let remaining = queue.count + lock.withLock { running.count }
                let eta = durations.isEmpty ? nil
                    : durations.reduce(0, +) / Double(durations.count) * Double(remaining) / Double(jobs)
                say("sweep: \(entry.name) " + (status == 0 ? "finished" : "failed") + " in "
                    + String(format: "%.1f", seconds) + " s · \(finished + reused)/\(tasks.count) finished, "
                    + "\(lock.withLock { running.count }) running, \(failures.count) failed"
                    + (eta.map { ", ETA " + ConsoleProgress.clock($0) } ?? ""))
            }
        }
        let wasInterrupted = lock.withLock { interrupted }
        var results: SweepTables?
        if !wasInterrupted {
            results = try Self.aggregate(folder)
        }
        say("sweep: \(finished + reused) of \(tasks.count) points finished"
            + (reused > 0 ? " (\(reused) reused)" : "") + (failures.isEmpty ? "" : ", \(failures.count) failed")
            + " in " + String(format: "%.1f", Date().timeIntervalSince(started)) + " s")
        return SweepOutcome(directory: folder.root, points: tasks.count, reused: reused, finished: finished + reused,
                            failures: failures, interrupted: wasInterrupted, results: results)
    }

    /// Writes sweep.csv, aggregate.csv and curves/ from the sweep record and the points' run folders, then
    /// evaluates the sweep's claims on the aggregate and writes claims.json (`SweepTables.claims`).
    public static func aggregate(_ folder: SweepFolder) throws -> SweepTables {
        let record = try folder.record()
        let points = record.points.map { p in
            SweepPointResult(name: p.name, overrides: record.axes.map { ($0, p.values[$0] ?? "") },
                             folder: folder.pointURL(p.name))
        }
        var tables = try SweepResults.write(points: points, axes: record.axes, to: folder.root)
        tables.claims = try ClaimsFolder.evaluate(record.claims, on: tables, writingTo: folder.root)
        return tables
    }

    /// The line of a point's log that says what went wrong: the last `error:` line, else the last line.
    static func errorLine(ofLog path: String) -> String? {
        guard let text = FileSystem.readSmallFile(path) else { return nil }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return lines.last { $0.contains("error:") } ?? lines.last
    }

    private func launch(_ task: SweepTask, folder: SweepFolder, done: DispatchSemaphore, ended: Ended) throws {
        let logPath = folder.logsURL.appendingPathComponent(task.name + ".log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw PipelineError(.io, "cannot write the point's log \(logPath); check that you may write to \(folder.logsURL.path)")
        }
        defer { try? log.close() }
        let process = Process()
        process.executableURL = options.executable
        var arguments = ["run", "--tasks", folder.tasksURL.path, "--index", String(task.index), "--wait"]
        if options.force { arguments.append("--force") }
        if options.verify { arguments.append("--verify") }
        for stage in options.rerun { arguments += ["--rerun", stage] }
        arguments += options.pointArguments
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TANGENT_SWEEP_PARENT"] = String(getpid())
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        process.terminationHandler = { p in
            ended.add(p.processIdentifier, p.terminationStatus)
            done.signal()
        }
        try lock.withLock {
            do { try process.run() } catch {
                throw PipelineError(.io, "cannot start a point of the sweep (\(options.executable.path))", cause: error)
            }
            running[process.processIdentifier] = (task.name, Date())
        }
    }

    /// SIGINT/SIGTERM: stop launching, pass SIGTERM to the running points, let the loop wait for them.
    private func installSignalHandlers() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global(qos: .userInitiated))
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let pids = self.lock.withLock {
                    self.interrupted = true
                    return Array(self.running.keys)
                }
                for pid in pids { kill(pid, SIGTERM) }
                self.say("sweep: interrupted; stopping \(pids.count) running point\(pids.count == 1 ? "" : "s"); "
                         + "run the same command again to resume")
            }
            source.resume()
            signalSources.append(source)
        }
    }

    private func removeSignalHandlers() {
        for source in signalSources { source.cancel() }
        signalSources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Exit statuses of finished children, handed from termination handlers to the loop.
    private final class Ended: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(Int32, Int32)] = []
        func add(_ pid: Int32, _ status: Int32) { lock.withLock { items.append((pid, status)) } }
        func take() -> [(Int32, Int32)] {
            lock.withLock {
                defer { items = [] }
                return items
            }
        }
    }
}
