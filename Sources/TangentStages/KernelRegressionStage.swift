import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

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
        K_t = (‖K(t)‖_F/‖K(0)‖_F)·K₀, the norm linearly interpolated between kernel snapshots. See \
        docs/sections/kernel-regression.md.
        """
    public static let outputKind = ArtifactKind.table
    public static let inputs = [
        InputSlot("kernels", kind: .kernels, doc: "ntk.snapshots or ntk.compute kernels (the `test` block is needed for test metrics)"),
        InputSlot("trajectory", kind: .trajectory, required: false,
                  doc: "the training run: f₀, the network's predictions and losses, the learning rate for KGD/aKGD"),
        InputSlot("data", kind: .dataset, doc: "targets Y and Y_test (the first N and N_test points, as in the kernels)"),
    ]
    public static let parameters = [
        Parameter("kernel", .choice(["initial", "final", "each"]), default: .string("each"),
                  doc: "which kernels to regress with: the first, the last, or every one in the series"),
        Parameter("ridge", .choice(["zero", "constant", "weight_decay"]), default: .string("zero"),
                  doc: "ρ: 0 (ridgeless), ridge_value, or 2λ·P (mean loss) / 2λ (sum loss) from the run's weight decay"),
        Parameter("ridge_value", .float, default: .double(0), minimum: 0, doc: "ρ for ridge: constant"),
        Parameter("subtract_initial", .bool, default: .bool(true), doc: "use f₀ = network at initialization (needs trajectory); false: f₀ = 0"),
        Parameter("kernel_head", .choice(["per_head", "trace"]), default: .string("per_head"),
                  doc: "per_head: Θ^c for output c; trace: Σ_c Θ^c for every output"),
        Parameter("kgd", .bool, default: .bool(true), doc: "also run KGD and aKGD (needs trajectory)"),
    ]
    public static let outputs = [
        OutputFile("summary.json", doc: "test MSE of each kernel predictor and of the network, relative errors, ridge, solver, jitter, KGD/aKGD final losses"),
        OutputFile("metrics.csv", doc: "step,key,value: kr_train_mse, kr_test_mse, kr_relative_error (at kernel steps); "
                   + "kgd_train_loss, kgd_test_loss, akgd_train_loss, akgd_test_loss, nn_train_loss, nn_test_loss (at the run's log steps)"),
        OutputFile("predictions_initial.npy", doc: "(N_test, C) kernel predictor with the first kernel"),
        OutputFile("predictions_final.npy", doc: "(N_test, C) kernel predictor with the last kernel"),
        OutputFile("predictions.npy", doc: "(T, N_test, C) every kernel's predictor (kernel: each)"),
        OutputFile("predictions_network.npy", doc: "(N_test, C) the final network (with a trajectory)"),
    ]

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let series = try KernelSeries(artifact: try inputs.one("kernels"), from: "kernels")
        let data = try Dataset(artifact: try inputs.one("data"), from: "data")
        let trajectory = try inputs.optional("trajectory").map { try TrainingTrajectory(artifact: $0, from: "trajectory") }
        let training = inputs.optional("trajectory")?.summary["training"]?.objectValue ?? [:]
        guard series.count > 0, let firstTrace = series.trace.first else {
            throw PipelineError(.stageFailed, "\(name): the kernels artifact holds no kernel")
        }
        let n = firstTrace.rows
        guard n <= data.trainCount, series.headCount == data.outputDimension else {
            throw PipelineError(.stageFailed, "\(name): the kernels are \(n)×\(n) with \(series.headCount) heads but the data has "
                                + "\(data.trainCount) train points and \(data.outputDimension) outputs")
        }
        let nt = series.test.first?.first?.rows ?? 0
        guard nt <= data.testCount else {
            throw PipelineError(.stageFailed, "\(name): the test kernels have \(nt) rows but the data has \(data.testCount) test points")
        }
        let x = data.trainInputs.rows(0..<n), y = data.trainTargets.rows(0..<n)
        let xt = data.testInputs.rows(0..<nt), yt = data.testTargets.rows(0..<nt)
        let normalization = LossNormalization(rawValue: training["loss"]?.stringValue ?? "mean") ?? .mean
        let trace = p.string("kernel_head") == "trace"
        func kernels(_ t: Int) -> [Matrix<Double>] { trace ? [series.trace[t]] : series.heads[t] }
        func testKernels(_ t: Int) -> [Matrix<Double>] {
            guard nt > 0, t < series.test.count else { return [] }
            return trace ? [series.test[t].dropFirst().reduce(series.test[t][0], +)] : series.test[t]
        }

        // f₀ and the network.
        var f0: Matrix<Double>? = nil, f0Test: Matrix<Double>? = nil
        if p.bool("subtract_initial") {
            if let initial = trajectory?.snapshots.first {
                f0 = try initial(x)
                f0Test = nt > 0 ? try initial(xt) : nil
            } else {
                context.log("no trajectory connected: f₀ = 0 (subtract_initial has no effect)")
            }
        }
        let network = try trajectory.map { nt > 0 ? try $0.final(xt) : Matrix<Double>(rows: 0, columns: y.columns) }

        // ρ.
        let ridge: Double
        switch p.string("ridge") {
        case "constant": ridge = p.double("ridge_value")
        case "weight_decay":
            guard let lambda = training["weight_decay"]?.doubleValue else {
                throw parameterError("ridge", "weight_decay needs a connected train.gd trajectory with a weight_decay setting")
            }
            ridge = 2 * lambda * (normalization == .mean ? Double(n) : 1)
        default: ridge = 0
        }

        // Kernel predictors.
        let picked: [Int]
        switch p.string("kernel") {
        case "initial": picked = [0]
        case "final": picked = [series.count - 1]
        default: picked = Array(0..<series.count)
        }
        var summary: [String: Value] = ["ridge": .double(ridge), "kernel_head": .string(p.string("kernel_head")),
                                        "subtract_initial": .bool(f0 != nil), "n": .int(n), "n_test": .int(nt)]
        var metrics: [MetricRow] = []
        var arrays: [String: NPYArray] = [:]
        var rows: [Value] = []
        var stacked: [Double] = []
        var maxJitter = 0.0
        for t in picked {
            let prediction: KernelPrediction
            do {
                prediction = try kernelRegression(kernels: kernels(t), testKernels: testKernels(t), targets: y,
                                                  initialTrain: f0, initialTest: f0Test, ridge: ridge)
            } catch {
                throw PipelineError(.stageFailed, "\(name): kernel regression with kernel \(t) (step \(series.steps[t].map(String.init) ?? "-")) failed: \(error)")
            }
            maxJitter = max(maxJitter, prediction.jitter)
            let step = Double(series.steps[t] ?? 0)
            var row: [String: Value] = ["step": series.steps[t].map(Value.int) ?? .null,
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
                if t == series.count - 1 { arrays["predictions_final"] = NPYArray(prediction.test) }
            }
            if t == 0 { summary["initial"] = .object(row) }
            if t == series.count - 1 { summary["final"] = .object(row) }
            rows.append(.object(row))
        }
        summary["kernels"] = .list(rows)
        summary["jitter"] = .double(maxJitter)
        if nt > 0, p.string("kernel") == "each" {
            arrays["predictions"] = try NPYArray(stacked, shape: [picked.count, nt, y.columns])
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
        if p.bool("kgd") {
            guard let trajectory else {
                throw parameterError("kgd", "KGD needs the `trajectory` input (learning rate, f₀, logged steps); connect it or set kgd: false")
            }
            guard let eta = training["learning_rate"]?.doubleValue else {
                throw parameterError("kgd", "the trajectory summary has no training.learning_rate")
            }
            if let first = series.steps.first, let s = first, s != 0 {
                throw parameterError("kgd", "KGD needs the initial kernel, but the first kernel is at step \(s)")
            }
            let logSteps = trajectory.losses.map(\.step)
            let snapshotSteps = series.steps.map { $0 ?? 0 }
            let norms: [[Double]] = (0..<series.count).map { t in kernels(t).map(\.frobeniusNorm) }
            func run(_ scale: @escaping (Int, Int) -> Double) throws -> KernelDescentCurve {
                try kernelGradientDescent(kernels: kernels(0), testKernels: testKernels(0), targets: y,
                                          testTargets: nt > 0 ? yt : nil, initialTrain: f0, initialTest: f0Test,
                                          learningRate: eta, normalization: normalization, steps: logSteps, scale: scale)
            }
            let kgd = try run { _, _ in 1 }
            let akgd = try run { step, k in kernelNormRatio(step: step, snapshotSteps: snapshotSteps, norms: norms.map { $0[k] }) }
            for (label, curve) in [("kgd", kgd), ("akgd", akgd)] {
                for (i, step) in curve.steps.enumerated() {
                    metrics.append(MetricRow(step: Double(step), key: "\(label)_train_loss", value: curve.trainLoss[i]))
                    if !curve.testLoss[i].isNaN {
                        metrics.append(MetricRow(step: Double(step), key: "\(label)_test_loss", value: curve.testLoss[i]))
                    }
                }
                var final: [String: Value] = ["train_loss": .double(curve.trainLoss.last ?? .nan)]
                if let last = curve.testLoss.last, !last.isNaN { final["test_loss"] = .double(last) }
                summary[label] = .object(final)
            }
            summary["learning_rate"] = .double(eta)
        }
        summary["loss"] = .string(normalization.rawValue)
        if let finalRow = summary["final"]?.objectValue {
            context.log("final kernel: test MSE \(finalRow["test_mse"]?.doubleValue ?? .nan), relative error "
                        + "\(finalRow["relative_error"]?.doubleValue ?? .nan)")
        }
        return Artifact(kind: .table, arrays: arrays, summary: summary, metrics: metrics)
    }
}
