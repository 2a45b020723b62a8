import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

extension KernelDescentCurve {
    /// The first requested step whose train loss (or, with a test set, test loss) is NaN, infinite, or above
    /// `factor` times its value at the first requested step: the rule train.gd stops a run by.
    func divergedAt(hasTest: Bool, factor: Double) -> Int? {
        func bad(_ losses: [Double], _ i: Int) -> Bool {
            !losses[i].isFinite || (losses[0].isFinite && losses[0] > 0 && losses[i] > factor * losses[0])
        }
        return steps.indices.first { bad(trainLoss, $0) || (hasTest && bad(testLoss, $0)) }.map { steps[$0] }
    }
}

/// Summary of a KGD or aKGD curve: the last `train_loss` and `test_loss` (null when not finite; test_loss only
/// with a test set), `diverged` and `diverged_at` (the first step with a non-finite loss or one above `factor`
/// times the initial loss; null when none) and `step` (the last step).
func descentSummary(_ curve: KernelDescentCurve, hasTest: Bool, factor: Double) -> [String: Value] {
    func finite(_ x: Double?) -> Value { x.flatMap { $0.isFinite ? Value.double($0) : nil } ?? .null }
    let at = curve.divergedAt(hasTest: hasTest, factor: factor)
    var out: [String: Value] = ["train_loss": finite(curve.trainLoss.last), "diverged": .bool(at != nil),
                                "diverged_at": at.map(Value.int) ?? .null, "step": curve.steps.last.map(Value.int) ?? .null]
    if hasTest { out["test_loss"] = finite(curve.testLoss.last) }
    return out
}

/// `analysis.kernel_regression`: kernel (ridge) regression with NTKs, compared with the trained network, plus
/// kernel gradient descent with the initial kernel (KGD) and with its norm-rescaled version (aKGD).
public struct KernelRegressionStage: Stage {
    public static let name = "analysis.kernel_regression"
    public static let summary = "Kernel regression with the initial, final or every snapshot NTK, compared with the network; KGD and aKGD loss curves."
    public static let doc = """
        f_K(x) = f₀(x) + K(x, X)·(K(X, X) + ρI)⁻¹·(Y − f₀(X)), with head c's kernel Θ^c for output c (or the trace \
        kernel for every output) and f₀ the network at initialization (first snapshot). ρ = 0 is solved by Cholesky \
        without jitter, falling back to minimum-norm least squares when K is rank deficient; ρ > 0 by Cholesky \
        (any jitter is reported). ridge: weight_decay uses ρ = 2λ·P for loss: mean (2λ for loss: sum), the stationary \
        point of a 2-homogeneous network under weight decay λ. Reports the test MSE of each kernel predictor and of \
        the final network and ‖f_K − f_NN‖/‖f_NN‖ over all test points and outputs. KGD runs \
        f_{t+1} = f_t − η·s·K₀·(f_t − Y) (s = 1/P for loss: mean) with the run's learning rate; aKGD uses \
        K_t = (‖K(t)‖_F/‖K(0)‖_F)·K₀, the norm linearly interpolated between kernel snapshots. A curve that \
        diverges (KGD when η·s·λ_max(K₀) > 2, aKGD when η·a_t·s·λ_max(K₀) > 2) is reported whole: every row stays in \
        metrics.csv (nan and inf included), and its summary has diverged: true and diverged_at, the first logged step \
        whose train or test loss is NaN, inf or above the run's divergence_factor (train.gd, default 1e4) times its \
        initial value. Two loss conventions: the `*_mse` values (train_mse, test_mse, kr_train_mse, kr_test_mse, nn_train_mse, \
        nn_test_mse) are plain MSEs, (1/(N·C))·Σ_{μ,c}(f_c(x_μ) − y_μc)² over N points and C outputs; `kgd_*_loss`, `akgd_*_loss` and \
        `nn_*_loss` are the training run's loss, 1/(2N)·Σ_μ‖f(x_μ) − y_μ‖² = (C/2)·MSE for loss: mean \
        (½·Σ_μ‖f(x_μ) − y_μ‖² for loss: sum), so the KGD curves compare with the network's train.gd losses. \
        Details: docs/science.md, "Kernel regression with NTKs".
        """
    public static let outputs = [
        OutputFile("summary.json", doc: "initial/final/kernels: train_mse, test_mse (plain MSE), relative_error, solver, jitter; "
                   + "nn_train_mse, nn_test_mse (plain MSE); kgd, akgd: train_loss, test_loss (the run's loss convention, "
                   + "(C/2)·MSE for loss: mean, at the last logged step; null when not finite), diverged, diverged_at (first step "
                   + "with a loss NaN, inf or above divergence_factor × initial), step; "
                   + "ridge, learning_rate, loss; solve (in_memory or streamed) and solve_precision"),
        OutputFile("metrics.csv", doc: "step,key,value: kr_train_mse, kr_test_mse, kr_relative_error (at kernel steps; plain MSE); "
                   + "kgd_train_loss, kgd_test_loss, akgd_train_loss, akgd_test_loss, nn_train_loss, nn_test_loss (at the run's "
                   + "log steps; the run's loss convention; diverged KGD/aKGD rows are kept as nan or inf)"),
        OutputFile("predictions_initial.npy", doc: "(N_test, C) kernel predictor with the first kernel"),
        OutputFile("predictions_final.npy", doc: "(N_test, C) kernel predictor with the last kernel"),
        OutputFile("predictions.npy", doc: "(T, N_test, C) every kernel's predictor (kernel: each)"),
        OutputFile("steps.npy", doc: "(T,) int64 training steps of predictions.npy"),
        OutputFile("predictions_network.npy", doc: "(N_test, C) the final network (with a trajectory)"),
    ]

