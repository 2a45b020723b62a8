import Foundation
import TangentCore
import TangentNTK

/// `tangent bench dmft`: DMFT iterations per second of `kernel.adaptive_ntk` (M neuron draws, P train points),
/// against the time OpenBLAS dgemm needs in the same run for γ·S·C (M × P by P × P), the product one iteration costs
/// when the state is the fields h. With D ≪ P the solver steps the weights w instead (2·M·D·2P flops), and the ratio
/// falls well below 1.
public struct DMFTBenchmark: Sendable {
    public var samples: Int
    public var points: Int
    public var inputDim: Int
    /// Iterations timed (the difference between a run of `iterations` and a run of 1 iteration).
    public var iterations: Int

    public init(samples: Int = 10_000, points: Int = 1000, inputDim: Int = 64, iterations: Int = 10) {
        self.samples = samples
        self.points = points
        self.inputDim = inputDim
        self.iterations = iterations
    }

    public struct Report: Sendable {
        public var samples: Int, points: Int, inputDim: Int, threads: Int
        public var iterationSeconds: Double
        public var gemmSeconds: Double
        public var iterationsPerSecond: Double { 1 / iterationSeconds }

        public var json: String {
            "{\"benchmark\":\"dmft\",\"samples\":\(samples),\"points\":\(points),\"input_dim\":\(inputDim),\"threads\":\(threads),"
                + "\"iterations_per_second\":\(rounded(iterationsPerSecond)),\"iteration_seconds\":\(rounded(iterationSeconds)),"
                + "\"dgemm_seconds\":\(rounded(gemmSeconds)),\"ratio\":\(rounded(iterationSeconds / gemmSeconds))}"
        }

        public var table: String {
            """
            aNTK DMFT: M = \(samples) draws, P = \(points) train points, D = \(inputDim), relu, float64, \(threads) threads
              one DMFT iteration                        \(String(format: "%.4f", iterationSeconds)) s  (\(String(format: "%.2f", iterationsPerSecond)) iterations/s)
              OpenBLAS dgemm of S·C (M×P·P×P), the fields form \(String(format: "%.4f", gemmSeconds)) s
              ratio iteration / dgemm: \(String(format: "%.2f", iterationSeconds / gemmSeconds))
            """
        }
    }

    public func run() throws -> Report {
        var rng = Xoshiro256StarStar(seed: 1)
        let x = Matrix<Double>.randomNormal(rows: points, columns: inputDim, using: &rng)
        let y = Matrix<Double>(rows: points, columns: 1) { i, _ in x[i, 0] > 0 ? 1 : -1 }
        let none = Matrix<Double>(rows: 0, columns: inputDim)
        func solve(_ n: Int) throws -> Double {
            var local = Xoshiro256StarStar(seed: 2)
            let settings = AdaptiveNTKSettings(gamma: 1, weightDecay: 0.5, samples: samples, tolerance: 0, maxIterations: n)
            let start = Machine.wallSeconds()
            _ = try adaptiveNTK(trainInputs: x, trainTargets: y, testInputs: none, settings: settings, rng: &local)
            return Machine.wallSeconds() - start
        }
        let base = try solve(1)
        let full = try solve(1 + iterations)
        let s = Matrix<Double>.randomNormal(rows: samples, columns: points, using: &rng)
        let c = try x.matmul(x, transposeOther: true, alpha: 1 / Double(inputDim))
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Machine.wallSeconds()
            _ = try s.matmul(c)
            best = min(best, Machine.wallSeconds() - start)
        }
        return Report(samples: samples, points: points, inputDim: inputDim, threads: Threads.blasThreads,
                      iterationSeconds: max(full - base, 1e-9) / Double(iterations), gemmSeconds: best)
    }
}
