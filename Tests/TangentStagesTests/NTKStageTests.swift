import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

let ntkPipeline = """
pipeline: k
seed: 2
stages:
  data:  { use: data.synthetic, with: { train: 20, test: 7, input_dim: 5, teacher: linear, outputs: 3 } }
  model: { use: model.mlp, from: { data: data }, with: { hidden: [8, 6], activation: tanh, bias: true } }
  train: { use: train.gd, from: { data: data, model: model }, with: { steps: 40, learning_rate: 0.2, snapshots: { every: 10 } } }
  ntk:   { use: ntk.compute, from: { model: model, data: data } }
  snaps: { use: ntk.snapshots, from: { trajectory: train, data: data } }
"""

func member(_ a: Table, _ name: String) throws -> NPYArray { try a.array(name) }

@Suite("NTK stages")
struct NTKStageTests {
    @Test("ntk.compute writes ntk.npy, trace.npy and test.npy equal to the Jacobian Gram of the model")
    func compute() throws {
        let (result, folder) = try runPipeline(ntkPipeline)
        let kernels = try #require(result.artifacts["ntk"])
        let ntk = try member(kernels, "ntk"), trace = try member(kernels, "trace"), test = try member(kernels, "test")
        #expect(ntk.shape == [3, 20, 20] && trace.shape == [20, 20] && test.shape == [3, 7, 20])
        let model = try result.read(MLP.self, "model")
        let data = try datasetOf(result.artifacts["data"]!)
        let reference = try jacobianNTK(model, inputs: data.trainInputs, testInputs: data.testInputs)
        let values = ntk.asDoubles(), testValues = test.asDoubles()
        for c in 0..<3 {
            let head = try Matrix<Double>(rows: 20, columns: 20, elements: Array(values[c * 400..<(c + 1) * 400]))
            #expect(head.relativeDifference(to: reference.heads[c]) < 1e-12)
            let block = try Matrix<Double>(rows: 7, columns: 20, elements: Array(testValues[c * 140..<(c + 1) * 140]))
            #expect(block.relativeDifference(to: reference.test[c]) < 1e-12)
        }
        #expect(try Matrix<Double>(trace).relativeDifference(to: reference.trace) < 1e-12)
        for file in ["ntk.npy", "trace.npy", "test.npy"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("ntk/\(file)").path))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("ntk/kernels.npz").path))
        #expect(kernels.summary["negative_eigenvalues"] == nil)  // the probe runs only with check_psd
    }

    @Test("ntk.snapshots stacks one kernel per snapshot with times.npy; the first equals ntk.compute of the initial model")
    func snapshots() throws {
        let (result, _) = try runPipeline(ntkPipeline)
        let snaps = try #require(result.artifacts["snaps"])
        #expect(try snaps.array("times").asDoubles() == [0, 10, 20, 30, 40])
        let stacked = try member(snaps, "ntk")
        #expect(stacked.shape == [5, 3, 20, 20])
        #expect(try member(snaps, "test").shape == [5, 3, 7, 20])
        let first = Array(stacked.asDoubles()[0..<1200])
        #expect(first == (try member(result.artifacts["ntk"]!, "ntk")).asDoubles())
        // The kernel moves during training.
        let last = Array(stacked.asDoubles()[4 * 1200..<5 * 1200])
        #expect(first != last)
    }

    @Test("options: samples, cross heads, per-layer contributions, float32 precision, stride")
    func options() throws {
        let text = ntkPipeline + """

          more:  { use: ntk.compute, from: { model: model, data: data }, with: { samples: 9, test_block: false, cross_heads: true, per_layer: true } }
          thin:  { use: ntk.snapshots, from: { trajectory: train, data: data }, with: { stride: 3 } }
        """
        let (result, _) = try runPipeline(text)
        let more = try #require(result.artifacts["more"])
        #expect(try member(more, "ntk").shape == [3, 9, 9])
        #expect(try member(more, "cross").shape == [3, 3, 9, 9])
        #expect(try member(more, "layers").shape == [3, 3, 9, 9])
        #expect(more.arrays["test"] == nil)
        #expect(try result.artifacts["thin"]!.array("times").asDoubles() == [0, 30, 40])
        let (single, _) = try runPipeline(ntkPipeline, overrides: ["precision=float32"])
        #expect(try member(single.artifacts["ntk"]!, "ntk").dtype == .float32)
    }
}

