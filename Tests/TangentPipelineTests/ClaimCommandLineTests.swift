import Foundation
import Testing
@testable import TangentPipeline

/// One claim that holds and one that fails, on the test stages.
private let runWithClaims = claimsPipeline("""
      - that: "the total is forty"
        check: "s.total == 40"
      - that: "the count exceeds the total"
        check: "a.count > s.total"
    """)

@Suite("Claims from the command line: printed after the run, --strict-claims, tangent claims DIR", .serialized)
struct ClaimCommandLineTests {
    @Test("run prints one line per claim and the count, without colour off a terminal; failing claims keep exit 0")
    func printedAfterTheRun() throws {
        let dir = try temporaryFolder("cli-claims")
        try runWithClaims.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let out = try CLI.run(["run", "p.yaml"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("✓ holds  the total is forty  (s.total = 40 == 40)\n"), "\(out.stdout)")
        #expect(out.stdout.contains("✗ fails  the count exceeds the total  (a.count = 4 > s.total = 40)\n"))
        #expect(out.stdout.hasSuffix("claims: 1 of 2 hold\n"))
        #expect(!out.stdout.contains("\u{1B}["))
        let json = try claimsJSON(dir.appendingPathComponent("runs/p/default"))
        #expect(json["held"] == .int(1) && json["failed"] == .int(1))

        // A re-run reuses every stage and still shows the claims.
        let again = try CLI.run(["run", "p.yaml"], in: dir)
        #expect(again.stdout.contains("0 computed, 3 cached") && again.stdout.contains("claims: 1 of 2 hold"))
    }

    @Test("--strict-claims: a failing claim makes the exit status 1 after everything is written, naming the claim")
    func strictRun() throws {
        let dir = try temporaryFolder("cli-claims-strict")
        try runWithClaims.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let out = try CLI.run(["run", "p.yaml", "--strict-claims"], in: dir)
        #expect(out.status == 1)
        #expect(out.stderr.contains("error: 1 of 2 claims failed (--strict-claims): \"the count exceeds the total\""), "\(out.stderr)")
        #expect(out.stdout.contains("claims: 1 of 2 hold"))
        let folder = dir.appendingPathComponent("runs/p/default")
        #expect(try manifest(folder)["status"] == .string("finished"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("claims.json").path))

        // When every claim holds, --strict-claims changes nothing.
        try claimsPipeline("""
              - that: "holds"
                check: "s.total == 40"
            """).write(to: dir.appendingPathComponent("q.yaml"), atomically: true, encoding: .utf8)
        let ok = try CLI.run(["run", "q.yaml", "--strict-claims"], in: dir)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("claims: 1 of 1 hold"))
    }

    @Test("tangent claims DIR evaluates a finished run again from its folder and rewrites claims.json")
    func claimsCommand() throws {
        let dir = try temporaryFolder("cli-claims-dir")
        try runWithClaims.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        _ = try CLI.run(["run", "p.yaml", "--out", "out"], in: dir)
        let claims = dir.appendingPathComponent("out/claims.json")
        try FileManager.default.removeItem(at: claims)
        let out = try CLI.run(["claims", "out"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("✗ fails  the count exceeds the total") && out.stdout.contains("claims: 1 of 2 hold"))
        #expect(FileManager.default.fileExists(atPath: claims.path))
        let strict = try CLI.run(["claims", "out", "--strict-claims"], in: dir)
        #expect(strict.status == 1 && strict.stderr.contains("1 of 2 claims failed"))
        let nothing = try CLI.run(["claims", "."], in: dir)
        #expect(nothing.status == 2 && nothing.stderr.contains("is neither a run folder"), "\(nothing.stderr)")
        let points = try CLI.run(["run", "--tasks", "t.jsonl", "--index", "0", "--strict-claims"], in: dir)
        #expect(points.status != 0 && points.stderr.contains("--strict-claims goes with a pipeline file"))
    }

    @Test("a sweep evaluates its claims on the aggregate, prints them, and --strict-claims fails it when one fails")
    func sweepClaims() throws {
        let dir = try temporaryFolder("cli-claims-sweep")
        try claimsPipeline("""
              - that: "the total grows with the factor"
                check: "increasing(s.total, b.factor)"
              - that: "and is always below 50"
                check: "s.total < 50"
            """, sweep: "sweep: { grid: { b.factor: [1.0, 3.0] } }")
            .write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let out = try CLI.run(["run", "p.yaml", "--out", "out", "--jobs", "2", "--strict-claims"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("✓ holds  the total grows with the factor  (increasing(s.total = [20, 40], b.factor))"),
                "\(out.stdout)")
        #expect(out.stdout.contains("claims: 2 of 2 hold"))
        #expect(try claimsJSON(dir.appendingPathComponent("out"))["all_hold"] == .bool(true))

        let failing = try CLI.run(["run", "p.yaml", "a.size=8", "--out", "out8", "--strict-claims"], in: dir)
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("1 of 2 claims failed (--strict-claims): \"and is always below 50\""), "\(failing.stderr)")

        // `sweep aggregate` writes the tables and the claims again.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("out/claims.json"))
        let aggregate = try CLI.run(["sweep", "aggregate", "out"], in: dir)
        #expect(aggregate.status == 0 && aggregate.stdout.contains("claims: 2 of 2 hold"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/claims.json").path))
        let again = try CLI.run(["claims", "out8"], in: dir)
        #expect(again.status == 0 && again.stdout.contains("claims: 1 of 2 hold"))
    }
}
