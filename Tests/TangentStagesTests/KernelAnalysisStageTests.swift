import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

let analysisPipeline = """
pipeline: a
seed: 3
stages:
  data:  { use: data.synthetic, with: { train: 30, test: 10, input_dim: 6, teacher: mixture, classes: 3, encoding: onehot, variance: 0.05 } }
  model: { use: model.mlp, from: { data: data }, with: { hidden: [16], activation: relu, init_scale: 0.5 } }
  train: { use: train.gd, from: { data: data, model: model }, with: { steps: 60, learning_rate: 0.5, snapshots: { every: 20 } } }
  ntk:   { use: ntk.snapshots, from: { trajectory: train, data: data }, with: { per_layer: true } }
  align: { use: analysis.alignment, from: { kernels: ntk, data: data } }
  eigen: { use: analysis.eigen, from: { kernels: ntk, data: data }, with: { ks: [1, 3], vectors: true } }
  ksm:   { use: analysis.specialization, from: { kernels: ntk, data: data } }
"""

@Suite("Kernel analysis stages")
struct KernelAnalysisStageTests {
    @Test("alignment, eigen and specialization stages compute the library's metrics at every snapshot")
    func stages() throws {
        let (result, _) = try runPipeline(analysisPipeline)
        let series = try result.read(KernelsArtifact.self, "ntk")
        let data = try datasetOf(result.artifacts["data"]!)
        #expect(series.count == 4 && series.heads == 3)

        let align = result.artifacts["align"]!
        let values = try align.array("alignment").asDoubles()
        for t in 0..<4 { #expect(abs(values[t] - (try kernelAlignment(try series.trace(t), data.trainTargets))) < 1e-14) }
        #expect(align.metrics.contains { $0.key == "cosine_to_final" && $0.step == 60 && abs($0.value - 1) < 1e-14 })
        #expect(align.metrics.contains { $0.key == "relative_change" && $0.step == 0 && $0.value == 0 })
        // Per-layer contributions add up to the trace kernel.
        #expect(series.shape.layers == 2)
        #expect((try series.layerTrace(2, 0) + series.layerTrace(2, 1)).relativeDifference(to: try series.trace(2)) < 1e-12)
        #expect(align.metrics.contains { $0.key == "alignment_layer1" && $0.step == 40 })

        let eigen = result.artifacts["eigen"]!
        let members = eigen.archives["eigen.npz"]!
        #expect(members.first { $0.name == "eigenvalues" }!.array.shape == [4, 3, 30])
        #expect(members.first { $0.name == "trace_vectors" }!.array.shape == [4, 30, 30])
        let expected = try kernelSpectrum(try series.trace(3), targets: data.trainTargets, ks: [3])
        let row = eigen.metrics.first { $0.key == "cumulative_power_k3" && $0.step == 60 }!
        #expect(abs(row.value - expected.cumulativePower[0].value) < 1e-12)

        let ksm = result.artifacts["ksm"]!
        #expect(try ksm.array("ksm").shape == [4, 3, 3])
        let last = try specializationMatrix(heads: try series.heads(3), targets: data.trainTargets)
        #expect(abs(try ksm.array("ksm").asDoubles()[27] - last[0, 0]) < 1e-14)
    }
}

@Suite("Time-scale stages")
struct TimeScaleStageTests {
    @Test("analysis.timescales and analysis.loss_phases report from the run's kernels and losses")
    func stages() throws {
        let text = analysisPipeline + """

          times:  { use: analysis.timescales, from: { kernels: ntk, data: data, trajectory: train } }
          phases: { use: analysis.loss_phases, from: { trajectory: train } }
        """
        let (result, _) = try runPipeline(text)
        let times = result.artifacts["times"]!.summary
        let steps: Set<Int> = [0, 20, 40, 60]
        #expect(times["t_align"]?.intValue.map(steps.contains) == true)
        #expect(times["t_norm"]?.intValue.map(steps.contains) == true)
        #expect(times["silent_alignment"]?.boolValue != nil)
        let phases = result.artifacts["phases"]!.summary
        #expect(phases["alpha"]?.doubleValue?.isFinite == true)
        #expect((phases["r_squared"]?.doubleValue ?? 2) <= 1)
    }
}
