import Foundation
import TangentCore

/// The plan of an out-of-core NTK computation (`outOfCoreNTK`): square row-block tiles of the kernels, the upper
/// triangle (I ≤ J) of the train kernels mirrored on write, then every test-block × train-block tile.
public struct NTKTilePlan: Sendable, Equatable {
    public let n: Int
    public let nTest: Int
    public let heads: Int
    /// Rows (and columns) of a tile.
    public let blockRows: Int
    public let bytesPerElement: Int
    /// Bytes of the output files (ntk.npy, trace.npy and test.npy, headers included).
    public let diskBytes: Int
    /// Floating-point operations of the whole computation (tiles and the per-tile backward signals).
    public let flops: Double
    /// The rate assumed for `estimatedSeconds`, GFLOP/s.
    public let rateGFLOPS: Double
    /// Bytes the tiles' temporaries take at most ((L+1) layer-factor tiles and 5 tile buffers).
    public let tileBytes: Int

    public var trainBlocks: Int { (n + blockRows - 1) / blockRows }
    public var testBlocks: Int { (nTest + blockRows - 1) / blockRows }
    public var trainTiles: Int { trainBlocks * (trainBlocks + 1) / 2 }
    public var tileCount: Int { trainTiles + testBlocks * trainBlocks }
    public var estimatedSeconds: Double { flops / (rateGFLOPS * 1e9) }

    /// Plans N (and N_test) for `architecture` so that one tile's temporaries fit `budget` bytes.
    public init(n: Int, nTest: Int, architecture arch: MLPArchitecture, bytesPerElement: Int, budget: Int,
                rateGFLOPS: Double? = nil) {
        let layers = arch.layerCount
        let perElement = (layers + 5) * bytesPerElement
        let side = Int((Double(max(budget, 1)) / Double(perElement)).squareRoot())
        let blockRows = max(1, min(max(n, nTest, 1), side))
        self.n = n
        self.nTest = nTest
        heads = arch.outputs
        self.blockRows = blockRows
        self.bytesPerElement = bytesPerElement
        tileBytes = perElement * blockRows * blockRows
        let dtype: NPYDType = bytesPerElement == 4 ? .float32 : .float64
        var disk = TiledNPYFile.byteCount(dtype: dtype, shape: [arch.outputs, n, n])
            + TiledNPYFile.byteCount(dtype: dtype, shape: [n, n])
        if nTest > 0 { disk += TiledNPYFile.byteCount(dtype: dtype, shape: [arch.outputs, nTest, n]) }
        diskBytes = disk
        // Per tile of r × s: the layer-factor GEMMs, per head the signal Grams and Hadamards and the backward
        // signals of both row blocks.
        let w = arch.widths.map(Double.init)
        func tileFlops(_ r: Double, _ s: Double) -> Double {
            var total = 0.0
            for l in 0..<layers { total += 2 * r * s * w[l] + r * s }
            var perHead = 0.0
            for l in 0..<(layers - 1) { perHead += 2 * r * s * w[l + 1] + 3 * r * s }
            for l in 1..<max(layers - 1, 1) { perHead += 2 * (r + s) * w[l + 1] * w[l] }
            return total + Double(arch.outputs) * perHead
        }
        func sizes(_ total: Int) -> [Double] {
            stride(from: 0, to: total, by: blockRows).map { Double(min(blockRows, total - $0)) }
        }
        let train = sizes(n), test = sizes(nTest)
        var work = 0.0
        for i in train.indices { for j in i..<train.count { work += tileFlops(train[i], train[j]) } }
        for r in test { for s in train { work += tileFlops(r, s) } }
        flops = work
        self.rateGFLOPS = rateGFLOPS ?? (bytesPerElement == 4 ? 60 : 30)
    }

