import ArgumentParser
import Foundation
import TangentCore

/// The `tangent` command line. The executable is a thin `main` over `TangentCLI.main()`.
public enum TangentCLI {
    /// Parses the process arguments and runs the chosen command.
    public static func main() {
        TangentCommand.main()
    }
}

struct TangentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tangent",
        abstract: "Watch a neural network's tangent kernel evolve during training.",
        subcommands: [BenchCommand.self]
    )
}
