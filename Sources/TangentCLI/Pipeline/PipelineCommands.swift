import ArgumentParser
import Foundation
import TangentCore
import TangentPipeline

struct PipelineArguments: ParsableArguments {
    @Argument(help: "The pipeline file (YAML).") var file: String
    @Argument(help: "Dotted overrides with YAML values, e.g. train.learning_rate=0.1 seed=3 model.hidden=[512,512].")
    var overrides: [String] = []
    @Option(help: "Apply the named profile from the file's `profiles:` before the overrides.") var profile: String?
    @OptionGroup var sweepArguments: SweepArguments

    func load() throws(PipelineError) -> ResolvedPipeline {
        try PipelineLoader.load(file: file, overrides: overrides, profile: profile, sweep: sweepArguments.sweep,
                                sweepMode: sweepArguments.sweepMode, registry: CLIState.registry)
    }
}

/// `--sweep` and `--sweep-mode`, shared by `run`, `sweep plan` and `sweep submit`.
struct SweepArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Sweep a dotted key over values (repeatable; combined with the file's `sweep:`): key=v1,v2,…, "
            + "key=range(a,b[,step]), key=linspace(a,b,n) or key=logspace(a,b,n).",
        valueName: "key=values"))
    var sweep: [String] = []
    @Option(help: "How the --sweep axes combine: grid (every combination) or zip (in step).")
    var sweepMode: SweepSpec.Mode = .grid
}