    /// One line: tiles, block size, bytes on disk, estimated time.
    public var summary: String {
        let tiles = nTest > 0 ? "\(tileCount) tiles (\(trainTiles) train, upper triangle of \(trainBlocks)×\(trainBlocks), "
            + "and \(testBlocks)×\(trainBlocks) test)" : "\(tileCount) tiles (upper triangle of \(trainBlocks)×\(trainBlocks))"
        return "out of core: \(tiles) of \(blockRows) rows, \(ntkBytes(Double(diskBytes))) on disk, "
            + "\(ntkBytes(Double(tileBytes))) of tile buffers, "
            + String(format: "%.3g GFLOP, about %.0f s at an assumed %.0f GFLOP/s", flops * 1e-9, estimatedSeconds, rateGFLOPS)
    }
}

/// Settings of `outOfCoreNTK` besides the plan.
public struct OutOfCoreOptions: Sendable {
    /// Compute at most this many tiles in this call (the rest on a later call, which resumes); nil = all.
    public var maxTiles: Int?
    /// The bytes free on the output folder's disk; nil = measured (statvfs). A seam for tests.
    public var availableBytes: Int?
    /// Continue from the tile map when one matching the plan is there (otherwise start over).
    public var resume: Bool

    public init(maxTiles: Int? = nil, availableBytes: Int? = nil, resume: Bool = true) {
        self.maxTiles = maxTiles
        self.availableBytes = availableBytes
        self.resume = resume
    }
}

/// What `outOfCoreNTK` did.
public struct OutOfCoreNTKResult: Sendable {
    public let plan: NTKTilePlan
    /// Tiles computed by this call.
    public let computedTiles: [Int]
    /// Tiles found finished in the tile map.
    public let resumedTiles: Int
    /// True when every tile is finished.
    public let complete: Bool
}

/// The name of the tile map beside the outputs.
public let ntkTileMapName = "ntk.tiles.json"

