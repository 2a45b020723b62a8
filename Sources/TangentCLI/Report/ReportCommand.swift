import ArgumentParser
import Foundation
import TangentCore
import TangentReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.html for a run folder or a sweep folder (plots, claims, config, timings).",
        discussion: """
            DIR is the folder of a run (its --out, or runs/<pipeline>/<profile and overrides, or default>) or of a \
            sweep (runs/<pipeline>/sweeps/<…>). Writes DIR/report.html, one self-contained page with inline SVG plots \
            chosen by the stage types of the run (or the sweep's metrics against its parameters and its curves), and \
            each plot's data as DIR/report-data/<plot>.csv; prints the path of the page. `tangent run` writes the \
            report itself at the end of every run and sweep (unless --no-report).
            """)

    @Argument(help: ArgumentHelp("The run folder or sweep folder.", valueName: "DIR")) var folder: String

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        do {
            _ = try ReportWriter.kind(of: url)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        do {
            let outcome = try ReportWriter.write(folder: url)
            for note in outcome.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            print(outcome.report.path)
        } catch {
            FileHandle.standardError.write(Data("error: \(TangentError.userText(error) ?? "the report could not be written")\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Writes the report at the end of `tangent run` (a run, a sweep point, a sweep) and of `tangent sweep aggregate`.
/// A report that cannot be written is a warning: it never fails the run.
enum RunReportHook {
    /// Writes `folder/report.html` unless `enabled` is false; claims.json, when a run writes one, must be written
    /// before this is called (the report shows it).
    static func write(folder: URL, enabled: Bool) {
        guard enabled else { return }
        do {
            let outcome = try ReportWriter.write(folder: folder)
            let plots = "\(outcome.plots.count) plot" + (outcome.plots.count == 1 ? "" : "s")
            FileHandle.standardError.write(Data("report: \(outcome.report.path) (\(plots))\n".utf8))
        } catch {
            FileHandle.standardError.write(Data(("warning: the report was not written: "
                                                 + (TangentError.userText(error) ?? "an unexpected error") + "\n").utf8))
        }
    }
}
