import Foundation
import Testing
@testable import TangentPipeline

/// Runs `pipeline` into `dir` with the engine's test stages, quietly.
private func runQuietly(_ pipeline: ResolvedPipeline, in dir: URL) throws -> RunResult {
    try PipelineRunner(options: RunOptions(outputDirectory: dir, progress: SilentProgress())).run(pipeline)
}

/// `dir/claims.json`, parsed.
func claimsJSON(_ dir: URL) throws -> Value {
    try JSONReader.parse(String(contentsOf: dir.appendingPathComponent("claims.json"), encoding: .utf8))
}

@Suite("Claims of a single run: evaluated on the stages' summaries after the run, written to claims.json")
struct ClaimRunTests {
    /// a.count = 4, s.total = 1+2+3+4 + 3·(1+2+3+4) = 40, s.parts = 2.
    static let claims = claimsPipeline("""
          - that: "the total is forty"
            check: "s.total == 40 and s.parts == 2"
          - that: "the count times ten exceeds the total"
            check: "a.count * 10 > s.total"
          - that: "a misspelled key"
            check: "s.totl > 0"
        """)

    @Test("claims that hold, fail, or miss a key give holds, values and an error naming the file and its keys")
    func holdsFailsMissing() throws {
        let dir = try temporaryFolder("claims-run")
        let result = try runQuietly(try load(Self.claims), in: dir)
        let report = try #require(result.claims)
        #expect(report.claims.map(\.holds) == [true, false, false])
        #expect(report.claims.map(\.error) == [nil, nil, "no key `totl` in s/summary.json; keys: parts, total"])
        #expect(report.claims[1].shown == "a.count = 4 * 10 > s.total = 40")
        #expect(report.lines() == [
            "✓ holds  the total is forty  (s.total = 40 == 40 and s.parts = 2 == 2)",
            "✗ fails  the count times ten exceeds the total  (a.count = 4 * 10 > s.total = 40)",
            "✗ fails  a misspelled key  (s.totl = ? > 0; error: no key `totl` in s/summary.json; keys: parts, total)",
            "claims: 1 of 3 hold",
        ])

        let json = try claimsJSON(dir)
        #expect(json["total"] == .int(3) && json["held"] == .int(1) && json["failed"] == .int(2))
        #expect(json["all_hold"] == .bool(false))
        let entries = try #require(json["claims"]?.listValue)
        #expect(entries.map { $0["that"]?.stringValue } == ["the total is forty", "the count times ten exceeds the total", "a misspelled key"])
        #expect(entries[0]["check"] == .string("s.total == 40 and s.parts == 2"))
        #expect(entries[0]["values"] == .object(["s.total": .double(40), "s.parts": .int(2)]))
        #expect(entries[0]["error"] == .null && entries[0]["holds"] == .bool(true))
        #expect(entries[2]["values"] == .object(["s.totl": .null]))
        #expect(entries[2]["error"] == .string("no key `totl` in s/summary.json; keys: parts, total"))
    }

    @Test("paths walk into objects; booleans count as 1/0; strings compare with ==; lists compare element-wise")
    func valueKinds() throws {
        let dir = try temporaryFolder("claims-kinds")
        let pipeline = try load("""
            pipeline: kinds
            stages:
              t: { use: test.all_types, with: { count: 3, label: relu, widths: [4, 8], schedule: { every: 5 } } }
            claims:
              - that: "nested"
                check: "t.schedule.every == 5 and t.parameter_values.count == 3"
              - that: "bools"
                check: "t.flag == false and t.flag == 0 and t.flag + 1 == 1"
              - that: "strings"
                check: "t.label == relu and t.label != 'tanh' and t.mode == \\"fast\\""
              - that: "lists"
                check: "t.widths < 10 and mean(t.widths) == 6 and min(t.widths) == 4 and max(t.widths) == 8"
              - that: "arithmetic"
                check: "abs(-t.count) == 3 and log(t.schedule.every) > 1.6 and t.count / 2 == 1.5 and t.count - 1 == 2"
              - that: "an object is not a value"
                check: "t.schedule > 0"
              - that: "a string is not a number"
                check: "t.label < 1"
              - that: "null"
                check: "t.file == 1"
            """)
        let report = try #require(try runQuietly(pipeline, in: dir).claims)
        #expect(report.claims.map(\.holds) == [true, true, true, true, true, false, false, false])
        #expect(report.claims.prefix(5).allSatisfy { $0.error == nil }, "\(report.claims.map(\.error))")
        #expect(report.claims[3].values["t.widths"] == .list([.int(4), .int(8)]))
        #expect(report.claims[5].error == "`t.schedule` in t/summary.json is an object; name one of its keys: every, log_spaced")
        #expect(report.claims[6].error == "`t.label` is the string `relu` and `1` is a number: a string compares only with a string")
        #expect(report.claims[7].error == "`t.file` is null in t/summary.json")
    }

    @Test("a re-run that reuses every stage still evaluates the claims and writes claims.json")
    func resumedRunWritesClaims() throws {
        let dir = try temporaryFolder("claims-resume")
        let pipeline = try load(Self.claims)
        _ = try runQuietly(pipeline, in: dir)
        let first = try claimsJSON(dir)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("claims.json"))
        let again = try runQuietly(pipeline, in: dir)
        #expect(again.records.allSatisfy { $0.status == .cached })
        #expect(try claimsJSON(dir) == first)
    }

    @Test("changing a claim changes no cache key: every stage is reused and the new claim is evaluated")
    func claimsAreNotInCacheKeys() throws {
        let dir = try temporaryFolder("claims-keys")
        let before = try load(Self.claims)
        _ = try runQuietly(before, in: dir)
        let after = try load(claimsPipeline("""
              - that: "a different claim"
                check: "s.total > 39"
            """))
        #expect(try PipelineRunner().cacheKeys(before) == PipelineRunner().cacheKeys(after))
        let result = try runQuietly(after, in: dir)
        #expect(result.records.allSatisfy { $0.status == .cached })
        #expect(result.claims?.claims.map(\.that) == ["a different claim"])
        #expect(try claimsJSON(dir)["all_hold"] == .bool(true))
    }

    @Test("a run with no claims writes an empty claims.json and prints nothing")
    func noClaims() throws {
        let dir = try temporaryFolder("claims-none")
        let result = try runQuietly(try load(chain), in: dir)
        #expect(result.claims?.lines() == [])
        let json = try claimsJSON(dir)
        #expect(json["claims"] == .list([]) && json["total"] == .int(0) && json["all_hold"] == .bool(true))
    }

    @Test("the manifest keeps the claims, so the folder alone re-evaluates them; a stage that did not finish has no metrics")
    func reevaluateFromFolder() throws {
        let dir = try temporaryFolder("claims-folder")
        let pipeline = try load(Self.claims)
        let result = try runQuietly(pipeline, in: dir)
        let stored = StoredClaim.list(try manifest(dir)["claims"])
        #expect(stored == pipeline.claims.map(StoredClaim.init))
        let again = try ClaimsFolder.evaluate(dir)
        #expect(again.kind == .run)
        #expect(again.report == result.claims)

        let failing = try temporaryFolder("claims-failed")
        let broken = try load("""
            pipeline: broken
            stages:
              a: { use: test.source }
              f: { use: test.fail, with: { message: "no luck" } }
            claims:
              - that: "f succeeded"
                check: "f.ok == true and a.count == 4"
            """)
        #expect(throws: PipelineError.self) { try runQuietly(broken, in: failing) }
        #expect(!FileManager.default.fileExists(atPath: failing.appendingPathComponent("claims.json").path))
        let report = try ClaimsFolder.evaluate(failing).report
        #expect(report.claims.map(\.holds) == [false])
        #expect(report.claims[0].error == "stage `f` did not finish in this run (its status is failed)")
        #expect(report.claims[0].values == ["f.ok": .null, "a.count": .int(4)])
    }

    @Test("a folder that is neither a run nor a sweep is refused with what it lacks")
    func notAFolderOfTangent() throws {
        let dir = try temporaryFolder("claims-nothing")
        #expect {
            try ClaimsFolder.evaluate(dir)
        } throws: { error in
            let e = error as? PipelineError
            return e?.code == .runFolder && e?.message.contains("is neither a run folder (it has no manifest.json) nor a sweep folder") == true
        }
    }
}
