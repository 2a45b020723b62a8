import ArgumentParser
import Foundation
import TangentCore
import TangentNTK

/// `tangent bench train`: one full-batch gradient-descent step (forward, backward, update) of an MLP, against the
/// time OpenBLAS dgemm needs for the same matrix products (same shapes, same flops) measured in the same run.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "One full-batch training step vs OpenBLAS dgemm for the same flops (goal: ratio ≤ 1.3).")

    @OptionGroup var network: ReferenceNetworkOptions
    @Option(help: "Timed repetitions (best is reported).") var repeats = 5
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        var (model, x, rng) = try network.make(seed: 1)
        let arch = model.architecture, widths = network.widths
        let (n, d, outputs) = (network.n, network.d, network.outputs)
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
        let (step, gemm) = (times[0], times[1])
        let figures: [String: Double] = [
            "step_seconds": rounded(step), "dgemm_seconds": rounded(gemm), "ratio": rounded(step / gemm),
            "step_gflops": rounded(flops / step * 1e-9), "dgemm_gflops": rounded(flops / gemm * 1e-9),
            "gflop_per_step": rounded(flops * 1e-9),
        ]
        if json {
            let body = figures.keys.sorted().map { "\"\($0)\":\(figures[$0]!)" }.joined(separator: ",")
            print("{\"benchmark\":\"train\",\"n\":\(n),\"d\":\(d),\"hidden\":\(widths),\"outputs\":\(outputs),\(body)}")
            return
        }
        print("""
        One full-batch GD step: N = \(n), d = \(d), hidden \(widths), relu, \(outputs) outputs, float64, \(Threads.kernelThreads) threads
          flops per step (matrix products)     \(String(format: "%.2f", flops * 1e-9)) GFLOP
          training step (forward, backward, update)  \(String(format: "%.4f", step)) s  (\(String(format: "%.1f", flops / step * 1e-9)) GFLOP/s)
          OpenBLAS dgemm, same products              \(String(format: "%.4f", gemm)) s  (\(String(format: "%.1f", flops / gemm * 1e-9)) GFLOP/s)
          ratio step / dgemm: \(String(format: "%.3f", step / gemm))  (goal ≤ 1.3)
        """)
    }
}