@Suite("NTK stages out of core")
struct NTKOutOfCoreStageTests {
    @Test("ntk.compute past memory_budget writes the kernels tile by tile, equal to the in-memory stage")
    func outOfCore() throws {
        let text = """
        pipeline: k
        seed: 2
        stages:
          data:  { use: data.synthetic, with: { train: 500, test: 7, input_dim: 5, teacher: linear, outputs: 3 } }
          model: { use: model.mlp, from: { data: data }, with: { hidden: [8, 6], activation: tanh, bias: true } }
          ntk:   { use: ntk.compute, from: { model: model, data: data } }
          ooc:   { use: ntk.compute, from: { model: model, data: data }, with: { memory_budget: 1 } }
        """
        let (result, folder) = try runPipeline(text)
        let inMemory = try #require(result.artifacts["ntk"]), tiled = try #require(result.artifacts["ooc"])
        #expect(tiled.summary["out_of_core"] == .bool(true))
        #expect(inMemory.summary["out_of_core"] == nil)
        for name in ["ntk", "trace", "test"] {
            let x = try member(tiled, name).asDoubles(), y = try member(inMemory, name).asDoubles()
            let a = try Matrix<Double>(rows: 1, columns: x.count, elements: x)
            let b = try Matrix<Double>(rows: 1, columns: y.count, elements: y)
            #expect(try member(tiled, name).shape == member(inMemory, name).shape)
            #expect(a.relativeDifference(to: b) < 1e-12, "\(name)")
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("ooc/ntk.tiles.json").path))
        func count(_ v: Value?) -> Int? { v?.intValue ?? v?.doubleValue.map { Int($0) } }
        // 1 MB: 5 tile buffers of 125² float64 and two blocks of 125 rows × (5 + 3·14) values: 4 blocks of 125 rows,
        // 10 train tiles and 4 test tiles.
        #expect(count(tiled.summary["tiles"]) == 14 && count(tiled.summary["block_rows"]) == 125)
        #expect(count(tiled.summary["computed_tiles"]) == 14 && count(tiled.summary["resumed_tiles"]) == 0)

        // A killed attempt: its files kept as ooc.failed/ (as the engine keeps a resumable stage's files), two
        // tiles not yet in the tile map and their rows garbage. The re-run adopts the files and computes only those.
        let fm = FileManager.default
        let done = folder.appendingPathComponent("ooc"), failed = folder.appendingPathComponent("ooc.failed")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: done.appendingPathComponent(".complete"))) as! [String: Any]
        let key = try #require(record["key"] as? String)
        try fm.createDirectory(at: failed, withIntermediateDirectories: true)
        let names = ["ntk.npy", "trace.npy", "test.npy", "ntk.tiles.json"]
        for name in names { try fm.moveItem(at: done.appendingPathComponent(name), to: failed.appendingPathComponent(name)) }
        try fm.removeItem(at: done)
        try Data("1\n".utf8).write(to: failed.appendingPathComponent(".tangent-failed"))
        try Data(([key] + names).joined(separator: "\n").utf8).write(to: failed.appendingPathComponent(".tangent-resumable"))
        let mapURL = failed.appendingPathComponent("ntk.tiles.json")
        var map = try JSONSerialization.jsonObject(with: Data(contentsOf: mapURL)) as! [String: Any]
        map["done"] = (map["done"] as! [Int]).filter { $0 != 1 && $0 != 4 }
        try JSONSerialization.data(withJSONObject: map).write(to: mapURL)
        let file = try TiledNPYFile(url: failed.appendingPathComponent("ntk.npy"), dtype: .float64, shape: [3, 500, 500], resume: true)
        // Tiles of 125 rows: tile 1 is (rows 0..<125, columns 125..<250), tile 4 is (125..<250, 125..<250).
        let garbage = [Double](repeating: .nan, count: 125)
        try garbage.withUnsafeBufferPointer { try file.write($0, atElement: 0 * 500 + 125) }
        try garbage.withUnsafeBufferPointer { try file.write($0, atElement: 130 * 500 + 125) }
        let pipeline = try PipelineLoader.load(text: text, file: folder.appendingPathComponent("pipeline.yaml").path,
                                               overrides: [], registry: builtinRegistry)
        let again = try PipelineRunner(options: RunOptions(outputDirectory: folder, progress: SilentProgress())).run(pipeline)
        let resumed = try #require(again.artifacts["ooc"])
        #expect(count(resumed.summary["computed_tiles"]) == 2 && count(resumed.summary["resumed_tiles"]) == 12,
                "\(resumed.summary)")
        for name in ["ntk", "trace", "test"] {
            #expect(try member(resumed, name).asDoubles() == member(tiled, name).asDoubles(), "\(name)")
        }
        #expect(!fm.fileExists(atPath: folder.appendingPathComponent("ooc/.tangent-resumable").path))
    }
}

