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
        Machine.retainFreedMemory()
        CLIState.registry = StageRegistry(stages)
        TangentCommand.main()
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
        subcommands: [RunCommand.self, ValidateCommand.self, StagesCommand.self, DescribeCommand.self, BenchCommand.self]
    )
}

/// Prints diagnostics to standard error and exits with status 2 (invalid pipeline) or 1 (a failure while running).
func report(_ error: PipelineError) -> ExitCode {
    var text = error.description
    if error.code == .invalidPipeline {
        text += "\n\(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s") found."
    }
    FileHandle.standardError.write(Data((text + "\n").utf8))
    return ExitCode(error.code == .invalidPipeline ? 2 : 1)
}
