import Foundation
import TangentCore

/// The results of a sweep as tables: `OUT/sweep.csv` (one row per point), `OUT/aggregate.csv` (mean, standard
/// deviation and standard error per group of points that differ only in `groupOver`, usually the seed) and
/// `OUT/curves/<stage>.<key>.csv` (each metrics.csv key's mean curve per group). The formats are described in
/// docs/sweep-results.md.
///
/// Only finished points (manifest status `finished`) contribute metrics; the others get a row in sweep.csv with
/// their status and empty metric cells. A damaged manifest, summary.json or metrics.csv is left out for its point
/// with a warning (`SweepTables.warnings`), never failing the aggregation.
public enum SweepResults {
    public static let sweepFileName = "sweep.csv"
    public static let aggregateFileName = "aggregate.csv"
    public static let curvesFolderName = "curves"

    /// Writes OUT/sweep.csv, OUT/aggregate.csv and OUT/curves/<stage>.<metric>.csv (atomically; curves/ made and
    /// its stale csv files from an earlier aggregation that Tangent wrote replaced) and returns what it wrote.
    ///
    /// - Parameters:
    ///   - points: the points, in the order of sweep.csv's rows.
    ///   - axes: the swept keys, in the order of the axis columns.
    ///   - groupOver: the axis the aggregate averages over. When it is not an axis, every point is its own group.
    ///   - out: the sweep's output folder (created when missing).
    /// - Throws: `PipelineError` `.io` when a file cannot be written.
    public static func write(points: [SweepPointResult], axes: [String], groupOver: String = "seed",
                             to out: URL) throws -> SweepTables {
        let groups = SweepGroups(points: points, axes: axes, groupOver: groupOver)
        var collected = SweepCollector(groups: groups)
        for (index, point) in points.enumerated() { collected.read(point, group: groups.groupOfPoint[index]) }
        var warnings = collected.warnings

        let columns = collected.metricColumns(reserved: Set(axes + ["status"]), warnings: &warnings)
        let sweep = collected.sweepTable(points: points, axes: axes, columns: columns)
        let aggregate = collected.aggregateTable(columns: columns.filter(collected.numericColumns.contains))

        do { try FileSystem.makeDirectories(out.path) } catch {
            throw PipelineError(.io, "cannot create the sweep's output folder \(out.path); check that you may write "
                                + "to its parent", cause: error)
        }
        try writeFile(sweep, to: out.appendingPathComponent(sweepFileName))
        try writeFile(aggregate, to: out.appendingPathComponent(aggregateFileName))

        let folder = CurveFolder(url: out.appendingPathComponent(curvesFolderName))
        let previous = try folder.prepare(warnings: &warnings)
        let ids = collected.curves.ids(stageOrder: collected.stageOrder.ids)
        let names = ids.map(\.fileName)
        let previousSet = Set(previous)
        try folder.writeIndex(previous + names.filter { !previousSet.contains($0) })
        for id in ids {
            try folder.write(collected.curves.table(id, groupColumns: groups.columns, groupValues: groups.values),
                             as: id.fileName)
        }
        try folder.removeStale(previous, keeping: Set(names))
        try folder.writeIndex(names)

        return SweepTables(sweep: sweep, aggregate: aggregate, groupColumns: groups.columns, curveFiles: names,
                           warnings: warnings)
    }

    private static func writeFile(_ table: CSVTable, to url: URL) throws {
        do { try AtomicFile.write(Data(table.csvText.utf8), to: url) } catch {
            throw PipelineError(.io, "cannot write \(url.path); check that you may write to "
                                + url.deletingLastPathComponent().path, cause: error)
        }
    }
}