@Suite("ntk.snapshots out of core")
struct NTKSnapshotsOutOfCoreTests {
    @Test("ntk.snapshots past memory_budget writes every snapshot's kernels tile by tile, equal to the in-memory stage")
    func snapshots() throws {
        let text = """
        pipeline: k
        seed: 4
        stages:
          data:  { use: data.synthetic, with: { train: 400, test: 9, input_dim: 5, teacher: linear, outputs: 2 } }
          model: { use: model.mlp, from: { data: data }, with: { hidden: [8, 6], activation: relu, bias: true } }
          train: { use: train.gd, from: { data: data, model: model }, with: { steps: 30, learning_rate: 0.1, snapshots: { every: 10 } } }
          snaps: { use: ntk.snapshots, from: { trajectory: train, data: data }, with: { stride: 2 } }
          ooc:   { use: ntk.snapshots, from: { trajectory: train, data: data }, with: { stride: 2, memory_budget: 1 } }
        """
        let (result, folder) = try runPipeline(text)
        let inMemory = try #require(result.artifacts["snaps"]), tiled = try #require(result.artifacts["ooc"])
        #expect(tiled.summary["out_of_core"] == .bool(true))
        for name in ["ntk", "trace", "test", "times"] {
            #expect(try member(tiled, name).shape == member(inMemory, name).shape, "\(name)")
            let x = try member(tiled, name).asDoubles(), y = try member(inMemory, name).asDoubles()
            let a = try Matrix<Double>(rows: 1, columns: x.count, elements: x)
            let b = try Matrix<Double>(rows: 1, columns: y.count, elements: y)
            #expect(a.relativeDifference(to: b) < 1e-12, "\(name)")
        }
        // Snapshots 0, 2 and the last (3): three models of 6 train tiles (3 blocks of 134 rows) and 3 test tiles.
        #expect(try member(tiled, "ntk").shape == [3, 2, 400, 400])
        #expect(tiled.summary["tiles"]?.intValue == 27 && tiled.summary["block_rows"]?.intValue == 134)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("ooc/times.npy").path))
    }
}

@Suite("Kernel sanity checks")
struct KernelSanityTests {
    @Test("an eigenvalue negative beyond rounding is found and reported; a PSD kernel passes")
    func negativeEigenvalue() throws {
        var rng = Xoshiro256StarStar(seed: 8)
        let x = Matrix<Double>.randomNormal(rows: 12, columns: 4, using: &rng)
        let psd = x.gram()                                   // rank 4: zero eigenvalues, but PSD up to rounding
        #expect(try TangentNTK.negativeEigenvalue(of: psd) == nil)
        var indefinite = psd
        for i in 0..<12 { indefinite[i, i] -= 0.5 }            // shifts every eigenvalue down by 0.5
        let lambda = try #require(try TangentNTK.negativeEigenvalue(of: indefinite))
        #expect(abs(lambda + 0.5) < 1e-10)
    }
}
