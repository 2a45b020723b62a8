import Foundation
import TangentCore

/// The plan of an out-of-core NTK computation (`outOfCoreNTK`): square row-block tiles of the kernels, the upper
/// triangle (I ≤ J) of the train kernels mirrored on write, then every test-block × train-block tile; for each of
/// `models` models (the snapshots of `ntk.snapshots`, one for `ntk.compute`) in turn.
///
/// The working memory of a tile is `workingBytes` ≤ the budget (unless one row per block is already more):
/// (L+2) tile buffers of B × B (the L layer factors, the head's kernel, the trace) and, for the two row blocks, the
/// layer inputs, φ' and one head's backward signals (B·(d + 3·Σ hidden) each). B is the largest that fits, with the
/// rows split evenly between the blocks. Nothing in it grows with N beyond B.
public struct NTKTilePlan: Sendable, Equatable {
    public let n: Int
    public let nTest: Int
    public let heads: Int
    /// Models whose kernels are computed in turn (a leading time axis in the files when there are snapshots).
    public let models: Int
    /// Rows (and columns) of a tile.
    public let blockRows: Int
    public let bytesPerElement: Int
    /// Bytes of the output files (ntk.npy, trace.npy and test.npy, headers included).
    public let diskBytes: Int
    /// Floating-point operations of the whole computation (every model's tiles, with their forward passes and
    /// backward signals).
    public let flops: Double
    /// The rate assumed for `estimatedSeconds`, GFLOP/s.
    public let rateGFLOPS: Double
    /// Bytes of the (L+2) tile buffers.
    public let tileBytes: Int
    /// Bytes of the two row blocks' activations, derivatives and backward signals.
    public let blockBytes: Int

    public var trainBlocks: Int { (n + blockRows - 1) / blockRows }
    public var testBlocks: Int { (nTest + blockRows - 1) / blockRows }
    public var trainTiles: Int { trainBlocks * (trainBlocks + 1) / 2 }
    /// Tiles of one model's kernels.
    public var tilesPerModel: Int { trainTiles + testBlocks * trainBlocks }
    public var tileCount: Int { models * tilesPerModel }
    public var workingBytes: Int { tileBytes + blockBytes }
    public var estimatedSeconds: Double { flops / (rateGFLOPS * 1e9) }

