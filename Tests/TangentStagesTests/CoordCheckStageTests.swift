import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

@Suite("analysis.coord_check")
struct CoordCheckStageTests {
    static let text = """
    pipeline: c
    seed: 8
    stages:
      data:  { use: data.synthetic, with: { train: 8, test: 2, input_dim: 4, teacher: linear, outputs: 1 } }
      coord: { use: analysis.coord_check, from: { data: data }, with: { widths: [64, 128, 256], depth: 2, steps: 3, repeats: 2 } }
    """

    @Test("one RMS row per parametrization, layer and width (step = width), exponents in the summary")
    func table() throws {
        let a = try artifact(Self.text, "coord")
        #expect(try a.array("widths").asDoubles() == [64, 128, 256])
        for p in ["standard", "mup", "spectral"] {
            #expect(try a.array("\(p)_rms_delta").shape == [3, 3])
            let delta = try matrix(a, "\(p)_rms_delta")
            for l in 0..<3 { for i in 0..<3 { #expect(delta[l, i] > 0 && delta[l, i].isFinite) } }
            for l in 1...3 {
                let rows = a.metrics.filter { $0.key == "\(p)/h\(l)/rms_delta" }
                #expect(rows.map(\.step) == [64, 128, 256])
                let exponent = a.summary["exponents"]?.objectValue?[p]?.objectValue?["h\(l)"]?.objectValue?["rms_delta"]?.doubleValue
                let fitted = try fittedWidthExponent(widths: [64, 128, 256], values: rows.map(\.value))
                #expect(exponent.map { abs($0 - fitted) < 1e-12 } == true, "\(p) h\(l)")
            }
        }
    }

    @Test("the exponents separate standard from mup in the stage, and a single width is rejected naming `widths`")
    func exponentsAndErrors() throws {
        let a = try artifact(Self.text, "coord", overrides: ["coord.parametrizations=[standard, mup]"])
        let exponents = try #require(a.summary["exponents"]?.objectValue)
        let sp = try #require(exponents["standard"]?.objectValue?["h3"]?.objectValue?["rms_delta"]?.doubleValue)
        let mup = try #require(exponents["mup"]?.objectValue?["h2"]?.objectValue?["rms_delta"]?.doubleValue)
        #expect(sp > 0.3 && abs(mup) < 0.15, "standard \(sp), mup \(mup)")
        #expect(exponents["spectral"] == nil)
        let error = try #require(failure(Self.text, overrides: ["coord.widths=[64, 64]"]))
        #expect(error.text.contains("widths"))
        let zero = try #require(failure(Self.text, overrides: ["coord.learning_rate=0"]))
        #expect(zero.text.contains("learning_rate"))
    }
}
