import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

@Suite("analysis.spectral")
struct SpectralStageTests {
    static let fixtures: URL? = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.appendingPathComponent("analysis")

    @Test("train → analysis.spectral: one row per snapshot, layer and quantity; ΔW = 0 and ratio = σ at step 0 (spectral)")
    func pipeline() throws {
        let text = """
        pipeline: s
        seed: 3
        stages:
          data:  { use: data.synthetic, with: { train: 16, test: 4, input_dim: 3, teacher: linear, outputs: 2 } }
          model: { use: model.mlp, from: { data: data }, with: { hidden: [12, 8], activation: tanh, parametrization: spectral, init_scale: 1.5 } }
          train: { use: train.gd, from: { data: data, model: model }, with: { learning_rate: 0.2, steps: 20, snapshots: { every: 10 } } }
          spec:  { use: analysis.spectral, from: { trajectory: train } }
        """
        let (result, folder) = try runPipeline(text)
        let a = try #require(result.artifacts["spec"])
        #expect(try a.array("times").asDoubles() == [0, 10, 20])
        #expect(try a.array("spectral").shape == [3, 3])
        let ratio = try matrix(a, "spectral_ratio"), delta = try matrix(a, "delta_spectral")
        for l in 0..<3 {
            #expect(abs(ratio[0, l] - 1.5) < 1e-12)
            #expect(delta[0, l] == 0)
            #expect(delta[2, l] > 0)
        }
        #expect(a.metrics.count == 3 * 3 * SpectralStage.quantities.count)
        #expect(a.metrics.contains { $0.key == "W1/delta_spectral_ratio" && $0.step == 20 })
        // The final values in the summary agree with the arrays.
        let final = try #require(a.summary["final"]?.objectValue?["W2"]?.objectValue)
        #expect(final["spectral"]?.doubleValue == (try matrix(a, "spectral"))[2, 2])
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("spec/metrics.csv").path))
    }

    @Test("every metric matches numpy (tools/spectral_reference.py) on the same saved weights to 1e-10")
    func numpyReference() throws {
        let folder = try #require(Self.fixtures)
        let arrays = try NPZ.read(contentsOf: folder.appendingPathComponent("spectral_trajectory.npz"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("spectral_expected.json")))
        let expected = try #require((json as? [String: Any])?["layers"] as? [String: [[String: Double]]])
        let times = try #require(arrays["times"]).asDoubles().map { Int($0) }
        // Rebuild the snapshots as MLPs (widths 3 → 5 → 4 → 2) and pass them through the stage as a trajectory.
        var snapshots: [MLP] = []
        let arch = MLPArchitecture(inputDimension: 3, hidden: [5, 4], outputs: 2, parametrization: .standard)
        for t in 0..<times.count {
            var weights: [Matrix<Double>] = []
            for l in 0..<3 {
                let stacked = try #require(arrays["W\(l)"])
                let (rows, columns) = (stacked.shape[1], stacked.shape[2])
                let values = Array(stacked.asDoubles()[t * rows * columns..<(t + 1) * rows * columns])
                weights.append(try Matrix(rows: rows, columns: columns, elements: values))
            }
            snapshots.append(try MLP(architecture: arch, weights: weights))
        }
        let trajectory = TrainingTrajectory(snapshotSteps: times, snapshots: snapshots, final: snapshots[snapshots.count - 1])
        let input = try TrajectoryArtifact(trajectory, architecture: arch,
                                           settings: ["learning_rate": .double(0.1), "steps": .int(times.last ?? 0)])
        let artifact = try StageHarness.run(SpectralStage.self, inputs: ["trajectory": [input]])
        var checked = 0
        for (layer, rows) in expected {
            #expect(rows.count == times.count)
            for (t, row) in rows.enumerated() {
                for (key, value) in row {
                    let found = artifact.metrics.first { $0.key == "\(layer)/\(key)" && $0.step == Double(times[t]) }
                    let swift = try #require(found, "\(layer)/\(key) at step \(times[t])").value
                    #expect(abs(swift - value) <= 1e-10 * max(1, abs(value)), "\(layer)/\(key) at step \(times[t])")
                    checked += 1
                }
            }
        }
        #expect(checked == 3 * 3 * SpectralStage.quantities.count)
    }
}
