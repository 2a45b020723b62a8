import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

/// The parameters of `ntk.compute` and `ntk.snapshots`.
public struct NTKParameters: ParameterGroup {
    @Param("use the first N train samples (default: all)", minimum: 1) var samples: Int?
    @Param("also compute Θ(x_test, x) when the data has a test split") var testBlock = true
    @Param("use the first N_test test samples (default: all)", minimum: 1) var testSamples: Int?
    @Param("also compute the cross-head blocks Θ^{c,d} (C·C·N² values)") var crossHeads = false
    @Param("also keep each layer's contribution ((L+1)·C·N² values)") var perLayer = false
    @Param("parameters: Σ_θ ∂f∂f'; learning_rate: each parameter weighted by its learning-rate factor")
    var weighting = NTKOptions.Weighting.parameters
    @Param("MB the computation may use beyond inputs and outputs; rows are blocked when exceeded, and kernels larger than this are computed out of core, tile by tile, within it", minimum: 1)
    var memoryBudget: Double?
    @Param("report the smallest eigenvalue of every kernel that is negative beyond rounding (a Cholesky probe per kernel)")
    var checkPsd = false

    public init() {}

    static let outputs = [
        OutputFile("ntk.npy", doc: "((T,) C, N, N) per-head kernels Θ^c, in the run's precision"),
        OutputFile("trace.npy", doc: "((T,) N, N) the trace kernel Σ_c Θ^c"),
        OutputFile("test.npy", doc: "((T,) C, N_test, N) Θ^c(x_test, x), when test inputs exist and test_block is set"),
        OutputFile("cross.npy", doc: "((T,) C, C, N, N) cross-head blocks Θ^{c,d} (cross_heads: true)"),
        OutputFile("layers.npy", doc: "((T,) L+1, C, N, N) each layer's contribution (per_layer: true)"),
        OutputFile("summary.json", doc: "shapes, precision, memory; with check_psd the negative eigenvalues found"),
        OutputFile("ntk.tiles.json", doc: "out of core only: the plan and the finished tiles (for resuming)"),
    ]

    var options: NTKOptions {
        NTKOptions(crossHeads: crossHeads, perLayer: perLayer, weighting: weighting,
                   memoryBudget: memoryBudget.map { Int($0 * 1_048_576) })
    }

    /// Checks the sample counts against the data and the memory of one model's kernels; returns the kernels' shape.
    func check(data: DatasetShape, model: MLPArchitecture, times: Int?, steps: [Int]?, dataField: some FieldReferencing,
               _ check: inout StageCheck) -> KernelShape {
        if model.inputDimension != data.inputDim {
            check.fail(dataField, "the model takes \(model.inputDimension) input features but the data has \(data.inputDim)")
        }
        if let samples, samples > data.train {
            check.warn($samples, "is \(samples) but the data has \(data.train) train samples; all \(data.train) are used")
        }
        let hasTest = testBlock && data.test > 0
        if let testSamples, hasTest, testSamples > data.test {
            check.warn($testSamples, "is \(testSamples) but the data has \(data.test) test samples; all \(data.test) are used")
        }
        let shape = shape(data: data, model: model, times: times, steps: steps)
        let memory = NTKMemory(n: shape.n, nTest: shape.nTest, architecture: model,
                               bytesPerElement: check.precision.bytes, options: options)
        let remedy = "set memory_budget (MB) to block the layer factors and, for ntk.compute, to compute the kernels "
            + "out of core into their files; or use fewer samples or precision: float32"
        if outOfCore(memory), let budget = options.memoryBudget {
            // Out of core: the kernels go tile by tile to disk; memory holds one tile's work within the budget.
            let plan = NTKTilePlan(n: shape.n, nTest: shape.nTest, models: shape.count, timeAxis: times != nil,
                                   architecture: model, bytesPerElement: check.precision.bytes, budget: budget)
            check.needsMemory(Double(plan.workingBytes), for: "kernel tiles and their row blocks (out of core)",
                              remedy: remedy)
            let blocks = Double(plan.trainBlocks), tiles = Double(shape.count) * blocks * (blocks + 1) / 2
            if tiles > 10_000 {
                check.warn($memoryBudget, "gives tiles of \(plan.blockRows) rows: \(Int(tiles)) train tiles, each computed, "
                           + "written and flushed on its own; a larger memory_budget makes fewer and faster tiles")
            }
            return shape
        }
        check.needsMemory(memory.outputEstimate, for: "one model's kernels", remedy: remedy)
        check.needsMemory(options.memoryBudget.map { min(Double($0), memory.factorEstimate) } ?? memory.factorEstimate,
                          for: "layer factors", remedy: remedy)
        check.needsMemory(memory.activationEstimate, for: "activations", remedy: remedy)
        return shape
    }

