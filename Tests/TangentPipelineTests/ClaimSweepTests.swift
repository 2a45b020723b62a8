import Foundation
import Testing
@testable import TangentPipeline

/// s.total = factor · value · 10 + factor · (noise of the seed), so its group means grow with `a.value` for
/// factor 1 and shrink for factor −1.
private let sweepWithClaims = """
    pipeline: sw
    stages:
      a: { use: test.source, with: { size: 4, noise: true } }
      b: { use: test.scale, from: { data: a } }
      s: { use: test.sum, from: { parts: [b] } }
    sweep:
      grid: { a.value: [1.0, 2.0, 3.0], b.factor: [1.0, -1.0], seed: [0, 1] }
    claims:
      - that: "the total grows with the value for a positive factor"
        check: "increasing(s.total[b.factor=1], a.value)"
      - that: "and shrinks for a negative one"
        check: "decreasing(s.total[b.factor=-1], a.value)"
      - that: "it grows within every factor (it does not)"
        check: "increasing(s.total, a.value)"
      - that: "a positive factor beats a negative one at every value"
        check: "s.total[b.factor=1] > s.total[b.factor=-1]"
      - that: "one group"
        check: "s.total[a.value=2, b.factor=1.0] > 15 and s.total[a.value=2, b.factor=1.0] < 25"
      - that: "reductions"
        check: "max(s.total) < 35 and min(s.total) > -35 and mean(s.parts) == 1 and abs(mean(s.total)) < 1"
      - that: "lists of different lengths"
        check: "s.total[b.factor=1] > s.total"
      - that: "a missing metric"
        check: "s.totl > 0"
      - that: "a group that is not there"
        check: "s.total[a.value=5] > 0"
      - that: "the spread of the seeds is small"
        check: "s.total.stderr < 1"
    """

/// Runs every point of the sweep in this process, records it and aggregates it (as `tangent run` does with
/// `--jobs`, without child processes).
func runSweepInProcess(_ text: String, in dir: URL) throws -> (plan: SweepPlan, tables: SweepTables) {
    let file = dir.appendingPathComponent("p.yaml")
    try text.write(to: file, atomically: true, encoding: .utf8)
    let base = try PipelineLoader.load(file: file.path, registry: testRegistry)
    let plan = try SweepPlan.make(base: base, overrides: [], out: dir.appendingPathComponent("out"), registry: testRegistry)
    let folder = try SweepFolder.open(plan.directory)
    try folder.writeRecord(plan)
    for task in plan.tasks(threads: 1) {
        _ = try SweepTaskRunner.run(task, registry: testRegistry, options: RunOptions(progress: SilentProgress()))
    }
    return (plan, try SweepRunner.aggregate(folder))
}