    public enum Kernel: String, CaseIterable, ParameterChoice { case initial, final, each }
    public enum Ridge: String, CaseIterable, ParameterChoice { case zero, constant, weightDecay = "weight_decay" }
    public enum KernelHead: String, CaseIterable, ParameterChoice { case perHead = "per_head", trace }
    public enum Solve: String, CaseIterable, ParameterChoice { case auto, inMemory = "in_memory", streamed }
    public enum SolvePrecision: String, CaseIterable, ParameterChoice { case float64, float32 }

    @Input("ntk.snapshots or ntk.compute kernels (the `test` block is needed for test metrics)") var kernels: KernelsArtifact
    @Input("the training run: f₀, the network's predictions and losses, the learning rate for KGD/aKGD")
    var trajectory: TrajectoryArtifact?
    @Input("targets Y and Y_test (the first N and N_test points, as in the kernels)") var data: DatasetArtifact
    @Param("which kernels to regress with: the first, the last, or every one in the series") var kernel = Kernel.each
    @Param("ρ: 0 (ridgeless), ridge_value, or 2λ·P (mean loss) / 2λ (sum loss) from the run's weight decay")
    var ridge = Ridge.zero
    @Param("ρ for ridge: constant", minimum: 0) var ridgeValue = 0.0
    @Param("use f₀ = network at initialization (needs trajectory); false: f₀ = 0") var subtractInitial = true
    @Param("per_head: Θ^c for output c; trace: Σ_c Θ^c for every output") var kernelHead = KernelHead.perHead
    @Param("also run KGD and aKGD (needs trajectory)") var kgd = true
    @Param("in_memory: copies of every kernel (least squares for ρ = 0 and rank-deficient K); streamed: one N × N buffer "
           + "filled from the mapped files, factored in place, products streamed; auto: streamed when in_memory needs more "
           + "than memory_budget (or the available memory)")
    var solve = Solve.auto
    @Param("streamed solves: float32 halves the buffer (Cholesky in single precision)") var solvePrecision = SolvePrecision.float64
    @Param("MB the solve may use (default: the available memory)", minimum: 0.001) var memoryBudget: Double?

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        let k = $kernels.shape, d = $data.shape, trajectory = $trajectory.shape
        check.require(k.n <= d.train && k.heads == d.outputs, $kernels,
                      "the kernels are \(k.n)×\(k.n) with \(k.heads) heads but the data has \(d.train) train points and \(d.outputs) outputs",
                      remedy: "connect the dataset the kernels were computed on")
        check.require(k.nTest <= d.test, $kernels, "the test kernels have \(k.nTest) rows but the data has \(d.test) test points")
        if ridge == .weightDecay {
            if let trajectory {
                check.require(trajectory.training.weightDecay != nil, $ridge,
                              "weight_decay needs the trajectory's weight decay, but its training stage set none",
                              remedy: "use ridge: constant or train with train.gd")
            } else {
                check.fail($ridge, "weight_decay needs a connected train.gd trajectory with a weight_decay setting",
                           remedy: "connect `trajectory` or use ridge: constant")
            }
        }
        if ridge != .constant, ridgeValue != 0 {
            check.warn($ridgeValue, "is set but ridge is `\(ridge.rawValue)`; it is ignored", remedy: "set ridge: constant")
        }
        if kgd {
            if let trajectory {
                if let first = k.steps?.first, first != 0 {
                    check.fail($kgd, "KGD needs the initial kernel, but the first kernel is at step \(first)",
                               remedy: "compute kernels at step 0 (ntk.snapshots of a trajectory) or set kgd: false")
                }
                check.require(k.steps != nil || trajectory.snapshotSteps.count >= 1, $kgd, "KGD needs kernels over training")
            } else {
                check.fail($kgd, "KGD needs the `trajectory` input (learning rate, f₀, logged steps)",
                           remedy: "connect it or set kgd: false")
            }
        }
        if subtractInitial, trajectory == nil {
            check.warn($subtractInitial, "has no effect without a connected trajectory: f₀ = 0")
        }
        let plan = memoryPlan(n: k.n, nTest: k.nTest, heads: k.heads, count: k.count)
        if plan.streamed {
            if kgd, trajectory != nil {
                check.fail($kgd, "KGD and aKGD need every kernel in memory, but this solve is streamed (in memory it would "
                           + "need \(Int(plan.inMemory / 1_048_576)) MB)", remedy: "set kgd: false, or a larger memory_budget")
            }
            if kernel == .each, k.count > 1 {
                check.warn($kernel, "is `each` with \(k.count) kernels: a streamed solve reads and factors every one in turn "
                           + "(an N³/3 Cholesky each)", remedy: "use kernel: initial or final for large N")
            }
            check.needsMemory(plan.streamedBytes, for: "the streamed solve's N × N buffer and row blocks",
                              remedy: "set solve_precision: float32, or compute the kernels on fewer samples")
        } else {
            check.needsMemory(plan.inMemory, for: "kernels, factorizations and predictions",
                              remedy: "set solve: streamed (one N × N buffer), or compute the kernels on fewer samples")
        }
        return TableShape()
    }

    /// The memory of each solve (bytes) and which one runs: `streamed` when asked, or for `auto` when the in-memory
    /// path (every head's kernel and test block, K + ρI and its factor) exceeds memory_budget or the available memory.
    func memoryPlan(n: Int, nTest: Int, heads: Int, count: Int) -> (streamed: Bool, inMemory: Double, streamedBytes: Double) {
        let (p, pt, c) = (Double(n), Double(nTest), Double(heads))
        let predictions = 8 * Double(count) * pt * c
        let inMemory = 8 * (c * (p * p + pt * p) * 3) + predictions
        let block = Double(min(n, Self.streamedBlockRows))
        let streamedBytes = (solvePrecision == .float32 ? 4 : 8) * p * p + 8 * 2 * block * max(p, 1) * max(c, 1)
            + 8 * (p + pt) * c * 2 + predictions
        let budget = memoryBudget.map { $0 * 1_048_576 } ?? Double(Machine.availableMemoryBytes)
        let streamed = solve == .streamed || (solve == .auto && inMemory > budget)
        return (streamed, inMemory, streamedBytes)
    }

    static let streamedBlockRows = 1024

    public func run(_ context: StageContext) throws -> Table {
        let n = kernels.n, nt = kernels.nTest
        let training = trajectory?.training
        let x = data.trainInputs.rows(0..<n), y = data.trainTargets.rows(0..<n)
        let xt = data.testInputs.rows(0..<nt), yt = data.testTargets.rows(0..<nt)
        let normalization = training?.loss ?? .mean
        let trace = kernelHead == .trace
        func trainKernels(_ t: Int) throws -> [Matrix<Double>] { trace ? [try kernels.trace(t)] : try kernels.heads(t) }
        func testKernels(_ t: Int) throws -> [Matrix<Double>] {
            let tests = try kernels.tests(t)
            return trace ? traceKernel(tests).map { [$0] } ?? [] : tests
        }

        // f₀ and the network.
        var f0: Matrix<Double>? = nil, f0Test: Matrix<Double>? = nil
        if subtractInitial, let trajectory, trajectory.snapshotCount > 0 {
            let initial = try trajectory.snapshot(0)
            f0 = try initial(x)
            f0Test = nt > 0 ? try initial(xt) : nil
        }
        let network = try trajectory.map { nt > 0 ? try $0.final(xt) : Matrix<Double>(rows: 0, columns: y.columns) }

        let rho: Double = switch ridge {
        case .constant: ridgeValue
        case .weightDecay: weightDecayRidge(lambda: training?.weightDecay ?? 0, samples: n, loss: normalization)
        case .zero: 0
        }

        // Kernel predictors.
        let picked: [Int] = switch kernel {
        case .initial: [0]
        case .final: [kernels.count - 1]
        case .each: Array(0..<kernels.count)
        }
        var summary: [String: Value] = ["ridge": .double(rho), "kernel_head": .string(kernelHead.rawValue),
                                        "subtract_initial": .bool(f0 != nil), "n": .int(n), "n_test": .int(nt)]
        var metrics: [MetricRow] = []
        var arrays: [String: NPYArray] = [:]
        var rows: [Value] = []
        var stacked: [Double] = []
        var maxJitter = 0.0
        let plan = memoryPlan(n: n, nTest: nt, heads: kernels.heads, count: kernels.count)
        if plan.streamed {
            context.log("streamed solve: one \(n) × \(n) \(solvePrecision.rawValue) buffer factored in place, about "
                        + "\(Int(plan.streamedBytes / 1_048_576)) MB (in memory: \(Int(plan.inMemory / 1_048_576)) MB)")
        }
        context.progress.start("kernel regression", total: picked.count)
        for t in picked {
            let prediction: KernelPrediction
            do {
                prediction = plan.streamed
                    ? try streamedKernelPrediction(
                        n: n, nTest: nt, shared: trace, rows: { try kernels.rows(t, head: $0, $1) },
                        testRows: nt > 0 ? { try kernels.testRows(t, head: $0, $1) } : nil, targets: y,
                        initialTrain: f0, initialTest: f0Test, ridge: rho,
                        precision: solvePrecision == .float32 ? .float32 : .float64, blockRows: Self.streamedBlockRows)
                    : try kernelRegression(kernels: try trainKernels(t), testKernels: try testKernels(t), targets: y,
                                           initialTrain: f0, initialTest: f0Test, ridge: rho)
            } catch {
                throw PipelineError(.stageFailed, "\(Self.name): kernel regression with kernel \(t) (step \(kernels.steps[t].map(String.init) ?? "-")) failed", cause: error)
            }
            maxJitter = max(maxJitter, prediction.jitter)
            let step = Double(kernels.steps[t] ?? 0)
            var row: [String: Value] = ["step": kernels.steps[t].map(Value.int) ?? .null,
                                        "train_mse": .double(meanSquaredError(prediction.train, y)),
                                        "solver": .string(prediction.solver.rawValue), "jitter": .double(prediction.jitter)]
            if let rank = prediction.rank { row["rank"] = .int(rank) }
            metrics.append(MetricRow(step: step, key: "kr_train_mse", value: meanSquaredError(prediction.train, y)))
            if nt > 0 {
                let mse = meanSquaredError(prediction.test, yt)
                row["test_mse"] = .double(mse)
                metrics.append(MetricRow(step: step, key: "kr_test_mse", value: mse))
                if let network {
                    let rel = relativePredictionError(prediction.test, network)
                    row["relative_error"] = .double(rel)
                    metrics.append(MetricRow(step: step, key: "kr_relative_error", value: rel))
                }
                stacked += prediction.test.elements
                if t == 0 { arrays["predictions_initial"] = NPYArray(prediction.test) }
                if t == kernels.count - 1 { arrays["predictions_final"] = NPYArray(prediction.test) }
            }
            if t == 0 { summary["initial"] = .object(row) }
            if t == kernels.count - 1 { summary["final"] = .object(row) }
            rows.append(.object(row))
            context.progress.advance(by: 1)
        }
        context.progress.finish()
        summary["kernels"] = .list(rows)
        summary["jitter"] = .double(maxJitter)
        if nt > 0, kernel == .each {
            arrays["predictions"] = try NPYArray(stacked, shape: [picked.count, nt, y.columns])
            arrays["steps"] = try NPYArray(picked.map { Int64(kernels.steps[$0] ?? 0) }, shape: [picked.count])
        }

        // The network.
        if let network, let trajectory {
            arrays["predictions_network"] = NPYArray(network)
            if nt > 0 { summary["nn_test_mse"] = .double(meanSquaredError(network, yt)) }
            summary["nn_train_mse"] = .double(meanSquaredError(try trajectory.final(x), y))
            for r in trajectory.losses {
                metrics.append(MetricRow(step: Double(r.step), key: "nn_train_loss", value: r.train))
                if !r.test.isNaN { metrics.append(MetricRow(step: Double(r.step), key: "nn_test_loss", value: r.test)) }
            }
        }

        // KGD and aKGD.
        if kgd, let trajectory, let training {
            let norms = try (0..<kernels.count).map { t in try trainKernels(t).map(\.frobeniusNorm) }
            let (kgdCurve, akgdCurve) = try kernelDescentComparison(
                initialKernels: try trainKernels(0), initialTestKernels: try testKernels(0), targets: y,
                testTargets: nt > 0 ? yt : nil, initialTrain: f0, initialTest: f0Test, learningRate: training.learningRate,
                normalization: normalization, steps: trajectory.losses.map(\.step),
                snapshotSteps: kernels.steps.map { $0 ?? 0 }, normsPerSnapshot: norms)
            // Divergence as train.gd defines it: a loss that is NaN, inf or above divergence_factor × its initial value.
            let divergenceFactor = trajectory.settings["divergence_factor"]?.doubleValue ?? 1e4
            for (label, curve) in [("kgd", kgdCurve), ("akgd", akgdCurve)] {
                // Every row is kept, NaN and inf included (metrics.csv writes them as nan, inf: pandas reads both).
                for (i, step) in curve.steps.enumerated() {
                    metrics.append(MetricRow(step: Double(step), key: "\(label)_train_loss", value: curve.trainLoss[i]))
                    if nt > 0 { metrics.append(MetricRow(step: Double(step), key: "\(label)_test_loss", value: curve.testLoss[i])) }
                }
                summary[label] = .object(descentSummary(curve, hasTest: nt > 0, factor: divergenceFactor))
                if let at = curve.divergedAt(hasTest: nt > 0, factor: divergenceFactor) {
                    context.log("\(label == "kgd" ? "KGD" : "aKGD") diverged at step \(at) with learning rate \(training.learningRate) "
                                + "(a loss NaN, inf or above \(divergenceFactor) × its initial value); every row of its curve is kept in metrics.csv")
                }
            }
            summary["learning_rate"] = .double(training.learningRate)
        }
        summary["loss"] = .string(normalization.rawValue)
        summary["solve"] = .string(plan.streamed ? "streamed" : "in_memory")
        if plan.streamed { summary["solve_precision"] = .string(solvePrecision.rawValue) }
        if let finalRow = summary["final"]?.objectValue {
            context.log("final kernel: test MSE \(finalRow["test_mse"]?.doubleValue ?? .nan), relative error "
                        + "\(finalRow["relative_error"]?.doubleValue ?? .nan)")
        }
        return Table(arrays: arrays, summary: summary, metrics: metrics)
    }
}