    /// Plans N (and N_test) for `architecture` so that one tile's working memory fits `budget` bytes.
    /// `rateGFLOPS` defaults to what `tangent bench ntk` measured on a 2-core machine (AVX-512: 95 float64,
    /// 170 float32; AVX2: 50 and 90).
    public init(n: Int, nTest: Int, models: Int = 1, timeAxis: Bool = false, architecture arch: MLPArchitecture,
                bytesPerElement: Int, budget: Int, rateGFLOPS: Double? = nil) {
        let layers = arch.layerCount, size = bytesPerElement
        let widths = arch.widths
        let rowBytes = (widths[0] + 3 * widths.dropFirst().dropLast().reduce(0, +)) * size
        func working(_ b: Int) -> Int { (layers + 2) * b * b * size + 2 * b * rowBytes }
        // The largest even split whose tile fits: start from the quadratic's root, then step.
        let a = Double((layers + 2) * size), bq = Double(2 * rowBytes), cq = Double(max(budget, 1))
        let root = max(1, Int((-bq + (bq * bq + 4 * a * cq).squareRoot()) / (2 * a)))
        let total = max(n, 1)
        var blocks = max(1, (total + root - 1) / root)
        var rows = (total + blocks - 1) / blocks
        while rows > 1 && working(rows) > budget { blocks += 1; rows = (total + blocks - 1) / blocks }
        self.n = n
        self.nTest = nTest
        self.models = models
        heads = arch.outputs
        blockRows = rows
        self.bytesPerElement = size
        tileBytes = (layers + 2) * rows * rows * size
        blockBytes = 2 * rows * rowBytes
        // Bytes on disk and flops in floating point first: validation plans absurd sizes too, and must report them,
        // not overflow.
        let lead = timeAxis || models > 1 ? [models] : []
        let (cD, nD, tD, tiers) = (Double(arch.outputs), Double(n), Double(nTest), Double(max(models, 1)))
        let estimate = (tiers * cD * nD * nD + tiers * nD * nD + tiers * cD * tD * nD) * Double(size)
        if estimate < 1e17 {
            let dtype: NPYDType = size == 4 ? .float32 : .float64
            var disk = TiledNPYFile.byteCount(dtype: dtype, shape: lead + [arch.outputs, n, n])
                + TiledNPYFile.byteCount(dtype: dtype, shape: lead + [n, n])
            if nTest > 0 { disk += TiledNPYFile.byteCount(dtype: dtype, shape: lead + [arch.outputs, nTest, n]) }
            diskBytes = disk
        } else {
            diskBytes = Int.max
        }
        // A tile of r × s (diagonal: r = s, upper triangle only in the signal Grams): the forward passes of its row
        // blocks, the L layer-factor GEMMs, and per head the backward-signal GEMMs and the fused Gram + Hadamard.
        let w = widths.map(Double.init)
        let forwardPerRow = (0..<layers).reduce(0.0) { $0 + 2 * w[$1] * w[$1 + 1] }
        func tileFlops(_ r: Double, _ s: Double, diagonal: Bool) -> Double {
            let blockRows = diagonal ? r : r + s
            var total = forwardPerRow * blockRows
            for l in 0..<layers { total += 2 * r * s * w[l] }
            var perHead = 0.0
            for l in 0..<(layers - 1) { perHead += (diagonal ? r * (r + 1) : 2 * r * s) * w[l + 1] }
            for l in 0..<max(layers - 2, 0) { perHead += 2 * blockRows * w[l + 2] * w[l + 1] }
            return total + Double(arch.outputs) * perHead
        }
        // Every block has B rows but the last (the remainder): count the tiles of each shape.
        let b = Double(rows)
        let (fullTrain, lastTrain) = (Double(n / rows), Double(n % rows))
        let (fullTest, lastTest) = (Double(nTest / rows), Double(nTest % rows))
        var work = fullTrain * tileFlops(b, b, diagonal: true)
            + fullTrain * (fullTrain - 1) / 2 * tileFlops(b, b, diagonal: false)
        if lastTrain > 0 {
            work += tileFlops(lastTrain, lastTrain, diagonal: true) + fullTrain * tileFlops(b, lastTrain, diagonal: false)
        }
        for (count, r) in [(fullTest, b), (lastTest > 0 ? 1 : 0, lastTest)] where count > 0 {
            work += count * (fullTrain * tileFlops(r, b, diagonal: false)
                             + (lastTrain > 0 ? tileFlops(r, lastTrain, diagonal: false) : 0))
        }
        flops = work * Double(models)
        let avx512 = Threads.usesAVX512
        self.rateGFLOPS = rateGFLOPS ?? (size == 4 ? (avx512 ? 170 : 90) : (avx512 ? 95 : 50))
    }

