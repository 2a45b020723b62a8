import Foundation
import Testing
import TangentCore
@testable import TangentNTK

@Suite("Out-of-core NTK: tiles into .npy files, resume, disk check")
struct OutOfCoreNTKTests {
    func model(seed: UInt64 = 5) throws -> (MLP, Matrix<Double>, Matrix<Double>) {
        let arch = MLPArchitecture(inputDimension: 5, hidden: [7, 6], outputs: 2, activation: .tanh, bias: true,
                                   parametrization: .ntk, initScale: 1.1, biasScale: 0.5, gamma0: 1)
        var rng = Xoshiro256StarStar(seed: seed)
        let model = try MLP(architecture: arch, rng: &rng)
        return (model, Matrix.randomNormal(rows: 96, columns: 5, using: &rng), Matrix.randomNormal(rows: 20, columns: 5, using: &rng))
    }

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ooc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A budget of 40 KB: tiles of 24 rows (4 × 4 blocks, 10 train tiles and 4 test tiles) in float64: the five
    /// 24 × 24 buffers (L = 3 layer factors, the kernel, the trace) and two blocks of 24 rows of
    /// activations and signals (24 × (5 + 3·13) × 8 bytes each) take 39,936 bytes.
    let options = NTKOptions(memoryBudget: 40_000)

    func check<S: TangentScalar>(_ folder: URL, against reference: EmpiricalNTK<S>, tolerance: Double) throws {
        let ntk = try MappedNPY(url: folder.appendingPathComponent("ntk.npy"))
        let test = try MappedNPY(url: folder.appendingPathComponent("test.npy"))
        for c in 0..<2 {
            let head = try ntk.matrix(at: [c])
            #expect(head.relativeDifference(to: reference.heads[c].converted(to: Double.self)) < tolerance, "head \(c)")
            #expect(head == head.transposed, "mirrored exactly")
            #expect(try test.matrix(at: [c]).relativeDifference(to: reference.test[c].converted(to: Double.self)) < tolerance)
        }
        let trace = try MappedNPY(url: folder.appendingPathComponent("trace.npy")).matrix(at: [])
        #expect(trace.relativeDifference(to: reference.trace.converted(to: Double.self)) < tolerance)
    }

    @Test("out-of-core kernels equal the in-memory ones in float64 and float32")
    func equalsInMemory() throws {
        let (model, x, xt) = try model()
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try outOfCoreNTK(model, inputs: x, testInputs: xt, options: options, folder: dir, as: Double.self)
        #expect(result.plan.blockRows == 24 && result.plan.tileCount == 14 && result.complete)
        #expect(result.plan.workingBytes == 39_936 && result.plan.workingBytes <= 40_000)
        let reference: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x, testInputs: xt)
        try check(dir, against: reference, tolerance: 1e-12)