    /// True when the kernels are computed out of core (`outOfCoreNTK`): one model's kernels exceed memory_budget
    /// (each snapshot's, for ntk.snapshots), without cross-head or per-layer blocks.
    func outOfCore(_ memory: NTKMemory) -> Bool {
        guard !crossHeads, !perLayer, let budget = options.memoryBudget else { return false }
        return memory.outputEstimate > Double(budget)
    }

    /// The kernels' shape: N and N_test clamped to the data's sizes.
    func shape(data: DatasetShape, model: MLPArchitecture, times: Int?, steps: [Int]?) -> KernelShape {
        KernelShape(times: times, heads: model.outputs, n: min(samples ?? data.train, data.train),
                    nTest: testBlock && data.test > 0 ? min(testSamples ?? data.test, data.test) : 0,
                    layers: perLayer ? model.layerCount : 0, cross: crossHeads, steps: steps)
    }

    /// The train inputs (first N) and test inputs (first N_test, or nil) of the kernels.
    func inputs(_ data: Dataset, _ shape: KernelShape) -> (Matrix<Double>, Matrix<Double>?) {
        (data.trainInputs.rows(0..<shape.n), shape.nTest > 0 ? data.testInputs.rows(0..<shape.nTest) : nil)
    }

    /// Computes the kernels of each model in turn, in the run's precision, streaming them into the stage folder.
    func stream(models: Int, architecture: MLPArchitecture, model: (Int) throws -> MLP, labels: [Value], data: Dataset,
                shape: KernelShape, context: StageContext) throws -> KernelsArtifact {
        let (x, xt) = inputs(data, shape)
        let memory = NTKMemory(n: shape.n, nTest: shape.nTest, architecture: architecture,
                               bytesPerElement: context.precision.bytes, options: options)
        context.log("N = \(shape.n), N_test = \(shape.nTest), C = \(shape.heads), \(models) model(s): kernels "
                    + "\(formatBytes(memory.outputEstimate * Double(models))) on disk, layer factors "
                    + "\(formatBytes(memory.factorEstimate)), activations \(formatBytes(memory.activationEstimate))")
        if outOfCore(memory) {
            return try outOfCoreKernels(models: models, architecture: architecture, model: model, x: x, xt: xt,
                                        shape: shape, memory: memory, context: context)
        }
        context.progress.start("kernels", total: models)
        defer { context.progress.finish() }
        func run<S: TangentScalar>(_: S.Type) throws -> (negatives: [Value], blocked: Bool) {
            let streams = try KernelStreams<S>(into: context.output, shape: shape)
            var negatives: [Value] = [], blocked = false
            var computing = 0.0, writing = 0.0
            defer {
                context.log(String(format: "kernels computed in %.2f s (written meanwhile), then %.2f s waiting for the writes",
                                   computing, writing))
            }
            for (index, label) in labels.enumerated() {
                var t0 = Machine.wallSeconds()
                // Heads are written on a background queue while the next head is computed.
                let k = try empiricalNTK(try model(index), inputs: x, testInputs: xt, options: options, as: S.self) {
                    c, head, test in
                    if checkPsd, let lambda = try negativeEigenvalue(of: head) {
                        negatives.append(.object(["at": label, "head": .int(c), "smallest_eigenvalue": .double(lambda)]))
                        context.warn("head \(c) at \(label.yamlText): smallest eigenvalue \(lambda) is negative beyond rounding")
                    }
                    try streams.head(head, test: test)
                }
                computing += Machine.wallSeconds() - t0
                blocked = blocked || k.blocked
                t0 = Machine.wallSeconds()
                try streams.rest(k)
                writing += Machine.wallSeconds() - t0
                context.progress.advance(by: 1)
            }
            let t0 = Machine.wallSeconds()
            try streams.finish()
            writing += Machine.wallSeconds() - t0
            return (negatives, blocked)
        }
        let (negatives, blocked) = context.precision == .float32 ? try run(Float.self) : try run(Double.self)
        var summary: [String: Value] = [
            "n": .int(shape.n), "n_test": .int(shape.nTest), "heads": .int(shape.heads),
            "precision": .string(context.precision.rawValue), "weighting": .string(weighting.rawValue),
            "blocked": .bool(blocked),
            "output_mb": .double((memory.outputEstimate * Double(models) / 1_048_576 * 10).rounded() / 10),
        ]
        if let steps = shape.steps { summary["times"] = .list(steps.map(Value.int)) }
        if checkPsd { summary["negative_eigenvalues"] = .list(negatives) }
        return KernelsArtifact(streamed: shape, summary: summary)
    }
}

