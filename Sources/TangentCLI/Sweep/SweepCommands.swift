import ArgumentParser
import Foundation
import TangentCore
import TangentPipeline

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Plan, submit to Slurm, follow and summarize sweeps (run one with `tangent run FILE --sweep … --jobs N`).",
        subcommands: [SweepPlanCommand.self, SweepSubmitCommand.self, SweepStatusCommand.self, SweepSummaryCommand.self,
                      SweepAggregateCommand.self])
}

/// The pipeline file, overrides, profile, sweep axes and sweep folder of `sweep plan` and `sweep submit`.
struct SweepSource: ParsableArguments {
    @Argument(help: "The pipeline file (YAML).") var file: String
    @Argument(help: "Dotted overrides applied to every point, e.g. train.steps=500.") var overrides: [String] = []
    @Option(help: "Apply the named profile from the file's `profiles:` before the overrides.") var profile: String?
    @OptionGroup var sweepArguments: SweepArguments
    @Option(help: "The sweep folder (default: runs/<pipeline>/sweeps/<profile and overrides, or default>).") var out: String?

    /// Loads the pipeline and validates every point; a pipeline without a sweep is an error.
    func plan() throws -> SweepPlan {
        do {
            let base = try PipelineLoader.load(file: file, overrides: overrides, profile: profile,
                                               sweep: sweepArguments.sweep, sweepMode: sweepArguments.sweepMode,
                                               registry: CLIState.registry)
            reportWarnings(base)
            guard !base.sweep.isEmpty else {
                throw PipelineError.invalid([Diagnostic(.missingKey, "the pipeline has no sweep", at: nil, field: "sweep",
                                                        suggestion: "add a `sweep:` block to the file or --sweep key=values")])
            }
            return try SweepPlan.make(base: base, overrides: overrides, out: out.map { URL(fileURLWithPath: $0) },
                                      registry: CLIState.registry)
        } catch let error as PipelineError {
            throw report(error)
        }
    }

    /// The tasks of the points that are not finished yet (same cache keys), with `threads` each.
    static func unfinished(_ plan: SweepPlan, threads: Int?) throws -> [SweepTask] {
        let folder = SweepFolder(root: plan.directory)
        return zip(plan.points, plan.tasks(threads: threads)).filter { !folder.isFinished($0.0) }.map(\.1)
    }
}

struct SweepPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the sweep's unfinished points, one JSON object per line (a tasks file for `tangent run --tasks`).",
        discussion: "Also records the sweep in OUT/sweep.json, so that `tangent sweep aggregate OUT` can collect its results.")

    @OptionGroup var source: SweepSource

    func run() throws {
        let plan = try source.plan()
        do {
            let folder = try SweepFolder.open(plan.directory)
            try folder.writeRecord(plan)
            for task in try SweepSource.unfinished(plan, threads: nil) { print(task.jsonLine) }
        } catch let error as PipelineError {
            throw report(error)
        }
    }
}

