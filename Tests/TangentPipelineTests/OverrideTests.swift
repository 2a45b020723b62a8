import Testing
@testable import TangentPipeline

let tuned = """
pipeline: tuned
seed: 1
stages:
  src: { use: test.source, with: { size: 4 } }
  cfg: { use: test.all_types, with: { count: 2, schedule: { every: 5 } } }
profiles:
  quick: { src.size: 2, seed: 9 }
"""

@Suite("Overrides and profiles")
struct OverrideTests {
    @Test("dotted overrides take YAML-typed values: ints, floats, bools, strings, lists, nested objects")
    func typedValues() throws {
        let p = try load(tuned, overrides: ["seed=3", "src.value=0.25", "src.noise=true", "cfg.label=hello",
                                            "cfg.widths=[512, 512]", "cfg.schedule.log_spaced=40", "precision=float32"])
        #expect(p.seed == 3 && p.precision == .float32)
        #expect(p.stage("src")?.parameters.double("value") == 0.25)
        #expect(p.stage("src")?.parameters.bool("noise") == true)
        let cfg = try #require(p.stage("cfg")).parameters
        #expect(cfg.string("label") == "hello")
        #expect(cfg.ints("widths") == [512, 512])
        #expect(cfg.object("schedule").int("every") == 5)          // kept from the file
        #expect(cfg.object("schedule").int("log_spaced") == 40)    // added by the override
    }

    @Test("a full stages.<id>.with.<param> path works too, and later overrides win")
    func fullPathsAndOrder() throws {
        let p = try load(tuned, overrides: ["stages.src.with.size=7", "src.size=8"])
        #expect(p.stage("src")?.parameters.int("size") == 8)
    }

    @Test("a profile applies before command-line overrides")
    func profile() throws {
        let quick = try load(tuned, profile: "quick")
        #expect(quick.stage("src")?.parameters.int("size") == 2 && quick.seed == 9)
        let both = try load(tuned, overrides: ["seed=4"], profile: "quick")
        #expect(both.seed == 4 && both.overrides == ["src.size=2", "seed=9", "seed=4"])
    }

    @Test("override values are checked like the file, located in the argument")
    func checked() {
        let d = diagnostics(tuned, overrides: ["src.size=-3"])
        #expect(d.count == 1)
        #expect(d.first?.code == .outOfRange)
        #expect(d.first?.location == SourceLocation(file: "<override 1>", line: 1, column: 10))
    }

    @Test("an override may not name an unknown stage or extend a top-level field")
    func badTargets() {
        #expect(diagnostics(tuned, overrides: ["scr.size=3"]).first?.suggestion == "did you mean `src`?")
        #expect(diagnostics(tuned, overrides: ["seed.x=3"]).first?.code == .badOverride)
        #expect(diagnostics(tuned, overrides: ["src=3"]).first?.code == .badOverride)
    }
}