    /// One line: tiles, block size, bytes on disk, working memory, estimated time.
    public var summary: String {
        var tiles = nTest > 0 ? "\(tilesPerModel) tiles (\(trainTiles) train, upper triangle of \(trainBlocks)×\(trainBlocks), "
            + "and \(testBlocks)×\(trainBlocks) test)" : "\(tilesPerModel) tiles (upper triangle of \(trainBlocks)×\(trainBlocks))"
        if models > 1 { tiles += " for each of \(models) models" }
        return "out of core: \(tiles) of \(blockRows) rows, \(ntkBytes(Double(diskBytes))) on disk, "
            + "\(ntkBytes(Double(workingBytes))) of working memory, "
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
/// `test.npy` (C × N_test × N) tile by tile into `folder`, without holding any kernel in memory. See
/// `outOfCoreNTK(models:…)`.
public func outOfCoreNTK<Scalar: TangentScalar>(_ model: MLP, inputs x: Matrix<Double>, testInputs: Matrix<Double>? = nil,
                                               options: NTKOptions, folder: URL, as _: Scalar.Type = Scalar.self,
                                               outOfCore: OutOfCoreOptions = OutOfCoreOptions(), rateGFLOPS: Double? = nil,
                                               log: (String) -> Void = { _ in },
                                               progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> OutOfCoreNTKResult {
    try outOfCoreNTK(models: 1, architecture: model.architecture, model: { _ in model }, timeAxis: false, inputs: x,
                     testInputs: testInputs, options: options, folder: folder, as: Scalar.self, outOfCore: outOfCore,
                     rateGFLOPS: rateGFLOPS, log: log, progress: progress)
}

/// Computes the kernels of `models` models of one architecture (the snapshots of a training run) tile by tile into
/// `folder`: `ntk.npy` ((T,) C × N × N), `trace.npy` ((T,) N × N) and, with test inputs, `test.npy`
/// ((T,) C × N_test × N); the leading axis T is there when `timeAxis` is set.
///
/// Each tile (I, J) of B rows × B columns is computed from the two row blocks alone: their forward pass (layer
/// inputs x_l and φ'), the layer factors A_l[I,J] = c_W·a_l²·x_l[I]·x_l[J]ᵀ + c_b·β_l² (GEMM), and per head the
/// backward signals δ^c_l of both blocks and Θ^c[I,J] = A_L[I,J] + Σ_{l<L} A_l[I,J] ⊙ (δ^c_l[I]·δ^c_l[J]ᵀ) by the
/// fused Gram + Hadamard kernel (upper triangle on the diagonal tiles, then mirrored). Tiles are written with
/// `pwrite` into pre-sized `.npy` files, and the train tiles off the diagonal also as their transpose (tile (J, I)).
/// After each tile the files are flushed (fdatasync) and the tile map `ntk.tiles.json` is rewritten atomically; a
/// later call with the same plan skips the tiles it lists. Resident memory beyond the inputs, the weights and the
/// kernel's packing buffers is the plan's `workingBytes` (≤ the budget), whatever N is.
///
/// Refuses (`.tooLarge`, with the figures) when the disk lacks room for the files.
public func outOfCoreNTK<Scalar: TangentScalar>(models count: Int, architecture arch: MLPArchitecture,
                                               model: (Int) throws -> MLP, timeAxis: Bool, inputs x: Matrix<Double>,
                                               testInputs: Matrix<Double>? = nil, options: NTKOptions, folder: URL,
                                               as _: Scalar.Type = Scalar.self,
                                               outOfCore: OutOfCoreOptions = OutOfCoreOptions(), rateGFLOPS: Double? = nil,
                                               log: (String) -> Void = { _ in },
                                               progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> OutOfCoreNTKResult {
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
    guard count >= 1, timeAxis || count == 1 else {
        throw NumericsError(.invalidArgument, "out-of-core kernels of \(count) models need a time axis")
    }
    let n = x.rows, nTest = testInputs?.rows ?? 0, c = arch.outputs, layerCount = arch.layerCount
    let size = MemoryLayout<Scalar>.size
    let plan = NTKTilePlan(n: n, nTest: nTest, models: count, timeAxis: timeAxis, architecture: arch, bytesPerElement: size,
                           budget: options.memoryBudget ?? 256 << 20, rateGFLOPS: rateGFLOPS)
    let dtype: NPYDType = size == 4 ? .float32 : .float64
    let mapURL = folder.appendingPathComponent(ntkTileMapName)
    let fingerprint: [String: Any] = ["n": n, "n_test": nTest, "heads": c, "block_rows": plan.blockRows,
                                      "models": count, "dtype": dtype.rawValue, "weighting": options.weighting.rawValue]

    // The tile map of an earlier call with the same plan.
    var done = Set<Int>()
    if outOfCore.resume, let data = try? Data(contentsOf: mapURL),
       let map = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       fingerprint.allSatisfy({ key, value in (map[key] as? NSObject)?.isEqual(value) ?? false }),
       let tiles = map["done"] as? [Int] {
        done = Set(tiles.filter { (0..<plan.tileCount).contains($0) })
    }
    let lead = timeAxis ? [count] : []
    let names = ["ntk", "trace"] + (nTest > 0 ? ["test"] : [])
    let shapes = [lead + [c, n, n], lead + [n, n]] + (nTest > 0 ? [lead + [c, nTest, n]] : [])
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

    // Tile index within a model → (is test, row range, column range).
    var tiles: [(test: Bool, rows: Range<Int>, columns: Range<Int>)] = []
    func block(_ i: Int, _ total: Int) -> Range<Int> { (i * plan.blockRows)..<min((i + 1) * plan.blockRows, total) }
    for i in 0..<plan.trainBlocks { for j in i..<plan.trainBlocks { tiles.append((false, block(i, n), block(j, n))) } }
    for i in 0..<plan.testBlocks { for j in 0..<plan.trainBlocks { tiles.append((true, block(i, nTest), block(j, n))) } }

    var computed: [Int] = []
    progress(done.count, plan.tileCount)
    models: for t in 0..<count {
        let first = t * plan.tilesPerModel
        guard (first..<(first + plan.tilesPerModel)).contains(where: { !done.contains($0) }) else { continue }
        let current = try model(t)
        guard current.architecture == arch else {
            throw NumericsError(.shapeMismatch, "model \(t) has another architecture than the plan's")
        }
        let tiler = NTKTiler<Scalar>(model: current, options: options)
        // The row block's forward pass is kept while consecutive tiles share it.
        var rowPass: (key: (Bool, Range<Int>), walk: LayerWalk<Scalar>)? = nil
        for (local, tile) in tiles.enumerated() where !done.contains(first + local) {
            if let limit = outOfCore.maxTiles, computed.count >= limit { break models }
            let (rows, columns) = (tile.rows, tile.columns)
            let diagonal = !tile.test && rows == columns
            if rowPass == nil || rowPass!.key != (tile.test, rows) {
                rowPass = nil  // release it before the next one is made
                rowPass = ((tile.test, rows), try tiler.forward(tile.test ? testInputs!.rows(rows) : x.rows(rows)))
            }
            let rowWalk = rowPass!.walk
            let columnWalk = diagonal ? rowWalk : try tiler.forward(x.rows(columns))
            let factors = try tiler.factors(rowWalk, columnWalk)
            var trace = Matrix<Scalar>(rows: tile.test ? 0 : rows.count, columns: tile.test ? 0 : columns.count)
            let file = tile.test ? files[2] : files[0]
            let height = tile.test ? nTest : n
            for head in 0..<c {
                let theta = try tiler.kernel(head: head, factors: factors, rowWalk, columnWalk, diagonal: diagonal)
                if !tile.test { trace += theta }
                let slab = (t * c + head) * height
                try writeTile(theta, to: file, slab: slab, rows: rows, columns: columns, width: n)
                if !tile.test && !diagonal {
                    try writeTileTransposed(theta, to: file, slab: (t * c + head) * n, rows: rows, columns: columns, width: n)
                }
            }
            if !tile.test {
                try writeTile(trace, to: files[1], slab: t * n, rows: rows, columns: columns, width: n)
                if !diagonal { try writeTileTransposed(trace, to: files[1], slab: t * n, rows: rows, columns: columns, width: n) }
            }
            for file in files { try file.sync() }
            done.insert(first + local)
            try saveMap()
            computed.append(first + local)
            progress(done.count, plan.tileCount)
        }
    }
    if done.isEmpty { try saveMap() }
    return OutOfCoreNTKResult(plan: plan, computedTiles: computed, resumedTiles: resumed,
                              complete: done.count == plan.tileCount)
}

/// The arithmetic of one out-of-core tile for one model, in one precision.
struct NTKTiler<Scalar: TangentScalar> {
    let model: MLP
    let arch: MLPArchitecture
    let options: NTKOptions
    let weights: [Matrix<Scalar>]
    let biases: [[Scalar]]

    init(model: MLP, options: NTKOptions) {
        self.model = model
        arch = model.architecture
        self.options = options
        weights = model.weights.map { $0.converted(to: Scalar.self) }
        biases = model.biases.map { $0.map { Scalar($0) } }
    }

    /// The layer inputs and φ' of a block of rows.
    func forward(_ x: Matrix<Double>) throws -> LayerWalk<Scalar> {
        try model.walk(x.converted(to: Scalar.self), weights: weights, biases: biases, keepDerivatives: true)
    }

    /// A_l[I,J] = c_W·a_l²·x_l[I]·x_l[J]ᵀ + c_b·β_l² for every layer l (GEMM).
    func factors(_ rows: LayerWalk<Scalar>, _ columns: LayerWalk<Scalar>) throws -> [Matrix<Scalar>] {
        try (0..<arch.layerCount).map { l in
            try layerFactor(rows.inputs[l], columns.inputs[l],
                            scales: arch.ntkFactorScales(layer: l, weighting: options.weighting))
        }
    }

    /// δ^c_l of a block for l = 0 … L−1 (`backwardSignal`, as in `empiricalNTK`).
    func signals(head: Int, _ pass: LayerWalk<Scalar>) throws -> [Matrix<Scalar>] {
        var out = [Matrix<Scalar>](repeating: Matrix(rows: 0, columns: 0), count: arch.layerCount - 1)
        var delta: Matrix<Scalar>? = nil
        for l in stride(from: arch.layerCount - 2, through: 0, by: -1) {
            delta = try backwardSignal(head: head, layer: l, previous: delta, rows: pass.inputs[0].rows,
                                       weights: weights, derivative: pass.derivatives[l], architecture: arch)
            out[l] = delta!
        }
        return out
    }

    /// Θ^c[I,J] = A_L + Σ_{l<L} A_l ⊙ (δ^c_l[I]·δ^c_l[J]ᵀ) by the fused kernel; on a diagonal tile the upper
    /// triangle, then mirrored.
    func kernel(head: Int, factors: [Matrix<Scalar>], _ rows: LayerWalk<Scalar>, _ columns: LayerWalk<Scalar>,
                diagonal: Bool) throws -> Matrix<Scalar> {
        let rowSignals = try signals(head: head, rows)
        let columnSignals = diagonal ? rowSignals : try signals(head: head, columns)
        let last = arch.layerCount - 1
        if diagonal && last > 0 {
            // The first Gram writes A_L + A_0 ⊙ (δδᵀ) into a fresh buffer (no copy of A_L first).
            var theta = try Matrix.upperGramHadamard(of: rowSignals[0], factor: factors[0], plus: factors[last])
            for l in 1..<last { try theta.addUpperGramHadamard(of: rowSignals[l], factor: factors[l]) }
            theta.symmetrizeFromUpper()
            return theta
        }
        var theta = factors[last]
        for l in 0..<last {
            if diagonal {
                try theta.addUpperGramHadamard(of: rowSignals[l], factor: factors[l])
            } else {
                try theta.addCrossHadamard(of: rowSignals[l], columnSignals[l], factor: factors[l])
            }
        }
        if diagonal { theta.symmetrizeFromUpper() }
        return theta
    }
}

/// Writes tile `m` (rows × columns of the kernel) into `file` at rows `slab + rows`, columns `columns`.
func writeTile<Scalar: TangentScalar>(_ m: Matrix<Scalar>, to file: TiledNPYFile, slab: Int, rows: Range<Int>,
                                      columns: Range<Int>, width: Int) throws {
    try m.elements.withUnsafeBufferPointer { buffer in
        for (k, row) in rows.enumerated() {
            let piece = UnsafeBufferPointer(rebasing: buffer[(k * m.columns)..<((k + 1) * m.columns)])
            try file.write(piece, atElement: (slab + row) * width + columns.lowerBound)
        }
    }
}

/// Writes the transpose of tile `m` (the mirrored tile: rows `columns`, columns `rows`), 256 rows at a time.
func writeTileTransposed<Scalar: TangentScalar>(_ m: Matrix<Scalar>, to file: TiledNPYFile, slab: Int, rows: Range<Int>,
                                                columns: Range<Int>, width: Int) throws {
    for start in stride(from: 0, to: columns.count, by: 256) {
        let strip = m.transposed(columns: start..<min(start + 256, columns.count))
        let stripRows = (columns.lowerBound + start)..<(columns.lowerBound + start + strip.rows)
        try writeTile(strip, to: file, slab: slab, rows: stripRows, columns: rows, width: width)
    }
}

/// Bytes in binary units, as the stages print them.
func ntkBytes(_ bytes: Double) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = bytes, unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    if unit == 0 { return "\(Int(value)) B" }
    return value < 1e4 ? String(format: "%.1f %@", value, units[unit]) : String(format: "%.2g %@", value, units[unit])
}
