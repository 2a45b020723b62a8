import TangentCore
import TangentNTK

/// The network and batch of the training and NTK benchmarks (the issues' reference case by default:
/// N = 2048, d = 784, hidden [1024, 1024, 1024], relu, 10 outputs, ntk parametrization, float64).
public struct ReferenceNetwork: Sendable {
    /// Samples N.
    public var n: Int
    /// Input dimension d.
    public var d: Int
    /// Hidden widths.
    public var widths: [Int]
    /// Outputs (heads) C.
    public var outputs: Int

    public init(n: Int = 2048, d: Int = 784, widths: [Int] = [1024, 1024, 1024], outputs: Int = 10) {
        self.n = n
        self.d = d
        self.widths = widths
        self.outputs = outputs
    }

    /// Draws the model and a batch X (N × d) from `seed`.
    public func make(seed: UInt64) throws -> (MLP, Matrix<Double>, Xoshiro256StarStar) {
        var rng = Xoshiro256StarStar(seed: seed)
        let arch = MLPArchitecture(inputDimension: d, hidden: widths, outputs: outputs, activation: .relu,
                                   parametrization: .ntk)
        let model = try MLP(architecture: arch, rng: &rng)
        return (model, Matrix<Double>.randomNormal(rows: n, columns: d, using: &rng), rng)
    }
}
