import Foundation
import Testing
@testable import TangentPipeline

/// The values of an axis as plain values.
private func plain(_ axis: SweepAxis) -> [Value] { axis.values.map(\.value.plainValue) }

@Suite("Sweep axes from --sweep options and the file's sweep block")
struct SweepSpecTests {
    @Test("a comma-separated list is read as YAML values, lists included")
    func lists() throws {
        let hidden = try SweepOption.parse("model.hidden=[64],[256],[1024]", number: 1)
        #expect(hidden.key == "model.hidden")
        #expect(plain(hidden) == [.list([.int(64)]), .list([.int(256)]), .list([.int(1024)])])
        let mixed = try SweepOption.parse("data.teacher=linear,relu", number: 1)
        #expect(plain(mixed) == [.string("linear"), .string("relu")])
        let one = try SweepOption.parse("model.hidden=[64, 64]", number: 1)
        #expect(plain(one) == [.list([.int(64), .int(64)])])
    }

    @Test("range, linspace and logspace give Python's and numpy's values")
    func functions() throws {
        #expect(plain(try SweepOption.parse("seed=range(0,8)", number: 1)) == (0..<8).map { .int($0) })
        #expect(plain(try SweepOption.parse("seed=range(10, 0, -3)", number: 1)) == [10, 7, 4, 1].map { .int($0) })
        #expect(plain(try SweepOption.parse("seed=range(2,12,5)", number: 1)) == [2, 7].map { .int($0) })
        #expect(plain(try SweepOption.parse("white.gamma=linspace(0,1,5)", number: 1))
                == [0, 0.25, 0.5, 0.75, 1].map { .double($0) })
        // Integer exponents are exact powers of ten, as the literals 1e-3 … 1e0 are.
        #expect(plain(try SweepOption.parse("lr=logspace(-3,0,4)", number: 1)) == [1e-3, 1e-2, 1e-1, 1].map { .double($0) })
        let half = try SweepOption.parse("lr=logspace(0,1,3)", number: 1)
        #expect(abs((half.values[1].value.plainValue.doubleValue ?? 0) - 10.0.squareRoot()) < 1e-15)
    }

    @Test("a malformed --sweep is a diagnostic at <sweep N> with the column of the problem")
    func malformed() {
        func problem(_ text: String) -> Diagnostic? {
            do { _ = try SweepOption.parse(text, number: 2); return nil } catch { return error.diagnostics.first }
        }
        #expect(problem("seed")?.message.contains("has no `=`") == true)
        #expect(problem("seed=range(0)")?.location == SourceLocation(file: "<sweep 2>", line: 1, column: 6))
        #expect(problem("seed=range(0,4,0)")?.message.contains("step must not be 0") == true)
        #expect(problem("seed=range(4,0)")?.message.contains("has no values") == true)
        #expect(problem("x.y=linspace(0,1,0)")?.suggestion?.contains("linspace(start, stop, count)") == true)
        #expect(problem("x.y=cosspace(0,1,2)")?.message.contains("unknown function") == true)
        #expect(problem("seed=range(0,1000000)")?.code == .limitExceeded)
        #expect(problem("x.y=[1,")?.code == .yamlSyntax)
        #expect(problem("x..y=1")?.message.contains("not a dotted name") == true)
    }

    @Test("grid points are the product, first axis slowest; zipped axes go in step")
    func expansion() {
        let at = SourceLocation(file: "f", line: 1, column: 1)
        func axis(_ key: String, _ values: [Int]) -> SweepAxis {
            SweepAxis(key: key, values: values.map { .init(.int($0), at: at) }, keyLocation: at)
        }
        let spec = SweepSpec(grid: [axis("a", [1, 2]), axis("b", [10, 20, 30])], zip: [axis("c", [7, 8]), axis("d", [70, 80])])
        #expect(spec.count == 12)
        let points = (0..<spec.count).map { i in spec.point(i).map { "\($0.key)=\($0.value.value.plainValue.yamlText)" } }
        #expect(points[0] == ["a=1", "b=10", "c=7", "d=70"])
        #expect(points[1] == ["a=1", "b=10", "c=8", "d=80"])
        #expect(points[2] == ["a=1", "b=20", "c=7", "d=70"])
        #expect(points[11] == ["a=2", "b=30", "c=8", "d=80"])
        #expect(Set(points.map { $0.joined(separator: ",") }).count == 12)
        // A command-line axis replaces the file's axis of the same key.
        let merged = spec.merging(SweepSpec(grid: [axis("b", [5])]))
        #expect(merged.count == 4 && merged.keys == ["a", "b", "c", "d"])
    }

    @Test("the file's sweep block takes grid and zip; --sweep options add axes, in grid or zip mode")
    func fromFile() throws {
        let text = """
            pipeline: p
            stages:
              a: { use: test.source }
              b: { use: test.scale, from: { data: a } }
            sweep:
              grid: { a.size: [2, 3] }
              zip: { b.factor: [1.0, 2.0], seed: [0, 1] }
            """
        let pipeline = try PipelineLoader.load(text: text, file: "p.yaml", sweep: ["a.value=0.5,1.5,2.5"],
                                               registry: testRegistry)
        #expect(pipeline.sweep.keys == ["a.size", "a.value", "b.factor", "seed"])
        #expect(pipeline.sweep.count == 2 * 3 * 2)
        let zipped = try PipelineLoader.load(text: text, file: "p.yaml", sweep: ["a.value=1,2", "a.noise=true,false"],
                                             sweepMode: .zip, registry: testRegistry)
        #expect(zipped.sweep.count == 2 * 2)
    }

    @Test("zipped lists of different lengths, bad values and unknown keys in --sweep are reported where they are")
    func invalidAxes() {
        let text = """
            pipeline: p
            stages:
              a: { use: test.source }
            sweep:
              zip: { a.size: [1, 2], seed: [0, 1, 2] }
            """
        let file = diagnostics(text)
        #expect(file.count == 1 && file[0].location?.line == 5 && file[0].message.contains("in step"))
        let base = "pipeline: p\nstages:\n  a: { use: test.source }\n"
        var found: [Diagnostic] = []
        do {
            _ = try PipelineLoader.load(text: base, file: "p.yaml", sweep: ["a.size=1,two", "a.sise=1"], registry: testRegistry)
        } catch { found = error.diagnostics }
        #expect(found.contains { $0.location?.file == "<sweep 1>" && $0.location?.column == 10 && $0.message.contains("expected int") })
        #expect(found.contains { $0.location?.file == "<sweep 2>" && $0.suggestion?.contains("size") == true })
    }
}
