import Foundation
import TangentCore
import TangentNTK

/// `tangent bench train`: one full-batch gradient-descent step (forward, backward, update) of an MLP, against the
/// time OpenBLAS dgemm needs for the same matrix products (same shapes, same flops) measured in the same run.
public struct TrainBenchmark: Sendable {
    public var network: ReferenceNetwork
    /// Timed repetitions (best is reported).
    public var repeats = 5

    public init(network: ReferenceNetwork = ReferenceNetwork(), repeats: Int = 5) {
        self.network = network
        self.repeats = repeats
    }

    public struct Report: Sendable {
        public var network: ReferenceNetwork
        public var threads: Int
        /// Flops of the step's matrix products.
        public var flops: Double
        /// Best time of one training step (forward, backward, update).
        public var stepSeconds: Double
        /// Best time of the same matrix products through OpenBLAS dgemm.
        public var gemmSeconds: Double

        /// The figures as one JSON object, rounded to 4 significant digits.
        public var json: String {
            let (step, gemm) = (stepSeconds, gemmSeconds)
            let figures: [String: Double] = [
                "step_seconds": rounded(step), "dgemm_seconds": rounded(gemm), "ratio": rounded(step / gemm),
                "step_gflops": rounded(flops / step * 1e-9), "dgemm_gflops": rounded(flops / gemm * 1e-9),
                "gflop_per_step": rounded(flops * 1e-9),
            ]
            let body = figures.keys.sorted().map { "\"\($0)\":\(figures[$0]!)" }.joined(separator: ",")
            return "{\"benchmark\":\"train\",\"n\":\(network.n),\"d\":\(network.d),\"hidden\":\(network.widths),"
                + "\"outputs\":\(network.outputs),\(body)}"
        }

        /// The figures as text, with the ratio step / dgemm.
        public var table: String {
            let (step, gemm) = (stepSeconds, gemmSeconds)
            return """
            One full-batch GD step: N = \(network.n), d = \(network.d), hidden \(network.widths), relu, \(network.outputs) outputs, float64, \(threads) threads
              flops per step (matrix products)     \(String(format: "%.2f", flops * 1e-9)) GFLOP
              training step (forward, backward, update)  \(String(format: "%.4f", step)) s  (\(String(format: "%.1f", flops / step * 1e-9)) GFLOP/s)
              OpenBLAS dgemm, same products              \(String(format: "%.4f", gemm)) s  (\(String(format: "%.1f", flops / gemm * 1e-9)) GFLOP/s)
              ratio step / dgemm: \(String(format: "%.3f", step / gemm))  (goal ≤ 1.3)
            """
        }
    }

    public func run() throws -> Report {
        var (model, x, rng) = try network.make(seed: 1)
        let arch = model.architecture
        let (n, outputs) = (network.n, network.outputs)
        let y = Matrix<Double>.randomNormal(rows: n, columns: outputs, using: &rng)
        var optimizer = Optimizer(OptimizerSettings(learningRate: 1e-3))

        // The products of one step: forward X_l·W_lᵀ, then per layer dW = Gᵀ·X and (except the first) dX = G·W.
        let all = arch.widths
        var products: [(Matrix<Double>, Matrix<Double>, Bool, Bool, Matrix<Double>)] = []
        for l in 0..<arch.layerCount {
            let (fi, fo) = (all[l], all[l + 1])
            let xl = Matrix<Double>(rows: n, columns: fi, repeating: 0.5), w = Matrix<Double>(rows: fo, columns: fi, repeating: 0.1)
            let g = Matrix<Double>(rows: n, columns: fo, repeating: 0.2)
            products.append((xl, w, false, true, Matrix(rows: n, columns: fo)))           // forward
            products.append((g, xl, true, false, Matrix(rows: fo, columns: fi)))          // dW
            if l > 0 { products.append((g, w, false, false, Matrix(rows: n, columns: fi))) } // dX
        }
        let flops = products.reduce(0.0) { total, p in
            let (a, _, ta, _, c) = p
            return total + 2 * Double(c.rows) * Double(c.columns) * Double(ta ? a.rows : a.columns)
        }
        let times = interleavedBestTimes(repeats: repeats, [
            {
                let (_, gradients) = try! model.lossAndGradients(x, y)
                optimizer.step(&model, gradients)
            },
            {
                for i in products.indices {
                    let (a, b, ta, tb, _) = products[i]
                    try! Matrix.gemm(a, b, transposeA: ta, transposeB: tb, into: &products[i].4)
                }
            },
        ])
        return Report(network: network, threads: Threads.kernelThreads, flops: flops, stepSeconds: times[0],
                      gemmSeconds: times[1])
    }
}