extension SweepSpec.Mode: ExpressibleByArgument {}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Validate, then run a pipeline (or every point of its sweep); finished stages are reused.",
        discussion: """
            With a sweep (the file's `sweep:` block or --sweep options), every point is validated first, then each \
            runs as its own process in OUT/points/<point>, --jobs at a time, and OUT/sweep.csv, OUT/aggregate.csv \
            and OUT/curves/ collect the results. The file's claims are evaluated after the run (or on the sweep's \
            aggregate), printed and written to claims.json; with --strict-claims a failing claim makes the exit \
            status 1. `--tasks FILE --index I` runs line I of a tasks file written by \
            `tangent sweep submit` or `tangent sweep plan` (a Slurm array element, a GNU parallel slot).
            """)

    @Argument(help: "The pipeline file (YAML).") var file: String?
    @Argument(help: "Dotted overrides with YAML values, e.g. train.learning_rate=0.1 seed=3 model.hidden=[512,512].")
    var overrides: [String] = []
    @Option(help: "Apply the named profile from the file's `profiles:` before the overrides.") var profile: String?
    @OptionGroup var sweepArguments: SweepArguments
    @Option(help: ArgumentHelp("The run folder, or the sweep folder of a sweep (default: runs/<pipeline>/<overrides or "
                               + "default>, or runs/<pipeline>/sweeps/<overrides or default>).")) var out: String?
    @Flag(help: "Recompute every stage.") var force = false
    @Option(help: "Recompute this stage and everything downstream (repeatable).") var rerun: [String] = []
    @Flag(help: "Check the SHA-256 of every output of a finished stage before reusing it.") var verify = false
    @Flag(help: "When another tangent run is using the run folder, wait for it instead of failing.") var wait = false
    @Option(help: "Run this many sweep points at once, each as its own process.") var jobs = 1
    @Option(help: "Threads of each sweep point (default: the thread budget divided by --jobs).") var threadsPerPoint: Int?
    @Option(help: "Run tasks from this tasks file (JSON Lines) instead of a pipeline file.") var tasks: String?
    @Option(help: "With --tasks: the line to run (0-based), or the group of --pack lines.") var index: Int?
    @Option(help: "With --tasks: run lines index·pack … index·pack+pack−1, one after another.") var pack = 1
    @OptionGroup var strict: StrictClaims
    @Flag(help: "Do not write report.html (a run's or sweep's plots; `tangent report DIR` writes it later).")
    var noReport = false

    func validate() throws {
        if tasks != nil {
            guard file == nil, overrides.isEmpty, profile == nil, sweepArguments.sweep.isEmpty, out == nil else {
                throw ValidationError("--tasks runs the tasks' own pipeline, profile, overrides and folders: give no "
                                      + "pipeline file, overrides, --profile, --sweep or --out with it")
            }
            guard let index, index >= 0 else { throw ValidationError("--tasks needs --index I (0-based line number, I ≥ 0)") }
            guard pack >= 1 else { throw ValidationError("--pack must be at least 1") }
            guard !strict.strictClaims else {
                throw ValidationError("--strict-claims goes with a pipeline file: the points of a sweep evaluate no claims "
                                      + "(the sweep does, on its aggregate)")
            }
        } else {
            guard file != nil else { throw ValidationError("give a pipeline file (or --tasks FILE --index I)") }
            guard index == nil, pack == 1 else { throw ValidationError("--index and --pack go with --tasks") }
        }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let threadsPerPoint, threadsPerPoint < 1 { throw ValidationError("--threads-per-point must be at least 1") }
    }

    func run() throws {
        if let tasks { return try runTasks(URL(fileURLWithPath: tasks)) }
        let resolved: ResolvedPipeline
        do {
            resolved = try PipelineLoader.load(file: file!, overrides: overrides, profile: profile,
                                               sweep: sweepArguments.sweep, sweepMode: sweepArguments.sweepMode,
                                               registry: CLIState.registry)
        } catch { throw report(error) }
        reportWarnings(resolved)
        for id in rerun where resolved.stage(id) == nil {
            throw report(PipelineError.invalid([Diagnostic(.unknownUpstream, "--rerun names no stage `\(id)`", at: nil,
                                                           field: "--rerun",
                                                           suggestion: "stages: " + resolved.stages.map(\.id).joined(separator: ", "))]))
        }
        if !resolved.sweep.isEmpty { return try runSweep(resolved) }
        if jobs > 1 {
            FileHandle.standardError.write(Data("warning: --jobs has no effect: the pipeline has no sweep\n".utf8))
        }
        var options = runOptions(out: out.map { URL(fileURLWithPath: $0) })
        options.handleInterrupts = true
        options.resumeCommand = { rerun in Self.resumeInvocation(rerun: rerun) }
        let runner = PipelineRunner(options: options)
        do {
            let result = try runner.run(resolved)
            // Claims (claims.json) are written before the report, which shows them.
            RunReportHook.write(folder: result.directory, enabled: !noReport)
            print(Self.line(resolved.name, result))
            try ClaimsOutput.show(result.claims, strict: strict.strictClaims)
        } catch let error as PipelineError {
            // A failed stage leaves a run folder whose finished stages (and the failed one's partial output) the
            // report shows.
            if error.code == .stageFailed { RunReportHook.write(folder: runner.runFolder(for: resolved), enabled: !noReport) }
            throw report(error)
        }
    }

    func runOptions(out: URL?) -> RunOptions {
        var options = RunOptions(outputDirectory: out, force: force, rerun: rerun, verify: verify, waitForLock: wait)
        options.progress = ConsoleProgress()
        return options
    }

    static func line(_ name: String, _ result: RunResult) -> String {
        let count = { (s: StageRecord.Status) in result.records.filter { $0.status == s }.count }
        let shared = count(.shared)
        return "\(name): \(count(.computed)) computed, \(count(.cached)) cached"
            + (shared > 0 ? ", \(shared) shared" : "") + " → \(result.directory.path)"
    }

    /// Every point validated, then run `--jobs` at a time; failures listed; claims evaluated on the aggregate and
    /// shown; exit 1 when any point failed (or, with --strict-claims, any claim), 130 when interrupted.
    private func runSweep(_ resolved: ResolvedPipeline) throws {
        let plan: SweepPlan
        do {
            plan = try SweepPlan.make(base: resolved, overrides: overrides, out: out.map { URL(fileURLWithPath: $0) },
                                      registry: CLIState.registry)
        } catch { throw report(error) }
        var options = SweepRunOptions(jobs: jobs)
        options.threadsPerPoint = threadsPerPoint
        options.force = force
        options.rerun = rerun
        options.verify = verify
        if noReport { options.pointArguments = ["--no-report"] }
        let outcome: SweepOutcome
        do { outcome = try SweepRunner(options: options).run(plan) } catch let error as PipelineError {
            throw report(error)
        }
        if outcome.interrupted { throw ExitCode(Interruption.exitStatus) }
        for warning in outcome.results?.warnings ?? [] {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        // After the aggregate tables (and the sweep's claims.json, when it has one).
        if outcome.results != nil { RunReportHook.write(folder: outcome.directory, enabled: !noReport) }
        if !outcome.failures.isEmpty {
            var text = "\(outcome.failures.count) of \(outcome.points) points failed:\n"
            for failure in outcome.failures {
                text += "  \(failure.point): \(failure.message)\n    log: \(failure.log)\n"
            }
            FileHandle.standardError.write(Data(text.utf8))
        }
        print("\(resolved.name): sweep of \(outcome.points) points, \(outcome.finished) finished"
              + (outcome.failures.isEmpty ? "" : ", \(outcome.failures.count) failed") + " → \(outcome.directory.path)")
        do { try ClaimsOutput.show(outcome.results?.claims, strict: strict.strictClaims) } catch {
            if outcome.failures.isEmpty { throw error }
        }
        if !outcome.failures.isEmpty { throw ExitCode(1) }
    }

    /// `--tasks FILE --index I [--pack M]`: the tasks one after another; a failed one does not stop the rest, and
    /// the exit status is that of the worst.
    private func runTasks(_ url: URL) throws {
        if let parent = ProcessInfo.processInfo.environment["TANGENT_SWEEP_PARENT"].flatMap(Int32.init),
           !Machine.terminateWithParent(parent) {
            throw ExitCode(Interruption.exitStatus)  // the sweep that started this point is gone
        }
        let first = index! * pack
        let selected: [SweepTask]
        do { selected = try SweepTask.read(url, lines: first..<(first + pack)) } catch { throw report(error) }
        guard !selected.isEmpty else {
            FileHandle.standardError.write(Data("error: \(url.path) has no line \(first) (0-based); nothing to run\n".utf8))
            throw ExitCode(2)
        }
        var status: Int32 = 0
        for task in selected {
            var options = runOptions(out: nil)
            options.waitForLock = true
            options.handleInterrupts = true
            options.progress = ConsoleProgress(prefix: selected.count > 1 ? "[\(task.name)] " : "")
            do {
                let result = try SweepTaskRunner.run(task, registry: CLIState.registry, options: options)
                RunReportHook.write(folder: result.directory, enabled: !noReport)
                print(Self.line(task.name, result))
            } catch let error as PipelineError {
                status = max(status, report(error).rawValue)
            }
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// The command line that started this process, quoted for a POSIX shell (the program by its base name),
    /// without `--force` and `--rerun` but with `--rerun` for each of `rerun`: it reuses what the interrupted run
    /// finished and recomputes what it was asked to recompute and did not.
    static func resumeInvocation(rerun: [String], arguments: [String] = CommandLine.arguments) -> String {
        guard let program = arguments.first else { return "" }
        var words = [URL(fileURLWithPath: program).lastPathComponent]
        var rest = arguments.dropFirst()[...]
        while let word = rest.popFirst() {
            if word == "--force" || word.hasPrefix("--rerun=") { continue }
            if word == "--rerun" { _ = rest.popFirst(); continue }
            words.append(word)
        }
        words += rerun.flatMap { ["--rerun", $0] }
        return words.map(TangentPipeline.shellQuoted).joined(separator: " ")
    }
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline without running it: the file, every stage's rules and the memory it needs; every problem with file:line:column.")

    @OptionGroup var pipeline: PipelineArguments
    @Flag(help: "Print the diagnostics as a JSON list (severity, code, file, line, column, field, message, suggestion).")
    var json = false

    func run() throws {
        do {
            let resolved = try pipeline.load()
            let plan = try PipelinePlanner.plan(resolved)
            var warnings = resolved.warnings + plan.warnings
            // A sweep: every point is validated too (each problem under its point's name).
            var points = 0
            if !resolved.sweep.isEmpty {
                let sweep = try SweepPlan.make(base: resolved, overrides: pipeline.overrides, out: nil,
                                               registry: CLIState.registry)
                points = sweep.points.count
                let shown = Set(warnings.map(\.description))
                warnings += sweep.warnings.filter { !shown.contains($0.description) }
            }
            if json {
                print(Value.list(warnings.map(\.jsonValue)).prettyJSON())
            } else {
                for warning in warnings { FileHandle.standardError.write(Data((warning.description + "\n").utf8)) }
                let ids = resolved.stages.map(\.id)
                let shown = ids.count <= 20 ? ids.joined(separator: " → ") : ids.prefix(10).joined(separator: " → ") + " → …"
                print("\(pipeline.file): ok (\(ids.count) stages: \(shown); largest stage needs about "
                      + "\(formatBytes(plan.memory.values.max() ?? 0))"
                      + (points > 0 ? "; a sweep of \(points) point\(points == 1 ? "" : "s"), each validated" : "")
                      + (resolved.claims.isEmpty ? "" : "; \(resolved.claims.count) claim\(resolved.claims.count == 1 ? "" : "s")")
                      + ")")
            }
        } catch {
            if json {
                print(Value.list(error.diagnostics.map(\.jsonValue)).prettyJSON())
                throw ExitCode(2)
            }
            throw report(error)
        }
    }
}

struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stages", abstract: "List the registered stages.")

    @Flag(help: "Print the full stage reference as Markdown (docs/stages.md).") var markdown = false

    func run() {
        let registry = CLIState.registry
        if markdown {
            print(StageDocumentation.markdown(for: registry), terminator: "")
            return
        }
        if registry.stages.isEmpty { print("No stages are registered.") }
        let width = registry.stages.map { $0.name.count }.max() ?? 0
        for stage in registry.stages {
            print(stage.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + stage.summary)
        }
    }
}

struct DescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe", abstract: "Show a stage's input slots, parameters (type, default, range) and outputs.")

    @Argument(help: "A stage name, e.g. ntk.snapshots.") var name: String

    func run() throws {
        let registry = CLIState.registry
        guard let stage = registry.stage(named: name) else {
            let message = "unknown stage `\(name)`; " + (registry.suggestion(forUnknown: name) ?? "run `tangent stages` to list them")
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(2)
        }
        print(StageDocumentation.text(for: stage))
    }
}