@Suite("Claims of a sweep: evaluated on the group means of aggregate.csv")
struct ClaimSweepTests {
    @Test("group means, selectors, increasing and decreasing within the other axes, element-wise comparisons")
    func evaluatedOnTheAggregate() throws {
        let dir = try temporaryFolder("claims-sweep")
        let (plan, tables) = try runSweepInProcess(sweepWithClaims, in: dir)
        let report = try #require(tables.claims)
        #expect(report.claims.map(\.holds) == [true, true, false, true, true, true, false, false, false, true],
                "\(report.lines())")
        #expect(report.claims.prefix(6).allSatisfy { $0.error == nil }, "\(report.claims.map(\.error))")
        #expect(report.claims[2].error == nil)  // it fails, but evaluates
        #expect(report.claims[6].error == "`s.total[b.factor=1]` has 3 values and `s.total` has 6: lists compare element by element, so they need one length (or one of them a single value)")
        #expect(report.claims[7].error == "no column `s.totl.mean` in aggregate.csv; metrics of stage `s`: s.parts, s.total "
                + "(text and lists are not aggregated: compare a number or a boolean, e.g. `times.silent_alignment == true` "
                + "rather than `times.verdict == holds`)")
        #expect(report.claims[8].error == "no group of aggregate.csv has a.value=5 (a.value: 1.0, 2.0, 3.0)")

        // The values are the group means, in aggregate.csv's order.
        let means = try #require(tables.aggregate.column("s.total.mean")).map { Double($0)! }
        #expect(report.claims[3].values["s.total[b.factor=1]"] == .list([0, 2, 4].map { .double(means[$0]) }))
        #expect(report.claims[3].values["s.total[b.factor=-1]"] == .list([1, 3, 5].map { .double(means[$0]) }))
        #expect(report.claims[4].values["s.total[a.value=2, b.factor=1.0]"] == .list([.double(means[2])]))
        let stderr = try #require(tables.aggregate.column("s.total.stderr")).map { Value.double(Double($0)!) }
        #expect(report.claims[9].values["s.total.stderr"] == .list(stderr))

        // claims.json at the sweep folder's root; the points evaluate none.
        let json = try claimsJSON(plan.directory)
        #expect(json["total"] == .int(10) && json["held"] == .int(6) && json["failed"] == .int(4))
        for point in plan.points {
            #expect(!FileManager.default.fileExists(atPath: plan.pointURL(point).appendingPathComponent("claims.json").path))
        }
        // sweep.json keeps the claims, so the folder alone evaluates them again.
        #expect(try SweepFolder(root: plan.directory).record().claims == plan.base.claims.map(StoredClaim.init))
        let again = try ClaimsFolder.evaluate(plan.directory)
        #expect(again.kind == .sweep && again.report == report)
    }

    @Test("a group without a mean is an error naming the group, and its value is null in the list")
    func missingGroupMean() throws {
        let aggregate = CSVTable(columns: ["w", "n", "k.loss.mean", "k.loss.std", "k.loss.stderr"],
                                 rows: [["1", "2", "0.5", "", ""], ["2", "0", "", "", ""]])
        let claims = [try Claim(that: "small loss", check: "k.loss < 1"), try Claim(that: "by w", check: "increasing(k.loss, w)"),
                      try Claim(that: "one group", check: "k.loss[w=1] < 1")]
        let report = ClaimEvaluator.evaluate(claims, aggregate: aggregate, groupColumns: ["w"])
        #expect(report.claims.map(\.holds) == [false, false, true])
        #expect(report.claims[0].error == "`k.loss.mean` is empty for the group w=2 (no finished point of it has a value)")
        #expect(report.claims[0].values == ["k.loss": .list([.double(0.5), .null])])
        #expect(report.claims[2].values == ["k.loss[w=1]": .list([.double(0.5)])])
    }

    @Test("an axis whose values are not numbers is ordered as the sweep lists them; one that is not a group column is named")
    func orderOfTextAxes() throws {
        let aggregate = CSVTable(columns: ["act", "w", "n", "k.loss.mean"],
                                 rows: [["relu", "1", "1", "0.5"], ["tanh", "1", "1", "0.4"],
                                        ["relu", "2", "1", "0.3"], ["tanh", "2", "1", "0.2"]])
        let claims = [try Claim(that: "by act, within each w", check: "decreasing(k.loss, act)"),
                      try Claim(that: "by w within each act", check: "decreasing(k.loss, w)"),
                      try Claim(that: "by seed", check: "decreasing(k.loss, seed)"),
                      try Claim(that: "selected by word", check: "k.loss[act=relu] > k.loss[act=tanh]"),
                      try Claim(that: "the other way", check: "increasing(k.loss, act)")]
        let report = ClaimEvaluator.evaluate(claims, aggregate: aggregate, groupColumns: ["act", "w"])
        #expect(report.claims.map(\.holds) == [true, true, false, true, false])
        #expect(report.claims[2].error == "`seed` is not a group column of aggregate.csv; group columns: act, w")
        #expect(report.claims[4].error == nil)
    }

    @Test("a list-valued axis zipped with a number axis: ordered by position, the partner moves with it")
    func zippedListAxis() throws {
        // sweep: zip: { model.hidden: [[8], [8, 8], [8, 8, 8]], model.init_scale: [0.3, 0.2, 0.1] }
        let aggregate = CSVTable(columns: ["model.hidden", "model.init_scale", "n", "a.final.mean"],
                                 rows: [["[8]", "0.3", "2", "0.35"], ["[8, 8]", "0.2", "2", "0.46"],
                                        ["[8, 8, 8]", "0.1", "2", "0.52"]])
        let claims = [try Claim(that: "deeper aligns more", check: "increasing(a.final, model.hidden)"),
                      try Claim(that: "by the partner", check: "decreasing(a.final, model.init_scale)"),
                      try Claim(that: "not decreasing", check: "decreasing(a.final, model.hidden)")]
        let report = ClaimEvaluator.evaluate(claims, aggregate: aggregate, groupColumns: ["model.hidden", "model.init_scale"])
        #expect(report.claims.map(\.holds) == [true, true, false])
        // A single group has nothing to order.
        let one = CSVTable(columns: ["w", "n", "a.final.mean"], rows: [["1", "1", "0.5"]])
        let single = ClaimEvaluator.evaluate([claims[0]].map { _ in try! Claim(that: "x", check: "increasing(a.final, w)") },
                                             aggregate: one, groupColumns: ["w"])
        #expect(single.claims[0].holds == false)
        #expect(single.claims[0].error == "`w` has a single value in every group of aggregate.csv, so there is nothing to order")
    }

    @Test("a single run's claim with a selector or increasing(…), evaluated from a folder, is an error, not a crash")
    func sweepSyntaxOnARun() throws {
        let dir = try temporaryFolder("claims-run-selector")
        _ = try PipelineRunner(options: RunOptions(outputDirectory: dir, progress: SilentProgress()))
            .run(try load(claimsPipeline("  []")))
        // Claims a sweep would hold, put into the run's manifest by hand.
        var record = try manifest(dir).objectValue!
        record["claims"] = .list([StoredClaim(that: "x", check: "s.total[a.value=1] > 0").value,
                                    StoredClaim(that: "y", check: "increasing(s.total, a.value)").value,
                                    StoredClaim(that: "z", check: "s.total >").value])
        try (Value.object(record).prettyJSON() + "\n").write(to: dir.appendingPathComponent("manifest.json"), atomically: true,
                                                               encoding: .utf8)
        let report = try ClaimsFolder.evaluate(dir).report
        #expect(report.claims.map(\.error) == [
            "`s.total[a.value=1]` has a selector, which picks groups of a sweep, but this is a single run",
            "increasing(…) orders the groups of a sweep, but this is a single run",
            "the check does not parse: at character 10: the check ends where a value should come",
        ])
    }
}
