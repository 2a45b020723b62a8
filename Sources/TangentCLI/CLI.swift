import ArgumentParser
import Foundation
import TangentCore
import TangentPipeline
import TangentStages

/// The `tangent` command line.
///
/// The `tangent` executable is `TangentCLI.main()`: `run(stages:)` with the built-in stage list. A plugin package
/// builds its own executable whose `main.swift` is
/// `TangentCLI.run(stages: TangentCLI.builtinStages + [MyStage.self])` (see docs/plugins.md).
public enum TangentCLI {
    /// The stages shipped with Tangent.
    public static var builtinStages: [any Stage.Type] { BuiltinStages.all }

    /// Runs the command line with the given stage registry.
    public static func run(stages: [any Stage.Type]) {
        configureOpenBLASThreads()
        Machine.retainFreedMemory()
        CLIState.registry = StageRegistry(stages)
        do {
            var command = try TangentCommand.parseAsRoot()
            try command.run()
        } catch let error as TangentError {
            TangentCommand.exit(withError: report(error))
        } catch {
            // Errors of the command-line parser (help, usage) print as swift-argument-parser formats them; any other
            // error without Tangent's own text is named, never shown as raw Foundation text.
            guard TangentError.userText(error) != nil || error is ExitCode else {
                FileHandle.standardError.write(Data("error: an unexpected system error (\(type(of: error)))\n".utf8))
                TangentCommand.exit(withError: ExitCode(1))
            }
            TangentCommand.exit(withError: error)
        }
    }

    /// OpenBLAS worker threads spin for about 2^28 cycles after each call; with OpenMP kernels between BLAS calls
    /// (the NTK engine, training) they steal both cores, costing 10–40%. `OPENBLAS_THREAD_TIMEOUT=4` makes them
    /// sleep at once, but OpenBLAS reads it when the library loads, before `main`. So when it is unset, the process
    /// sets it and re-executes itself (same PID, same arguments); an explicit value is left alone.
    static func configureOpenBLASThreads() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] == nil else { return }
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)  // returns only on failure: then run as is
    }

    /// Runs the command line with the built-in stages.
    public static func main() { run(stages: builtinStages) }
}

/// The registry the commands use (set once, before parsing).
enum CLIState {
    nonisolated(unsafe) static var registry = StageRegistry([])
}

struct TangentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tangent",
        abstract: "Watch a neural network's tangent kernel evolve during training.",
        subcommands: [RunCommand.self, ValidateCommand.self, ClaimsCommand.self, SweepCommand.self, ReportCommand.self, StagesCommand.self,
                      DescribeCommand.self, BenchCommand.self]
    )
}

/// Prints diagnostics to standard error and exits with status 2 (invalid pipeline, or a run folder the run refuses
/// or that another run holds) or 1 (a failure while running).
func report(_ error: PipelineError) -> ExitCode {
    var text = error.description
    if error.code == .invalidPipeline {
        let errors = error.diagnostics.filter { $0.severity == .error }.count
        let warnings = error.diagnostics.count - errors
        text += "\n\(errors) problem\(errors == 1 ? "" : "s") found"
            + (warnings == 0 ? "." : " (and \(warnings) warning\(warnings == 1 ? "" : "s")).")
    }
    FileHandle.standardError.write(Data((text + "\n").utf8))
    return ExitCode(error.code == .invalidPipeline || error.code == .runFolder ? 2 : 1)
}

/// Prints the warnings of a valid pipeline to standard error.
func reportWarnings(_ pipeline: ResolvedPipeline) {
    guard !pipeline.warnings.isEmpty else { return }
    FileHandle.standardError.write(Data((pipeline.warnings.map(\.description).joined(separator: "\n") + "\n").utf8))
}