extension NTKParameters {
    /// The models' kernels tile by tile into the stage folder's ntk.npy, trace.npy (and test.npy), with the tile
    /// map ntk.tiles.json beside them (see `outOfCoreNTK` and docs/science.md).
    func outOfCoreKernels(models: Int, architecture: MLPArchitecture, model: (Int) throws -> MLP, x: Matrix<Double>,
                          xt: Matrix<Double>?, shape: KernelShape, memory: NTKMemory,
                          context: StageContext) throws -> KernelsArtifact {
        let writer = context.output
        try writer.claimArray("ntk")
        try writer.claimArray("trace")
        if shape.nTest > 0 { try writer.claimArray("test") }
        try writer.claimFile(ntkTileMapName)
        // A failed, interrupted or killed attempt keeps these for the next one (which checks the tile map's plan).
        try writer.markResumable((shape.nTest > 0 ? ["ntk.npy", "trace.npy", "test.npy"] : ["ntk.npy", "trace.npy"])
                                 + [ntkTileMapName])
        if checkPsd { context.warn("check_psd is not done out of core (the kernels are never whole in memory)") }
        var started = false
        defer { if started { context.progress.finish() } }
        let t0 = Machine.wallSeconds()
        func run<S: TangentScalar>(_: S.Type) throws -> OutOfCoreNTKResult {
            try outOfCoreNTK(models: models, architecture: architecture, model: model, timeAxis: shape.times != nil,
                             inputs: x, testInputs: xt, options: options, folder: writer.directory, as: S.self,
                             log: { context.log($0) }) { done, total in
                if !started {
                    context.progress.start("tiles", total: total)
                    if done > 0 { context.progress.advance(by: done) }
                    started = true
                } else {
                    context.progress.advance(by: 1)
                }
            }
        }
        let result = context.precision == .float32 ? try run(Float.self) : try run(Double.self)
        let seconds = Machine.wallSeconds() - t0
        context.log(String(format: "%d tiles computed in %.2f s (%.1f GFLOP/s)", result.computedTiles.count, seconds,
                           result.plan.flops * Double(result.computedTiles.count) / Double(max(result.plan.tileCount, 1))
                           / max(seconds, 1e-9) * 1e-9))
        var summary: [String: Value] = [
            "n": .int(shape.n), "n_test": .int(shape.nTest), "heads": .int(shape.heads),
            "precision": .string(context.precision.rawValue), "weighting": .string(weighting.rawValue),
            "blocked": .bool(true), "out_of_core": .bool(true), "tiles": .int(result.plan.tileCount),
            "block_rows": .int(result.plan.blockRows), "resumed_tiles": .int(result.resumedTiles),
            "computed_tiles": .int(result.computedTiles.count),
            "output_mb": .double((memory.outputEstimate * Double(models) / 1_048_576 * 10).rounded() / 10),
            "working_mb": .double((Double(result.plan.workingBytes) / 1_048_576 * 10).rounded() / 10),
        ]
        if let steps = shape.steps { summary["times"] = .list(steps.map(Value.int)) }
        return KernelsArtifact(streamed: shape, summary: summary)
    }
}

