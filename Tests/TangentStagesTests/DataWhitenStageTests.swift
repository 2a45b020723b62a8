import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

let whitening = """
pipeline: whiten
seed: 5
stages:
  data: { use: data.synthetic, with: { train: 40, test: 10, input_dim: 8, covariance: power_law, alpha: 1.5, outputs: 2 } }
  white: { use: data.whiten, from: { data: data } }
"""

/// (max − min)/max of the singular values above the documented cutoff.
func spreadOfNonzero(_ s: [Double], rows: Int, columns: Int) -> Double {
    let nz = Array(s.prefix(Whitening.effectiveRank(s, rows: rows, columns: columns)))
    guard let hi = nz.max(), let lo = nz.min(), hi > 0 else { return .infinity }
    return (hi - lo) / hi
}

@Suite("data.whiten")
struct DataWhitenStageTests {
    @Test("full whitening: equal nonzero singular values (1e-10), spectra saved, targets and teacher passed through")
    func full() throws {
        let (result, folder) = try runPipeline(whitening)
        let raw = try #require(result.artifacts["data"]), white = try #require(result.artifacts["white"])
        let x = try matrix(white, "train_x")
        // Independent of the stage's own SVD: eigenvalues of XᵀX.
        let eig = try x.matmul(x, transposeSelf: true).symmetricEigenvalues()
        let s = eig.map { max($0, 0).squareRoot() }
        #expect(spreadOfNonzero(s, rows: 40, columns: 8) < 1e-10)
        #expect(abs(s[0] - Double(8).squareRoot()) < 1e-10)
        #expect(spreadOfNonzero(try white.array("singular_values_after").asDoubles(), rows: 40, columns: 8) < 1e-10)
        let before = try white.array("singular_values_before").asDoubles()
        #expect(before.count == 8 && before[0] / before[7] > 3)
        for name in ["singular_values_before", "singular_values_after", "test_singular_values_before",
                     "test_singular_values_after", "train_x", "test_x"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("white/\(name).npy").path), "\(name)")
        }
        let cAfter = try #require(white.summary["condition_number_after"]?.doubleValue)
        let cBefore = try #require(white.summary["condition_number_before"]?.doubleValue)
        #expect(abs(cAfter - 1) < 1e-10 && abs(cBefore - before[0] / before[7]) < 1e-10)
        #expect(white.summary["rank"] == .int(8) && white.summary["method"] == .string("full"))
        for name in ["train_y", "test_y", "teacher_matrix", "covariance_eigenvalues"] {
            #expect(white.arrays[name] == raw.arrays[name], "\(name)")
        }
        // Test set with the train statistics: the train fit applied to the raw inputs.
        let fit = try Whitening.fit(try matrix(raw, "train_x"), method: .full)
        #expect(try fit.whitening.apply(try matrix(raw, "test_x")).relativeDifference(to: try matrix(white, "test_x")) < 1e-12)
    }

    @Test("γ = 1 without centring returns the input bit for bit; γ = 0 equals full")
    func partialEnds() throws {
        let text = whitening + """

          one: { use: data.whiten, from: { data: data }, with: { method: partial, gamma: 1, center: false } }
          zero: { use: data.whiten, from: { data: data }, with: { method: partial, gamma: 0 } }
        """
        let r = try runPipeline(text).result
        let raw = try #require(r.artifacts["data"]), one = try #require(r.artifacts["one"])
        for name in ["train_x", "test_x"] { #expect(try bitPatterns(one, name) == bitPatterns(raw, name)) }
        #expect(r.artifacts["zero"]?.arrays["train_x"] == r.artifacts["white"]?.arrays["train_x"])
        #expect(r.artifacts["zero"]?.arrays["test_x"] == r.artifacts["white"]?.arrays["test_x"])
    }

    @Test("PCA keeps `components` uncorrelated columns for train and test")
    func pca() throws {
        let white = try artifact(whitening, "white", overrides: ["white.method=pca", "white.components=3"])
        let x = try matrix(white, "train_x"), t = try matrix(white, "test_x")
        #expect(x.columns == 3 && t.columns == 3 && white.summary["input_dim"] == .int(3))
        let g = try x.matmul(x, transposeSelf: true)
        for i in 0..<3 { for j in 0..<3 where i != j { #expect(abs(g[i, j]) < 1e-10 * g[0, 0]) } }
        #expect(try white.array("singular_values_after").asDoubles().count == 3)
    }

    @Test("separate statistics whiten the test set on its own")
    func separate() throws {
        let white = try artifact(whitening, "white", overrides: ["white.test_statistics=separate", "data.test=6"])
        let t = try matrix(white, "test_x")
        let s = try t.singularValues()
        #expect(spreadOfNonzero(s, rows: 6, columns: 8) < 1e-10 && abs(s[0] - Double(8).squareRoot()) < 1e-10)
        #expect(spreadOfNonzero(try white.array("test_singular_values_after").asDoubles(), rows: 6, columns: 8) < 1e-10)
        #expect(white.summary["test_rank"] == .int(5))  // 6 centred samples span 5 dimensions
        #expect(s[5] < 1e-10)
    }

    @Test("preserve_scale: the train and test inputs of partial whitening are κ times the plain ones, κ in the summary")
    func preserveScale() throws {
        let text = whitening + """

          plain: { use: data.whiten, from: { data: data }, with: { method: partial, gamma: 0.5 } }
          kept: { use: data.whiten, from: { data: data }, with: { method: partial, gamma: 0.5, preserve_scale: true } }
        """
        let (result, _) = try runPipeline(text)
        let white = try #require(result.artifacts["white"]), plain = try #require(result.artifacts["plain"])
        let kept = try #require(result.artifacts["kept"])
        let kappa = try #require(kept.summary["scale_factor"]?.doubleValue)
        #expect(plain.summary["scale_factor"] == .double(1) && white.summary["scale_factor"] == .double(1))
        #expect(kept.summary["preserve_scale"] == .bool(true))
        let full = try matrix(white, "train_x").frobeniusNorm
        #expect(abs(try matrix(kept, "train_x").frobeniusNorm - full) < 1e-12 * full)
        #expect(try matrix(kept, "train_x").relativeDifference(to: kappa * (try matrix(plain, "train_x"))) < 1e-14)
        #expect(try matrix(kept, "test_x").relativeDifference(to: kappa * (try matrix(plain, "test_x"))) < 1e-14)
        let message = try #require(try validationError(whitening, overrides: ["white.preserve_scale=true"]))
        #expect(message.message.contains("partial"))
    }

    @Test("no test set: no test spectra; the pipeline is reproducible")
    func noTest() throws {
        let a = try artifact(whitening, "white", overrides: ["data.test=0"])
        #expect(a.arrays["test_singular_values_before"] == nil)
        #expect(try datasetOf(a).testCount == 0)
        #expect(try artifact(whitening, "white", overrides: ["data.test=0"]) == a)
    }

    @Test("bad combinations are refused by validation, at the parameter", arguments: [
        (["white.components=2"], "`components`"),
        (["white.method=pca", "white.test_statistics=separate"], "`test_statistics`"),
        (["white.method=pca", "white.components=9"], "`components`"),
        (["white.preserve_scale=true"], "`preserve_scale`"),
        (["white.method=pca", "white.preserve_scale=true"], "`preserve_scale`"),
    ])
    func errors(_ overrides: [String], _ named: String) throws {
        let f = try #require(try validationError(whitening, overrides: overrides))
        #expect(f.field == "stages.white.with.\(named.dropFirst().dropLast())", "\(f)")
        let range = try #require(failure(whitening, overrides: ["white.gamma=1.5"]))
        #expect(range.code == .invalidPipeline && range.text.contains("gamma"))
    }
}
