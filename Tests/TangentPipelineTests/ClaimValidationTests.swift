import Foundation
import Testing
@testable import TangentPipeline

/// A pipeline of the engine's test stages with `claims` appended (YAML lines under `claims:`).
func claimsPipeline(_ claims: String, sweep: String = "") -> String {
    """
    pipeline: p
    stages:
      a: { use: test.source, with: { size: 4 } }
      b: { use: test.scale, from: { data: a }, with: { factor: 3 } }
      s: { use: test.sum, from: { parts: [a, b] } }
    \(sweep)
    claims:
    \(claims)
    """
}

@Suite("Claims are checked when the pipeline loads, each problem at its place")
struct ClaimValidationTests {
    @Test("valid claims are part of the resolved pipeline, checks parsed, with the check's location")
    func resolved() throws {
        let pipeline = try load(claimsPipeline("""
              - that: "the total is 40"
                check: "s.total == 40"
              - that: "two parts"
                check: s.parts == 2
            """))
        #expect(pipeline.claims.map(\.that) == ["the total is 40", "two parts"])
        #expect(pipeline.claims.map(\.check) == ["s.total == 40", "s.parts == 2"])
        #expect(pipeline.claims.map { $0.location?.line } == [9, 11])
        #expect(pipeline.claims.map { $0.location?.column } == [12, 12])
    }

    @Test("an empty or null claims list is valid")
    func emptyList() throws {
        #expect(try load(claimsPipeline("  []")).claims.isEmpty)
        #expect(try load(claimsPipeline("")).claims.isEmpty)
    }

    @Test("problems inside a check point into the string, quoted or plain; otherwise at the check")
    func columns() {
        let d = diagnostics(claimsPipeline("""
              - that: "quoted"
                check: "s.total > 0 and sx.total > 1"
              - that: "single-quoted"
                check: 's.total > 0 and sx.total > 1'
              - that: "plain"
                check: s.total > 0 and sx.total > 1
              - that: "block"
                check: >-
                  s.total > 0 and sx.total > 1
              - that: "escaped"
                check: "s.total > 0 and\\tsx.total > 1"
            """))
        #expect(d.map(\.field) == ["claims[0].check", "claims[1].check", "claims[2].check", "claims[3].check", "claims[4].check"])
        #expect(d.allSatisfy { $0.code == .badClaim && $0.message == "no stage `sx` in this pipeline" })
        #expect(d.allSatisfy { $0.suggestion == "did you mean `s`?" })
        #expect(d.map { $0.location?.line } == [9, 11, 13, 15, 18])
        // `sx` is 16 characters into the check, whose text starts at column 13 after a quote, 12 without; a block
        // scalar or a string with escapes keeps the check's own place.
        #expect(d.map { $0.location?.column } == [29, 29, 28, 12, 12])
    }

    @Test("a `that` on several lines or empty, and an empty check, are refused")
    func emptyAndMultiline() {
        let d = diagnostics(claimsPipeline("""
              - that: "first line\\nsecond line"
                check: "s.total > 0"
              - that: ""
                check: "  "
            """))
        #expect(d.map(\.message) == ["`that` must be one line", "`that` is empty", "`check` is empty"])
        #expect(d.map(\.field) == ["claims[0].that", "claims[1].that", "claims[1].check"])
        #expect(d.allSatisfy { $0.code == .invalidValue })
    }

    @Test("claim problems are reported with every other problem of the file, in file order")
    func withOtherProblems() {
        let d = diagnostics("""
            pipeline: p
            stages:
              a: { use: test.source, with: { sise: 4 } }
            claims:
              - that: "x"
                check: "zzz.count > 0"
            """)
        #expect(d.map(\.code) == [.unknownParameter, .badClaim])
        #expect(d[1].suggestion == "a metric is <stage id>.<key>; stage ids are: a")
    }

    @Test("a selector on an axis of --sweep is valid, and the points of that sweep load without the claims")
    func selectorOnCommandLineAxis() throws {
        let text = claimsPipeline("""
              - that: "more with a larger value"
                check: "increasing(s.total, a.value) and s.total[a.value=2] > s.total[a.value=1]"
            """)
        #expect(diagnostics(text).map(\.message) == ["increasing(…) orders the groups of a sweep, but this pipeline has no sweep",
                                                     "a selector picks the groups of a sweep, but this pipeline has no sweep",
                                                     "a selector picks the groups of a sweep, but this pipeline has no sweep"])
        let base = try PipelineLoader.load(text: text, file: "p.yaml", sweep: ["a.value=1.0,2.0"], registry: testRegistry)
        #expect(base.claims.count == 1)
        let point = try PipelineLoader.loadPoint(text: text, file: "p.yaml", overrides: ["a.value=1.0"], profile: nil,
                                                 registry: testRegistry)
        #expect(point.claims.isEmpty)
    }

    @Test("overrides and profiles cannot set claims")
    func overridesDoNotTouchClaims() {
        let text = claimsPipeline("""
              - that: "x"
                check: "s.total > 0"
            """)
        let override = diagnostics(text, overrides: ["claims=[]"])
        #expect(override.map(\.code) == [.badOverride])
        let profiled = diagnostics(text + "\nprofiles:\n  p: { claims: [] }\n")
        #expect(profiled.map(\.code) == [.badOverride])
    }

    @Test("config.resolved.yaml keeps the claims and loads back to the same claims")
    func resolvedYAMLKeepsClaims() throws {
        let pipeline = try load(claimsPipeline("""
              - that: "a \\"quoted\\" word, and a colon: here"
                check: "s.total == 40 and a.count != 'x y'"
            """))
        let again = try load(pipeline.resolvedYAML)
        #expect(again.claims.map(\.that) == pipeline.claims.map(\.that))
        #expect(again.claims.map(\.check) == pipeline.claims.map(\.check))
    }

    @Test("claims are a top-level field: a misspelling gets a did-you-mean")
    func topLevelField() {
        let d = diagnostics("""
            pipeline: p
            stages:
              a: { use: test.source }
            claim:
              - that: "x"
                check: "a.count > 0"
            """)
        #expect(d.map(\.suggestion) == ["did you mean `claims`?"])
    }
}