        let dir32 = try folder()
        defer { try? FileManager.default.removeItem(at: dir32) }
        let r32 = try outOfCoreNTK(model, inputs: x, testInputs: xt, options: options, folder: dir32, as: Float.self)
        #expect(r32.plan.tileCount > 1 && r32.complete)
        let reference32: EmpiricalNTK<Float> = try empiricalNTK(model, inputs: x, testInputs: xt)
        try check(dir32, against: reference32, tolerance: 1e-5)
        #expect(try MappedNPY(url: dir32.appendingPathComponent("ntk.npy")).dtype == .float32)
    }

    @Test("a run stopped after k tiles resumes from the tile map and computes only the rest")
    func resume() throws {
        let (model, x, xt) = try model()
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try outOfCoreNTK(model, inputs: x, testInputs: xt, options: options, folder: dir, as: Double.self,
                                     outOfCore: OutOfCoreOptions(maxTiles: 6))
        #expect(!first.complete && first.computedTiles == Array(0..<6))
        // Drop tile 2 from the map and corrupt its rows: only it and the unfinished ones are recomputed.
        let mapURL = dir.appendingPathComponent(ntkTileMapName)
        var map = try JSONSerialization.jsonObject(with: Data(contentsOf: mapURL)) as! [String: Any]
        map["done"] = (map["done"] as! [Int]).filter { $0 != 2 }
        try JSONSerialization.data(withJSONObject: map).write(to: mapURL)
        let file = try TiledNPYFile(url: dir.appendingPathComponent("ntk.npy"), dtype: .float64, shape: [2, 96, 96], resume: true)
        #expect(file.reopened)
        let garbage = [Double](repeating: .nan, count: 20)
        try garbage.withUnsafeBufferPointer { try file.write($0, atElement: 0 * 96 + 50) }  // tile (0, 2): columns 48..<72
        let second = try outOfCoreNTK(model, inputs: x, testInputs: xt, options: options, folder: dir, as: Double.self)
        #expect(second.resumedTiles == 5 && second.complete)
        #expect(second.computedTiles == [2] + Array(6..<14))
        let reference: EmpiricalNTK<Double> = try empiricalNTK(model, inputs: x, testInputs: xt)
        try check(dir, against: reference, tolerance: 1e-12)
    }

    @Test("the disk check refuses with the figures when the plan needs more room than is free")
    func diskCheck() throws {
        let (model, x, xt) = try model()
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = NTKTilePlan(n: 96, nTest: 20, architecture: model.architecture, bytesPerElement: 8, budget: 40_000)
        do {
            _ = try outOfCoreNTK(model, inputs: x, testInputs: xt, options: options, folder: dir, as: Double.self,
                                 outOfCore: OutOfCoreOptions(availableBytes: 10_000))
            Issue.record("expected a refusal")
        } catch let error as NumericsError {
            let text = "\(error)"
            #expect(text.contains("\(plan.diskBytes) bytes") && text.contains("10000 bytes"), "\(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("ntk.npy").path))
    }

    @Test("the plan's flops, counted by tile shape, equal a tile-by-tile sum; absurd sizes plan without overflow")
    func planArithmetic() throws {
        let arch = MLPArchitecture(inputDimension: 9, hidden: [7, 5, 4], outputs: 3, activation: .relu, bias: false,
                                   parametrization: .ntk, initScale: 1, biasScale: 0, gamma0: 1)
        let plan = NTKTilePlan(n: 103, nTest: 29, models: 2, timeAxis: true, architecture: arch, bytesPerElement: 8,
                               budget: 60_000)
        #expect(103 % plan.blockRows != 0 && plan.trainBlocks > 2, "uneven blocks: \(plan.blockRows)")
        #expect(plan.workingBytes <= 60_000)
        // Tile by tile: forward passes, layer-factor GEMMs, per head signal GEMMs and fused Grams.
        let w = arch.widths.map(Double.init), layers = arch.layerCount
        func tile(_ r: Double, _ s: Double, _ diagonal: Bool) -> Double {
            let rowsIn = diagonal ? r : r + s
            var total = 0.0
            for l in 0..<layers { total += 2 * rowsIn * w[l] * w[l + 1] + 2 * r * s * w[l] }
            for _ in 0..<arch.outputs {
                for l in 0..<(layers - 1) { total += (diagonal ? r * (r + 1) : 2 * r * s) * w[l + 1] }
                for l in 0..<(layers - 2) { total += 2 * rowsIn * w[l + 2] * w[l + 1] }
            }
            return total
        }
        func blocks(_ total: Int) -> [Double] {
            stride(from: 0, to: total, by: plan.blockRows).map { Double(min(plan.blockRows, total - $0)) }
        }
        var sum = 0.0
        let train = blocks(103), test = blocks(29)
        for i in train.indices { for j in i..<train.count { sum += tile(train[i], train[j], i == j) } }
        for r in test { for s in train { sum += tile(r, s, false) } }
        #expect(abs(plan.flops - 2 * sum) <= 1e-9 * sum)
        #expect(plan.diskBytes == TiledNPYFile.byteCount(dtype: .float64, shape: [2, 3, 103, 103])
                + TiledNPYFile.byteCount(dtype: .float64, shape: [2, 103, 103])
                + TiledNPYFile.byteCount(dtype: .float64, shape: [2, 3, 29, 103]))

        let huge = NTKTilePlan(n: 4_000_000_000, nTest: 0, architecture: arch, bytesPerElement: 4, budget: 1 << 20)
        #expect(huge.diskBytes == Int.max && huge.flops.isFinite && huge.flops > 0)
        #expect(huge.workingBytes <= 1 << 20)
    }
}
