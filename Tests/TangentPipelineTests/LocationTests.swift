import Foundation
import Testing
@testable import TangentPipeline

@Suite("Source locations of parameters and inputs; warnings")
struct LocationAndSeverityTests {
    let text = """
        pipeline: p
        stages:
          src: { use: test.source, with: { size: 3 } }
          cfg:
            use: test.all_types
            with:
              count: 2
              label: x
          sum: { use: test.sum, from: { parts: [src], extra: cfg } }
        profiles:
          quick: { cfg.rate: 0.25 }
        """

    @Test("parameterLocations, inputLocations and withLocation point at the nodes that set them")
    func locations() throws {
        let p = try load(text, overrides: ["cfg.label=y"], profile: "quick")
        let file = p.file
        let src = try #require(p.stage("src")), cfg = try #require(p.stage("cfg")), sum = try #require(p.stage("sum"))
        #expect(src.parameterLocations == ["size": SourceLocation(file: file, line: 3, column: 42)])
        #expect(src.withLocation == SourceLocation(file: file, line: 3, column: 28))
        #expect(src.inputLocations.isEmpty)
        #expect(cfg.withLocation == SourceLocation(file: file, line: 6, column: 5))
        #expect(cfg.parameterLocations == [
            "count": SourceLocation(file: file, line: 7, column: 14),
            "label": SourceLocation(file: "<override 1>", line: 1, column: 11),  // the override's value
            "rate": SourceLocation(file: file, line: 11, column: 22),           // the profile entry's value
        ])
        #expect(sum.withLocation == nil && sum.parameterLocations.isEmpty)
        #expect(sum.inputLocations == ["parts": SourceLocation(file: file, line: 9, column: 40),
                                       "extra": SourceLocation(file: file, line: 9, column: 54)])
    }

    @Test("a warning prints as `warning:` and never makes a pipeline invalid by itself")
    func warnings() throws {
        let p = try load(text, overrides: ["seed=1", "seed=2"])
        #expect(p.seed == 2)
        #expect(p.warnings.count == 1)
        let w = try #require(p.warnings.first)
        #expect(w.severity == .warning)
        #expect(w.description == "<override 1>:1:1: warning: seed: `seed=1` has no effect: `seed=2` (<override 2>) sets `seed` again; drop one of them; the last one wins")
        #expect(w.jsonValue["severity"] == .string("warning"))
        let e = Diagnostic(.unknownKey, "m", at: nil, field: "f")
        #expect(e.severity == .error && e.description == "error: f: m" && e.jsonValue["severity"] == .string("error"))
        #expect(PipelineError.invalid([w, e]).message == "1 problem in the pipeline")
    }
}
