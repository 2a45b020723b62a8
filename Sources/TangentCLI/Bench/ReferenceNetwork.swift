import ArgumentParser
import TangentCore
import TangentNTK

/// The network and batch of the training and NTK benchmarks (the issues' reference case by default:
/// N = 2048, d = 784, hidden [1024, 1024, 1024], relu, 10 outputs, ntk parametrization, float64).
struct ReferenceNetworkOptions: ParsableArguments {
    @Option(help: "Samples N.") var n = 2048
    @Option(help: "Input dimension d.") var d = 784
    @Option(help: "Hidden widths, comma-separated.") var hidden = "1024,1024,1024"
    @Option(help: "Outputs (heads) C.") var outputs = 10
    @Option(help: "Thread budget (default: all cores).") var threads: Int?

    var widths: [Int] { hidden.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard n > 0, d > 0, outputs > 0 else { throw ValidationError("--n, --d and --outputs must be positive") }
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 }) else { throw ValidationError("--hidden must list positive widths") }
    }

    /// Applies the thread budget and draws the model and a batch X (N × d) from `seed`.
    func make(seed: UInt64) throws -> (MLP, Matrix<Double>, Xoshiro256StarStar) {
        if let threads { Threads.setBudget(threads) }
        var rng = Xoshiro256StarStar(seed: seed)
        let arch = MLPArchitecture(inputDimension: d, hidden: widths, outputs: outputs, activation: .relu,
                                   parametrization: .ntk)
        let model = try MLP(architecture: arch, rng: &rng)
        return (model, Matrix<Double>.randomNormal(rows: n, columns: d, using: &rng), rng)
    }
}
