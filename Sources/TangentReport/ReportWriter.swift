import Foundation
import TangentCore
import TangentPipeline

/// The entry point: writes `report.html` into a run folder or a sweep folder, and each plot's data as
/// `report-data/<plot>.csv` beside it.
///
/// Like the rest of Tangent, it never replaces or deletes what it did not write: an existing `report.html` is
/// replaced only when it is a Tangent report (its `generator` meta tag), and `report-data/` is Tangent's only when
/// it holds the list `.tangent-report-data` of the files a report wrote there (or is new or empty); a later
/// report removes only listed files it no longer writes. Every file is written atomically (a temporary file
/// renamed into place), the CSV files before the page that links to them.
public enum ReportWriter {
    public static let fileName = "report.html"
    static let indexName = ".tangent-report-data"

    public enum FolderKind: Sendable, Equatable { case run, sweep }

    /// What was written.
    public struct Outcome: Sendable {
        public var report: URL
        public var kind: FolderKind
        /// The plots drawn (each has `report-data/<id>.csv`).
        public var plots: [String]
        /// Files that could not be read and plots left out (also listed in the report's Notes).
        public var notes: [String]
    }

    /// Writes `folder/report.html` (and `folder/report-data/`) for a run folder or a sweep folder.
    @discardableResult
    public static func write(folder: URL, version: String = TangentVersion.current) throws -> Outcome {
        let folder = folder.standardizedFileURL
        let kind = try self.kind(of: folder)
        let doc = kind == .run ? try RunReport.document(folder: folder) : try SweepReport.document(folder: folder)
        let (html, plots) = ReportHTML.render(doc, version: version)
        try checkReplaceable(folder.appendingPathComponent(fileName))
        try writeData(plots, into: folder.appendingPathComponent(ReportHTML.dataFolder))
        let url = folder.appendingPathComponent(fileName)
        try atomicWrite(Data(html.utf8), to: url)
        return Outcome(report: url, kind: kind, plots: plots.map(\.id), notes: doc.notes)
    }