/// Computes the per-head kernels (`ntk.npy`, C × N × N), their trace (`trace.npy`, N × N) and, with test inputs,
/// `test.npy` (C × N_test × N) tile by tile into `folder`, without holding any kernel in memory.
///
/// Each tile (I, J) of B rows × B columns is computed from the two row blocks' layer inputs and backward signals
/// with the arithmetic of the blocked in-memory path (A_l[I,J] = c_W·a_l²·X_{l−1}[I]·X_{l−1}[J]ᵀ + c_b·β_l², times
/// δ^c_l[I]·δ^c_l[J]ᵀ, summed over l in order), written with `pwrite` into pre-sized `.npy` files and mirrored
/// (tile (J, I) = transpose). After each tile the files are flushed (fdatasync) and the tile map `ntk.tiles.json`
/// is rewritten atomically; a later call with the same plan skips the tiles it lists. Resident memory beyond the
/// inputs and the forward activations is the plan's `tileBytes` (≤ the budget) plus small buffers.
///
/// Refuses (`.tooLarge`, with the figures) when the disk lacks room for the files.
public func outOfCoreNTK<Scalar: TangentScalar>(_ model: MLP, inputs x: Matrix<Double>, testInputs: Matrix<Double>? = nil,
                                               options: NTKOptions, folder: URL, as _: Scalar.Type = Scalar.self,
                                               outOfCore: OutOfCoreOptions = OutOfCoreOptions(), rateGFLOPS: Double? = nil,
                                               log: (String) -> Void = { _ in },
                                               progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> OutOfCoreNTKResult {
    let arch = model.architecture
    guard x.columns == arch.inputDimension else {
        throw NumericsError(.shapeMismatch, "the model takes \(arch.inputDimension) input features, X has \(x.columns)")
    }
    if let t = testInputs, t.rows > 0, t.columns != arch.inputDimension {
        throw NumericsError(.shapeMismatch, "the model takes \(arch.inputDimension) input features, X_test has \(t.columns)")
    }
    guard !options.crossHeads && !options.perLayer else {
        throw NumericsError(.invalidArgument, "out-of-core kernels do not support cross_heads or per_layer; "
                            + "drop them or raise memory_budget so the kernels fit in memory")
    }
    let n = x.rows, nTest = testInputs?.rows ?? 0, c = arch.outputs, layerCount = arch.layerCount
    let size = MemoryLayout<Scalar>.size
    let plan = NTKTilePlan(n: n, nTest: nTest, architecture: arch, bytesPerElement: size,
                           budget: options.memoryBudget ?? 256 << 20, rateGFLOPS: rateGFLOPS)
    let dtype: NPYDType = size == 4 ? .float32 : .float64
    let mapURL = folder.appendingPathComponent(ntkTileMapName)
    let fingerprint: [String: Any] = ["n": n, "n_test": nTest, "heads": c, "block_rows": plan.blockRows,
                                      "dtype": dtype.rawValue, "weighting": options.weighting.rawValue]

    // The tile map of an earlier call with the same plan.
    var done = Set<Int>()
    if outOfCore.resume, let data = try? Data(contentsOf: mapURL),
       let map = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       fingerprint.allSatisfy({ key, value in (map[key] as? NSObject)?.isEqual(value) ?? false }),
       let tiles = map["done"] as? [Int] {
        done = Set(tiles)
    }
    let names = ["ntk", "trace"] + (nTest > 0 ? ["test"] : [])
    let shapes = [[c, n, n], [n, n]] + (nTest > 0 ? [[c, nTest, n]] : [])
    // Disk room: everything not already in files of the right size.
    let existing = zip(names, shapes).reduce(0) { sum, item in
        let url = folder.appendingPathComponent("\(item.0).npy")
        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)??.intValue ?? 0
        return sum + (done.isEmpty ? 0 : min(bytes, TiledNPYFile.byteCount(dtype: dtype, shape: item.1)))
    }
    let needed = plan.diskBytes - existing
    if let available = outOfCore.availableBytes ?? TiledNPYFile.availableBytes(in: folder), needed > available {
        throw NumericsError(.tooLarge, "the out-of-core kernels need \(ntkBytes(Double(needed))) (\(needed) bytes) on disk "
                            + "in \(folder.path) but only \(ntkBytes(Double(available))) (\(available) bytes) are free; "
                            + "free space there, use fewer samples or precision: float32")
    }
    log(plan.summary + (done.isEmpty ? "" : "; resuming: \(done.count) of \(plan.tileCount) tiles already written"))
    var files = try zip(names, shapes).map { name, shape in
        try TiledNPYFile(url: folder.appendingPathComponent("\(name).npy"), dtype: dtype, shape: shape, resume: !done.isEmpty)
    }
    if files.contains(where: { !$0.reopened }) && !done.isEmpty {
        // A file was missing or changed: its tiles are gone, start over.
        done = []
        files = try zip(names, shapes).map { name, shape in
            try TiledNPYFile(url: folder.appendingPathComponent("\(name).npy"), dtype: dtype, shape: shape, resume: false)
        }
    }
    let resumed = done.count
    func saveMap() throws {
        var map = fingerprint
        map["tiles"] = plan.tileCount
        map["done"] = done.sorted()
        let data = try JSONSerialization.data(withJSONObject: map, options: [.sortedKeys])
        try AtomicFile.write(data, to: mapURL)
    }

    let weights = model.weights.map { $0.converted(to: Scalar.self) }
    let biases = model.biases.map { $0.map { Scalar($0) } }
    let train = try model.walk(x.converted(to: Scalar.self), weights: weights, biases: biases, keepDerivatives: true)
    let test = nTest > 0
        ? try model.walk(testInputs!.converted(to: Scalar.self), weights: weights, biases: biases, keepDerivatives: true) : nil

    func factorScales(_ l: Int) -> (Scalar, Scalar) { arch.ntkFactorScales(layer: l, weighting: options.weighting) }
    /// δ^c_l of rows `range` for l = 0 … L−1 (as `empiricalNTK`'s `nextSignal`, row by row the same).
    func signals(head: Int, _ pass: LayerWalk<Scalar>, _ range: Range<Int>) throws -> [Matrix<Scalar>] {
        var out = [Matrix<Scalar>](repeating: Matrix(rows: 0, columns: 0), count: layerCount - 1)
        var delta: Matrix<Scalar>? = nil
        for l in stride(from: layerCount - 2, through: 0, by: -1) {
            let a = Scalar(arch.scaling(layer: l + 1).weightMultiplier)
            var d: Matrix<Scalar>
            if let delta {
                d = try delta.matmul(weights[l + 1], alpha: a)
            } else {
                d = Matrix<Scalar>(rows: range.count, columns: weights[l + 1].columns)
                d.addToEveryRow(weights[l + 1].row(head).map { a * $0 })
            }
            d.multiplyElementwise(by: pass.derivatives[l].rows(range))
            out[l] = d
            delta = d
        }
        return out
    }
    func write(_ m: Matrix<Scalar>, to file: TiledNPYFile, slab: Int, rows: Range<Int>, columns: Range<Int>, width: Int) throws {
        try m.elements.withUnsafeBufferPointer { buffer in
            for (k, row) in rows.enumerated() {
                let piece = UnsafeBufferPointer(rebasing: buffer[(k * m.columns)..<((k + 1) * m.columns)])
                try file.write(piece, atElement: (slab + row) * width + columns.lowerBound)
            }
        }
    }
    // Tile index → (row pass, row range, column range, is test).
    var tiles: [(test: Bool, rows: Range<Int>, columns: Range<Int>)] = []
    func block(_ i: Int, _ total: Int) -> Range<Int> { (i * plan.blockRows)..<min((i + 1) * plan.blockRows, total) }
    for i in 0..<plan.trainBlocks { for j in i..<plan.trainBlocks { tiles.append((false, block(i, n), block(j, n))) } }
    for i in 0..<plan.testBlocks { for j in 0..<plan.trainBlocks { tiles.append((true, block(i, nTest), block(j, n))) } }

    var computed: [Int] = []
    progress(done.count, plan.tileCount)
    for (index, tile) in tiles.enumerated() where !done.contains(index) {
        if let limit = outOfCore.maxTiles, computed.count >= limit { break }
        let pass = tile.test ? test! : train
        let (rows, columns) = (tile.rows, tile.columns)
        let mirrored = !tile.test && rows != columns
        let factors: [Matrix<Scalar>] = try (0..<layerCount).map { l in
            let (w, b) = factorScales(l)
            var a = try pass.inputs[l].rows(rows).matmul(train.inputs[l].rows(columns), transposeOther: true, alpha: w)
            if b != 0 { a.addConstant(b) }
            return a
        }
        var trace = Matrix<Scalar>(rows: rows.count, columns: columns.count)
        for head in 0..<c {
            let rowSignals = try signals(head: head, pass, rows)
            let columnSignals = rows == columns && !tile.test ? rowSignals : try signals(head: head, train, columns)
            var theta = Matrix<Scalar>(rows: rows.count, columns: columns.count)
            for l in 0..<layerCount {
                var a = factors[l]
                if l < layerCount - 1 {
                    a.multiplyElementwise(by: try rowSignals[l].matmul(columnSignals[l], transposeOther: true))
                }
                theta += a
            }
            if !tile.test { trace += theta }
            let file = tile.test ? files[2] : files[0]
            let height = tile.test ? nTest : n
            try write(theta, to: file, slab: head * height, rows: rows, columns: columns, width: n)
            if mirrored { try write(theta.transposed, to: file, slab: head * n, rows: columns, columns: rows, width: n) }
        }
        if !tile.test {
            try write(trace, to: files[1], slab: 0, rows: rows, columns: columns, width: n)
            if mirrored { try write(trace.transposed, to: files[1], slab: 0, rows: columns, columns: rows, width: n) }
        }
        for file in files { try file.sync() }
        done.insert(index)
        try saveMap()
        computed.append(index)
        progress(done.count, plan.tileCount)
    }
    if done.isEmpty { try saveMap() }
    return OutOfCoreNTKResult(plan: plan, computedTiles: computed, resumedTiles: resumed,
                              complete: done.count == plan.tileCount)
}

/// Bytes in binary units, as the stages print them.
func ntkBytes(_ bytes: Double) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = bytes, unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    if unit == 0 { return "\(Int(value)) B" }
    return value < 1e4 ? String(format: "%.1f %@", value, units[unit]) : String(format: "%.2g %@", value, units[unit])
}