struct SweepSubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit the sweep's unfinished points to Slurm as job arrays, then a job that aggregates the results.")

    @Flag(help: "Submit to Slurm (the only scheduler Tangent drives; see docs/cluster.md for GNU parallel).") var slurm = false
    @OptionGroup var source: SweepSource
    @Option(help: "Points per array element, run one after another.") var pack = 1
    @Option(help: "Array elements running at once (%K).") var maxParallel: Int?
    @Option(help: "CPUs per array element; each point runs with this many threads.") var cpusPerTask = 1
    @Option(help: "Time limit of each array element (Slurm format, e.g. 30 or 2:00:00).") var time: String?
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Slurm account.") var account: String?
    @Flag(help: "Write the task list and scripts and print the sbatch commands, without submitting.") var dryRun = false
    @OptionGroup var strict: StrictClaims

    func validate() throws {
        guard slurm else { throw ValidationError("say which scheduler: --slurm (the only one Tangent submits to)") }
        guard pack >= 1 else { throw ValidationError("--pack must be at least 1") }
        guard cpusPerTask >= 1 else { throw ValidationError("--cpus-per-task must be at least 1") }
        if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
        for (name, value) in [("--time", time), ("--partition", partition), ("--account", account)] {
            if let value, value.isEmpty || value.contains(where: { $0.isWhitespace || $0.isNewline }) {
                throw ValidationError("\(name) takes one word without spaces")
            }
        }
    }

    func run() throws {
        let plan = try source.plan()
        do {
            let folder = try SweepFolder.open(plan.directory)
            try folder.writeRecord(plan)
            let tasks = try SweepSource.unfinished(plan, threads: cpusPerTask)
            let slurmFolder = folder.slurmURL
            let logs = slurmFolder.appendingPathComponent("logs")
            try AtomicText.makeFolder(logs)
            let tasksFile = slurmFolder.appendingPathComponent("tasks.jsonl")
            try SweepTask.write(tasks, to: tasksFile)
            guard !tasks.isEmpty else {
                print("every point of the sweep is finished; aggregating now")
                let tables = try SweepRunner.aggregate(folder)
                RunReportHook.write(folder: folder.root, enabled: true)
                try ClaimsOutput.show(tables.claims, strict: strict.strictClaims)
                return
            }
            var settings = SlurmArray.Settings()
            settings.pack = pack
            settings.maxParallel = maxParallel
            settings.cpusPerTask = cpusPerTask
            settings.time = time
            settings.partition = partition
            settings.account = account
            let maxArraySize = Slurm.maxArraySize()
            let array = SlurmArray(tasks: tasks.count, settings: settings, maxArraySize: maxArraySize.value)
            let tangent = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            let directory = FileManager.default.currentDirectoryPath
            let jobName = "tangent-\(plan.base.name)"
            let arrayScript = slurmFolder.appendingPathComponent("array.sbatch")
            let aggregateScript = slurmFolder.appendingPathComponent("aggregate.sbatch")
            try AtomicText.write(array.script(tangent: tangent, tasksFile: tasksFile.path, logs: logs.path,
                                              jobName: jobName, directory: directory), to: arrayScript)
            try AtomicText.write(array.aggregationScript(tangent: tangent, sweepFolder: folder.root.path, logs: logs.path,
                                                         jobName: jobName, directory: directory), to: aggregateScript)
            print("\(tasks.count) of \(plan.points.count) points to run, in \(array.elements) array element"
                  + (array.elements == 1 ? "" : "s") + " (\(array.chunks.count) array" + (array.chunks.count == 1 ? "" : "s")
                  + "; MaxArraySize \(maxArraySize.value)\(maxArraySize.known ? "" : ", assumed")) → \(slurmFolder.path)")

            var arrayIDs: [String] = []
            for chunk in array.chunks {
                let arguments = ["--parsable", "--array=\(array.arraySpec(chunk))",
                                 "--export=ALL,TANGENT_ARRAY_OFFSET=\(chunk.offset)", arrayScript.path]
                if dryRun {
                    print("sbatch " + arguments.map(shellQuoted).joined(separator: " "))
                    arrayIDs.append("<array \(chunk.offset)>")
                } else {
                    arrayIDs.append(try Slurm.submit(arguments))
                }
            }
            let dependency = "--dependency=afterok:" + arrayIDs.joined(separator: ":")
            let aggregateArguments = ["--parsable", dependency, aggregateScript.path]
            if dryRun {
                print("sbatch " + aggregateArguments.map(shellQuoted).joined(separator: " "))
                print("dry run: nothing submitted")
                return
            }
            let aggregateID = try Slurm.submit(aggregateArguments)
            let jobs = Value.object(["arrays": .list(arrayIDs.map(Value.string)), "aggregate": .string(aggregateID),
                                     "submitted": .string(ISO8601DateFormatter().string(from: Date()))])
            try AtomicText.write(jobs.prettyJSON() + "\n", to: slurmFolder.appendingPathComponent("jobs.json"))
            print("submitted array job\(arrayIDs.count == 1 ? "" : "s") \(arrayIDs.joined(separator: ", ")) and the "
                  + "aggregation job \(aggregateID); follow with: tangent sweep status \(shellQuoted(folder.root.path))")
        } catch let error as PipelineError {
            throw report(error)
        }
    }
}

struct SweepStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Count the sweep's finished, running, failed and pending points.")

    @Argument(help: "The sweep folder.") var folder: String
    @Flag(help: "List every point with its status.") var points = false

    func run() throws {
        do {
            let sweep = try SweepFolder.existing(URL(fileURLWithPath: folder))
            let record = try sweep.record()
            var counts: [SweepFolder.PointStatus: Int] = [:]
            for point in record.points {
                let status = sweep.status(ofPoint: point.name)
                counts[status, default: 0] += 1
                if points {
                    print("\(status.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(point.name)"
                          + (status == .failed ? " — " + (sweep.failure(ofPoint: point.name) ?? "") : ""))
                }
            }
            print("\(record.points.count) points: " + SweepFolder.PointStatus.allCases.map { "\(counts[$0, default: 0]) \($0.rawValue)" }
                .joined(separator: ", "))
            if let jobs = Slurm.jobs(in: sweep) { print(jobs) }
        } catch let error as PipelineError {
            throw report(error)
        }
    }
}

struct SweepSummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Print the sweep's aggregate (grouped over seeds) as a table.")

    @Argument(help: "The sweep folder.") var folder: String
    @Flag(help: "Print aggregate.csv as it is.") var csv = false
    @Flag(help: "Print the aggregate as a JSON list of objects.") var json = false
    @Flag(help: "Show every metric in the table, also those constant across the sweep.") var all = false

    func validate() throws {
        if csv && json { throw ValidationError("choose one of --csv and --json") }
    }

    func run() throws {
        do {
            let sweep = try SweepFolder.existing(URL(fileURLWithPath: folder))
            let tables = try SweepTables.readAggregate(at: sweep.root)
            let width = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 100
            print(tables.renderAggregate(as: csv ? .csv : json ? .json : .table, width: width, all: all), terminator: "")
        } catch let error as PipelineError {
            throw report(error)
        }
    }
}

struct SweepAggregateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Write the sweep's sweep.csv, aggregate.csv, curves/ and report.html from its points (the Slurm aggregation job runs it).",
        discussion: "Then evaluates the sweep's claims on aggregate.csv, prints them and writes claims.json (before report.html, which shows them).")

    @Argument(help: "The sweep folder.") var folder: String
    @OptionGroup var strict: StrictClaims
    @Flag(help: "Do not write the sweep's report.html.") var noReport = false

    func run() throws {
        do {
            let sweep = try SweepFolder.existing(URL(fileURLWithPath: folder))
            let tables = try SweepRunner.aggregate(sweep)
            for warning in tables.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            RunReportHook.write(folder: sweep.root, enabled: !noReport)
            print("wrote \(sweep.root.appendingPathComponent("sweep.csv").path), aggregate.csv, curves/, claims.json and report.html")
            try ClaimsOutput.show(tables.claims, strict: strict.strictClaims)
        } catch let error as PipelineError {
            throw report(error)
        }
    }
}