    /// Whether `folder` is a run folder (`.tangent-run` or a Tangent manifest.json) or a sweep folder
    /// (`.tangent-sweep` and sweep.json); anything else is an error saying what to give instead.
    public static func kind(of folder: URL) throws -> FolderKind {
        let path = folder.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReportError("there is no folder at \(path); give the folder of a run (its --out, or "
                              + "runs/<pipeline>/<profile and overrides, or default>) or of a sweep")
        }
        guard isDirectory.boolValue else {
            throw ReportError("\(path) is a file, not a folder; give the folder of a run or of a sweep (where its "
                              + "manifest.json or sweep.json is)")
        }
        let has = { (name: String) in ReportFiles.exists(folder.appendingPathComponent(name)) }
        if has(".tangent-sweep") && has("sweep.json") { return .sweep }
        if has(".tangent-run") || has("manifest.json") {
            guard has("manifest.json") else {
                throw ReportError("\(path) is a run folder without manifest.json (the run never started a stage); run "
                                  + "the pipeline with --out \(path) first")
            }
            return .run
        }
        if has("sweep.json") || has("points") {
            throw ReportError("\(path) looks like a sweep folder but has no .tangent-sweep marker and sweep.json; give "
                              + "the folder `tangent run --sweep …` wrote (its --out)")
        }
        throw ReportError("\(path) is neither a run folder (it has no .tangent-run and manifest.json) nor a sweep folder "
                          + "(no .tangent-sweep and sweep.json); give the --out folder of `tangent run`, e.g. "
                          + "runs/<pipeline>/default, or runs/<pipeline>/sweeps/<name> for a sweep")
    }

    // MARK: - Files

    /// An existing report.html is replaced only when a Tangent report wrote it.
    static func checkReplaceable(_ url: URL) throws {
        guard ReportFiles.exists(url) else { return }
        let head = (try? FileContents.read(url, maximumSize: 256 << 20)).map { String(decoding: $0.prefix(4096), as: UTF8.self) }
        guard let head, head.contains("<meta name=\"generator\" content=\"\(ReportHTML.generator)") else {
            throw ReportError("\(url.path) exists and was not written by Tangent, and Tangent never replaces what it did "
                              + "not create; move or rename it, then run `tangent report \(url.deletingLastPathComponent().path)`")
        }
    }

    /// Writes each plot's CSV into `dataFolder`, then removes the listed files of an earlier report that this one
    /// does not write. The list is widened to old and new files before writing and narrowed after removing, so an
    /// interrupted report never leaves a file of Tangent's unlisted.
    static func writeData(_ plots: [Plot], into dataFolder: URL) throws {
        let fm = FileManager.default
        let index = dataFolder.appendingPathComponent(indexName)
        var previous: [String] = []
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: dataFolder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ReportError("\(dataFolder.path) exists and is not a folder; move it away so that the report can "
                                  + "write its data there")
            }
            if ReportFiles.exists(index) {
                guard let listed = listed(index) else {
                    throw ReportError("\(index.path) is damaged; remove \(dataFolder.path) (Tangent's report data) and "
                                      + "write the report again")
                }
                previous = listed
            } else if !((try? fm.contentsOfDirectory(atPath: dataFolder.path))?.isEmpty ?? true) {
                throw ReportError("\(dataFolder.path) exists and was not written by a Tangent report (it has no "
                                  + "\(indexName)), and Tangent never writes into what it did not create; move or rename "
                                  + "it (a stage must not be named `\(ReportHTML.dataFolder)`)")
            }
        } else {
            do { try fm.createDirectory(at: dataFolder, withIntermediateDirectories: false) } catch {
                throw ReportError("cannot create \(dataFolder.path); check that you may write to "
                                  + dataFolder.deletingLastPathComponent().path)
            }
        }
        // Temporary files of atomic writes that a killed report left (the folder is the report's).
        for name in (try? fm.contentsOfDirectory(atPath: dataFolder.path)) ?? [] where name.hasPrefix(".") && name.contains(".csv.tmp-") {
            try? fm.removeItem(at: dataFolder.appendingPathComponent(name))
        }
        let names = plots.map { $0.id + ".csv" }
        let previousSet = Set(previous)
        try writeIndex(previous + names.filter { !previousSet.contains($0) }, to: index)
        for plot in plots {
            try atomicWrite(Data(plot.csv.csvText.utf8), to: dataFolder.appendingPathComponent(plot.id + ".csv"))
        }
        let keep = Set(names)
        for name in previous where !keep.contains(name) {
            let path = dataFolder.appendingPathComponent(name).path
            var dir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &dir), !dir.boolValue else { continue }
            try? fm.removeItem(atPath: path)
        }
        try writeIndex(names, to: index)
    }

    /// The file names the index lists, nil when it is not such a list.
    static func listed(_ index: URL) -> [String]? {
        guard let list = ReportFiles.jsonObject(index)?["files"]?.listValue else { return nil }
        let names = list.compactMap(\.stringValue)
        guard names.count == list.count,
              names.allSatisfy({ $0.hasSuffix(".csv") && !$0.hasPrefix(".") && !$0.contains("/") && !$0.contains("\0") })
        else { return nil }
        return names
    }

    static func writeIndex(_ names: [String], to url: URL) throws {
        try atomicWrite(Data((Value.object(["files": .list(names.map(Value.string))]).prettyJSON() + "\n").utf8), to: url)
    }

    static func atomicWrite(_ data: Data, to url: URL) throws {
        do { try AtomicFile.write(data, to: url) } catch {
            throw ReportError("cannot write \(url.path) (\(TangentError.userText(error) ?? "write failed")); check that you "
                              + "may write to \(url.deletingLastPathComponent().path)")
        }
    }
}
