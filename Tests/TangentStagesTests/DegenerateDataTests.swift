import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
import TangentStages

@Suite("Degenerate data")
struct DegenerateDataTests {
    @Test("an all-zero kernel gives NaN alignment with a warning, and never a negative-eigenvalue warning")
    func zeroKernel() throws {
        // Zero weights: every activation and backward signal vanishes, so Θ = 0 exactly.
        let text = """
        pipeline: zero
        stages:
          data:  { use: data.synthetic, with: { train: 10, test: 0, input_dim: 3 } }
          model: { use: model.mlp, from: { data: data }, with: { hidden: [5], init_scale: 0 } }
          ntk:   { use: ntk.compute, from: { model: model, data: data }, with: { check_psd: true } }
          align: { use: analysis.alignment, from: { kernels: ntk, data: data } }
          eigen: { use: analysis.eigen, from: { kernels: ntk, data: data } }
        """
        let (result, log) = try runLogged(text)
        let kernels = try result.read(KernelsArtifact.self, "ntk")
        #expect(try kernels.trace(0).elements.allSatisfy { $0 == 0 })
        let align = try #require(result.artifacts["align"])
        #expect(try align.array("alignment").asDoubles().allSatisfy(\.isNaN))
        #expect(align.summary["final_alignment"]?.doubleValue?.isNaN == true)
        #expect(log.contains { $0.contains("[align] warning: the trace kernel at step 0 is all zero: its alignment is undefined (NaN)") })
        #expect(!log.contains { $0.contains("negative") }, "\(log)")
        #expect(kernels.summary["negative_eigenvalues"] == .list([]))
    }

    @Test("a label file with a single class is refused for class encodings, at validation")
    func singleClass() throws {
        let folder = try temporaryFolder("single")
        try NPY.write(try NPYArray([1, 2, 3, 4, 5, 6] as [Double], shape: [3, 2]), to: folder.appendingPathComponent("x.npy"))
        try NPY.write(try NPYArray([4, 4, 4] as [Int64], shape: [3]), to: folder.appendingPathComponent("y.npy"))
        let text = """
        pipeline: one
        stages:
          data: { use: data.load, with: { train_inputs: x.npy, train_targets: y.npy, encoding: onehot } }
        """
        let pipeline = try PipelineLoader.load(text: text, file: folder.appendingPathComponent("p.yaml").path,
                                               registry: builtinRegistry)
        let error = try #require(throws: PipelineError.self) { try PipelinePlanner.plan(pipeline) }
        let d = try #require(error.diagnostics.first)
        #expect(d.field == "stages.data.with.encoding")
        #expect(d.message.contains("holds a single class (id 4) but encoding onehot needs at least two"), "\(d.message)")
        // As given (encoding: none) the same file loads.
        let plain = try PipelineLoader.load(text: text.replacingOccurrences(of: "onehot", with: "none"),
                                            file: folder.appendingPathComponent("p.yaml").path, registry: builtinRegistry)
        #expect(try PipelinePlanner.plan(plain).shapes["data"] != nil)
    }
}
