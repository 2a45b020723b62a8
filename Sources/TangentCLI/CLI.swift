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
        configureOpenBLAS()
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

    /// OpenBLAS reads two settings when the library loads, before `main`, so when either needs setting the process
    /// sets it and re-executes itself (same PID, same arguments); a value the user set is left alone.
    /// - `OPENBLAS_THREAD_TIMEOUT=4`: OpenBLAS worker threads otherwise spin for about 2^28 cycles after each call;
    ///   with OpenMP kernels between BLAS calls (the NTK engine, training) they steal both cores, costing 10–40%.
    /// - `OPENBLAS_CORETYPE`: an OpenBLAS older than the CPU falls back to generic SSE3 kernels, 5× slower
    ///   (`BLASCore`); the kernels the CPU's flags allow are named instead.
    static func configureOpenBLAS() {
        let environment = ProcessInfo.processInfo.environment
        var changed = false
        if environment["OPENBLAS_THREAD_TIMEOUT"] == nil {
            setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
            changed = true
        }
        if let core = BLASCore.coreTypeOverride(environment: environment, loadedCore: BLASCore.name,
                                                cpuFlags: BLASCore.cpuFlags()) {
            setenv("OPENBLAS_CORETYPE", core, 1)
            changed = true
        }
        guard changed else { return }
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