/// `ntk.compute`: the empirical NTK of one model.
public struct NTKComputeStage: Stage {
    public static let name = "ntk.compute"
    public static let summary = "The empirical NTK of a model: per-head kernels, their trace, and test-by-train blocks."
    public static let doc = """
        Θ^c(x, x') = Σ_θ ∂f_c(x)/∂θ·∂f_c(x')/∂θ for every output head c, by the layer factorization \
        Θ^c = Σ_l [a_l²·(x_{l−1}·x'_{l−1}) + β_l²]·(δ^c_l·δ'^c_l) (docs/science.md): the Jacobian is never \
        materialized. In the run's precision (float64 or float32), written as .npy files that numpy can memory-map. \
        When the kernels exceed memory_budget they are computed out of core: square tiles of rows, each from its \
        two row blocks alone, written into the files as they are finished, the finished ones listed in \
        ntk.tiles.json; memory then stays within memory_budget whatever N is (docs/science.md).
        """
    public static let outputs = NTKParameters.outputs

    @Input("the network") var model: MLP
    @Input("the inputs X (train) and X_test (test)") var data: DatasetArtifact
    @Params var ntk: NTKParameters

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> KernelShape {
        ntk.check(data: $data.shape, model: $model.shape, times: nil, steps: nil, dataField: $data, &check)
    }

    public func run(_ context: StageContext) throws -> KernelsArtifact {
        let shape = ntk.shape(data: data.shape, model: model.architecture, times: nil, steps: nil)
        return try ntk.stream(models: 1, architecture: model.architecture, model: { _ in model }, labels: [.null],
                              data: data.dataset, shape: shape, context: context)
    }
}

/// `ntk.snapshots`: the empirical NTK at every saved snapshot of a training run.
public struct NTKSnapshotsStage: Stage {
    public static let name = "ntk.snapshots"
    public static let summary = "The empirical NTK at every snapshot of a trajectory, stacked along a leading time axis."
    public static let doc = """
        The same kernels as ntk.compute for each saved snapshot (every `stride`-th, and the last), with a leading \
        time axis: `ntk` (T, C, N, N), `trace` (T, N, N), `test` (T, C, N_test, N); `times.npy` holds the steps. \
        Each snapshot's kernels are written into the pre-sized files as soon as they are computed, so memory does \
        not grow with T. When one snapshot's kernels exceed memory_budget, every snapshot is computed out of core, \
        tile by tile, as in ntk.compute.
        """
    public static let outputs = NTKParameters.outputs + [OutputFile("times.npy", doc: "(T,) int64 steps of the kernels")]

    @Input("a training run with snapshots") var trajectory: TrajectoryArtifact
    @Input("the inputs X (train) and X_test (test)") var data: DatasetArtifact
    @Params var ntk: NTKParameters
    @Param("use every k-th snapshot (the last is always used)", minimum: 1) var stride = 1

    public init() {}

    /// Indices of the snapshots used: every `stride`-th, and the last.
    func picked(_ count: Int) -> [Int] {
        var picked = Array(Swift.stride(from: 0, to: count, by: stride))
        if count > 0, picked.last != count - 1 { picked.append(count - 1) }
        return picked
    }

    public func validate(_ check: inout StageCheck) throws -> KernelShape {
        let steps = $trajectory.shape.snapshotSteps
        let indices = picked(steps.count)
        if stride >= steps.count, steps.count > 1 {
            check.warn($stride, "is \(stride) but the trajectory has \(steps.count) snapshots: only the first and last are used")
        }
        return ntk.check(data: $data.shape, model: $trajectory.shape.architecture, times: indices.count,
                         steps: indices.map { steps[$0] }, dataField: $data, &check)
    }

    public func run(_ context: StageContext) throws -> KernelsArtifact {
        let indices = picked(trajectory.snapshotCount)
        let steps = indices.map { trajectory.snapshotSteps[$0] }
        let shape = ntk.shape(data: data.shape, model: trajectory.architecture, times: indices.count, steps: steps)
        return try ntk.stream(models: indices.count, architecture: trajectory.architecture,
                              model: { try trajectory.snapshot(indices[$0]) },
                              labels: steps.map(Value.int), data: data.dataset, shape: shape, context: context)
    }
}
