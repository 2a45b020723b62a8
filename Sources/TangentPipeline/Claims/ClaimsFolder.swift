import Foundation

/// Claims evaluated again from a folder's own files (`tangent claims DIR`), and a sweep's claims on its
/// aggregate. A run folder keeps its claims in manifest.json (`claims`), a sweep folder in sweep.json, both as
/// written in the pipeline file, so nothing else is needed: not the pipeline file, not the stages.
public enum ClaimsFolder {
    /// What kind of folder the claims were evaluated in.
    public enum Kind: String, Sendable {
        case run, sweep
    }

    /// Evaluates the claims stored in `directory`, a run folder (on its stages' summaries) or a sweep folder (on
    /// its aggregate.csv, as it was last written), and writes `directory/claims.json`.
    ///
    /// - Throws: `PipelineError` `.runFolder` when `directory` is neither; `.io` when a file cannot be read or
    ///   written (an unaggregated sweep, a damaged manifest).
    public static func evaluate(_ directory: URL) throws -> (kind: Kind, report: ClaimsReport) {
        let root = directory.standardizedFileURL
        let sweep = SweepFolder(root: root)
        if FileSystem.kind(sweep.root.appendingPathComponent(SweepFolder.marker).path) == .file,
           FileSystem.kind(sweep.recordURL.path) == .file {
            let record = try SweepFolder.existing(root).record()
            let tables = try SweepTables.readAggregate(at: root)
            return (.sweep, try evaluate(record.claims, on: tables, writingTo: root))
        }
        let manifestURL = root.appendingPathComponent("manifest.json")
        guard FileSystem.kind(manifestURL.path) == .file else {
            throw PipelineError(.runFolder, "\(root.path) is neither a run folder (it has no manifest.json) nor a sweep "
                                + "folder (no \(SweepFolder.marker) and sweep.json); give the folder `tangent run` wrote")
        }
        guard let text = FileSystem.readSmallFile(manifestURL.path), let manifest = try? JSONReader.parse(text),
              manifest["stages"]?.listValue != nil else {
            throw PipelineError(.io, "\(manifestURL.path) is not a manifest Tangent wrote (unreadable or damaged); run "
                                + "the pipeline again into this folder (finished stages are reused)")
        }
        var source = RunMetrics(root: root, stages: RunMetrics.manifestStages(root))
        let report = ClaimEvaluator.outcomes(StoredClaim.list(manifest["claims"]), source: &source)
        try report.write(to: root)
        return (.run, report)
    }

    /// Evaluates a sweep's claims on its aggregate and writes `folder/claims.json`.
    static func evaluate(_ claims: [StoredClaim], on tables: SweepTables, writingTo folder: URL) throws -> ClaimsReport {
        var source = SweepMetrics(aggregate: tables.aggregate, groupColumns: tables.groupColumns)
        let report = ClaimEvaluator.outcomes(claims, source: &source)
        try report.write(to: folder)
        return report
    }
}
