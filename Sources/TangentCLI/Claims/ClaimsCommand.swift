import ArgumentParser
import Foundation
import TangentPipeline

/// `tangent claims DIR`: the claims of a finished run or sweep, evaluated again from the folder's own files.
struct ClaimsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "Evaluate the claims of a finished run or sweep folder again and write its claims.json.",
        discussion: """
            A run folder keeps its claims in manifest.json and a sweep folder in sweep.json, so DIR is all that is \
            needed: a run's claims are evaluated on its stages' summary.json files, a sweep's on its aggregate.csv \
            (as last written; `tangent sweep aggregate DIR` writes it again). See docs/pipeline-format.md, Claims.
            """)

    @Argument(help: "A run folder (runs/<pipeline>/…) or a sweep folder.") var folder: String
    @OptionGroup var strict: StrictClaims

    func run() throws {
        let evaluated: (kind: ClaimsFolder.Kind, report: ClaimsReport)
        do { evaluated = try ClaimsFolder.evaluate(URL(fileURLWithPath: folder)) } catch let error as PipelineError {
            throw report(error)
        }
        if evaluated.report.claims.isEmpty {
            print("the \(evaluated.kind.rawValue) in \(folder) has no claims")
        }
        try ClaimsOutput.show(evaluated.report, strict: strict.strictClaims)
    }
}

/// `--strict-claims`, shared by the commands that evaluate claims.
struct StrictClaims: ParsableArguments {
    @Flag(help: "Exit with status 1 when a claim fails (after everything is written).") var strictClaims = false
}

/// How the commands show evaluated claims.
enum ClaimsOutput {
    /// Prints one line per claim and the count to standard output (green and red marks on a terminal only). With
    /// `strict`, failing claims are an error: the message names them and the exit status is 1.
    static func show(_ report: ClaimsReport?, strict: Bool) throws {
        guard let report else { return }
        for line in report.lines(colour: isatty(STDOUT_FILENO) != 0) { print(line) }
        if strict && !report.allHold {
            FileHandle.standardError.write(Data("error: \(report.strictMessage)\n".utf8))
            throw ExitCode(1)
        }
    }
}
