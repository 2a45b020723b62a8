import Foundation
import TangentCore

/// What `SweepResults.write` wrote (or `readAggregate` read back), for the command line to show: the tables of
/// sweep.csv and aggregate.csv, the curve files and the warnings about points left out in part.
public struct SweepTables: Sendable, Equatable {
    /// sweep.csv: axis columns, `status`, then `<stage>.<key>` metrics; one row per point.
    public var sweep: CSVTable
    /// aggregate.csv: the group columns, `n`, then `<metric>.mean`, `.std`, `.stderr` per numeric metric.
    public var aggregate: CSVTable
    /// The axis columns that name a group (the axes except the one grouped over), first in aggregate.csv and in
    /// every curve file.
    public var groupColumns: [String]
    /// The curve files, names relative to `OUT/curves/` (`<stage>.<key>.csv`).
    public var curveFiles: [String]
    /// What was left out of the tables, one sentence each: a damaged or unreadable file of a point (naming the file
    /// and what was wrong), a summary value whose column name is taken, a damaged list of earlier curve files.
    public var warnings: [String]
    /// The sweep's claims evaluated on the aggregate (set by `SweepRunner.aggregate`, which writes claims.json; nil
    /// when they were not evaluated).
    public var claims: ClaimsReport?

    public init(sweep: CSVTable = CSVTable(), aggregate: CSVTable = CSVTable(), groupColumns: [String] = [],
                curveFiles: [String] = [], warnings: [String] = [], claims: ClaimsReport? = nil) {
        self.sweep = sweep
        self.aggregate = aggregate
        self.groupColumns = groupColumns
        self.curveFiles = curveFiles
        self.warnings = warnings
        self.claims = claims
    }

    /// The metrics of the aggregate (each has `.mean`, `.std` and `.stderr` columns), in column order.
    public var aggregateMetrics: [String] {
        guard let n = aggregate.columnIndex("n") else { return [] }
        return aggregate.columns[(n + 1)...].filter { $0.hasSuffix(".mean") }.map { String($0.dropLast(5)) }
    }

    /// Reads `OUT/aggregate.csv` back (RFC 4180), for `tangent sweep summary OUT`: `aggregate` and
    /// `groupColumns` (the columns before `n`) are set, and `curveFiles` from `OUT/curves/` when Tangent's list of
    /// them is there; `sweep` is left empty.
    public static func readAggregate(at out: URL) throws -> SweepTables {
        let url = out.appendingPathComponent(SweepResults.aggregateFileName)
        let data: Data
        do { data = try FileContents.read(url, maximumSize: 1 << 30) } catch {
            throw PipelineError(.io, "cannot read \(url.path): is \(out.path) the output folder of a sweep whose "
                                + "points were aggregated? (aggregating the sweep writes it)", cause: error)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw PipelineError(.io, "\(url.path) is not UTF-8 text; aggregate the sweep again to rewrite it")
        }
        let table: CSVTable
        do { table = try CSVTable(csv: text) } catch {
            throw PipelineError(.io, "\(url.path) is not valid CSV (\(error)); aggregate the sweep again to rewrite it",
                                cause: error)
        }
        guard let n = table.columnIndex("n") else {
            throw PipelineError(.io, "\(url.path) has no `n` column, so it is not a sweep's aggregate; aggregate the "
                                + "sweep again to rewrite it")
        }
        let curves = CurveFolder(url: out.appendingPathComponent(SweepResults.curvesFolderName))
        return SweepTables(aggregate: table, groupColumns: Array(table.columns[..<n]),
                           curveFiles: CurveFolder.listed(in: curves.indexURL) ?? [])
    }
}
