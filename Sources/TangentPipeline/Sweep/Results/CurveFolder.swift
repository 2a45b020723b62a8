import Foundation
import TangentCore

/// `OUT/curves/`: the curve files of the last aggregation, and `.tangent-curves`, the list of the files Tangent
/// wrote there. Writing a new set replaces the files of the previous one that the new set no longer has: only
/// files that list names, so Tangent never removes a file it did not write. The list is first widened to the old
/// and new files, then narrowed to the new ones once the stale ones are gone, so an interrupted aggregation
/// leaves nothing of Tangent's unlisted.
struct CurveFolder {
    static let indexName = ".tangent-curves"
    let url: URL

    var indexURL: URL { url.appendingPathComponent(Self.indexName) }

    /// Makes the folder (when missing) and returns the files the previous aggregation listed.
    func prepare(warnings: inout [String]) throws -> [String] {
        do { try FileSystem.makeDirectories(url.path) } catch {
            throw PipelineError(.io, "cannot create the folder \(url.path) for the curves; check that you may write "
                                + "to \(url.deletingLastPathComponent().path)", cause: error)
        }
        guard FileSystem.kind(indexURL.path) != .missing else { return [] }
        guard let files = Self.listed(in: indexURL) else {
            warnings.append("\(indexURL.path) is damaged; curve files of an earlier aggregation that this one does "
                            + "not write again are left in place (remove them by hand)")
            return []
        }
        return files
    }

    /// The names listed in the index at `url`, nil when it is not a list of curve file names.
    static func listed(in url: URL) -> [String]? {
        guard let data = try? FileContents.read(url, maximumSize: 64 << 20),
              let list = (try? JSONReader.parse(data))?["files"]?.listValue else { return nil }
        let names = list.compactMap(\.stringValue)
        guard names.count == list.count, names.allSatisfy(isCurveFileName) else { return nil }
        return names
    }

    /// A name this folder may hold: a single file name ending `.csv`, not hidden.
    static func isCurveFileName(_ name: String) -> Bool {
        name.hasSuffix(".csv") && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }

    /// Records `files` as Tangent's (atomically).
    func writeIndex(_ files: [String]) throws {
        let text = Value.object(["files": .list(files.map(Value.string))]).prettyJSON() + "\n"
        try write(Data(text.utf8), to: indexURL)
    }

    /// Writes one curve file atomically.
    func write(_ table: CSVTable, as file: String) throws {
        try write(Data(table.csvText.utf8), to: url.appendingPathComponent(file))
    }

    /// Removes the listed files of an earlier aggregation (regular files only) that `keep` does not hold.
    func removeStale(_ previous: [String], keeping keep: Set<String>) throws {
        for name in previous where !keep.contains(name) {
            let path = url.appendingPathComponent(name).path
            guard FileSystem.kind(path) == .file else { continue }
            do { try FileSystem.remove(path) } catch {
                throw PipelineError(.io, "cannot remove the stale curve file \(path); check the permissions of "
                                    + url.path, cause: error)
            }
        }
    }

    private func write(_ data: Data, to file: URL) throws {
        do { try AtomicFile.write(data, to: file) } catch {
            throw PipelineError(.io, "cannot write \(file.path); check that you may write to \(url.path)", cause: error)
        }
    }
}
