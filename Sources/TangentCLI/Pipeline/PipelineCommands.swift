import ArgumentParser
import Foundation
import TangentPipeline

struct PipelineArguments: ParsableArguments {
    @Argument(help: "The pipeline file (YAML).") var file: String
    @Argument(help: "Dotted overrides with YAML values, e.g. train.learning_rate=0.1 seed=3 model.hidden=[512,512].")
    var overrides: [String] = []
    @Option(help: "Apply the named profile from the file's `profiles:` before the overrides.") var profile: String?

    func load() throws(PipelineError) -> ResolvedPipeline {
        try PipelineLoader.load(file: file, overrides: overrides, profile: profile, registry: CLIState.registry)
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Validate, then run a pipeline; finished stages are reused from the run folder.")

    @OptionGroup var pipeline: PipelineArguments
    @Option(help: "The run folder (default: runs/<pipeline>/<overrides or default>).") var out: String?
    @Flag(help: "Recompute every stage.") var force = false
    @Option(help: "Recompute this stage and everything downstream (repeatable).") var rerun: [String] = []
    @Flag(help: "Check the SHA-256 of every output of a finished stage before reusing it.") var verify = false
    @Flag(help: "When another tangent run is using the run folder, wait for it instead of failing.") var wait = false

    func run() throws {
        let resolved: ResolvedPipeline
        do { resolved = try pipeline.load() } catch { throw report(error) }
        reportWarnings(resolved)
        for id in rerun where resolved.stage(id) == nil {
            throw report(PipelineError.invalid([Diagnostic(.unknownUpstream, "--rerun names no stage `\(id)`", at: nil,
                                                           field: "--rerun",
                                                           suggestion: "stages: " + resolved.stages.map(\.id).joined(separator: ", "))]))
        }
        var options = RunOptions(outputDirectory: out.map { URL(fileURLWithPath: $0) }, force: force, rerun: rerun,
                                 verify: verify, waitForLock: wait)
        options.progress = ConsoleProgress()
        options.handleInterrupts = true
        options.resumeCommand = { rerun in Self.resumeInvocation(rerun: rerun) }
        do {
            let result = try PipelineRunner(options: options).run(resolved)
            let computed = result.records.filter { $0.status == .computed }.count
            let cached = result.records.filter { $0.status == .cached }.count
            print("\(resolved.name): \(computed) computed, \(cached) cached → \(result.directory.path)")
        } catch let error as PipelineError {
            throw report(error)
        }
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
        return words.map(shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=,:@%+".contains($0)) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
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
            let warnings = resolved.warnings + plan.warnings
            if json {
                print(Value.list(warnings.map(\.jsonValue)).prettyJSON())
            } else {
                for warning in warnings { FileHandle.standardError.write(Data((warning.description + "\n").utf8)) }
                let ids = resolved.stages.map(\.id)
                let shown = ids.count <= 20 ? ids.joined(separator: " → ") : ids.prefix(10).joined(separator: " → ") + " → …"
                print("\(pipeline.file): ok (\(ids.count) stages: \(shown); largest stage needs about "
                      + "\(formatBytes(plan.memory.values.max() ?? 0)))")
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
