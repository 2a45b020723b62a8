import TangentCore

/// A random fully connected network used as a teacher.
///
/// h⁰ = x, h^ℓ = φ(W^ℓ·h^{ℓ−1}) for ℓ = 1 … L (L = `depth` hidden layers of width N, φ the activation), and
/// f(x) = W^{L+1}·h^L (C outputs, no bias, no output nonlinearity). Entries of W^ℓ are N(0, 1/fan_in) with fan_in
/// = D for ℓ = 1 and N after, drawn layer by layer, row by row.
///
/// The target is y_c = s·f_c(x)/r_c. With normalization r_c = √(mean_m f_c(x_m)²) over M reference inputs
/// x_m from the input distribution (drawn once when the teacher is built, from the teacher's own random stream),
/// so each output has unit second moment up to the Monte-Carlo error of M samples (≈ 1/√(2M) relative; M = 2048
/// in `data.synthetic`: ≈ 1.6%); the outputs are not centred. Without normalization r_c = 1.
public struct MLPTeacher: Sendable, Equatable {
    /// W¹ … W^{L+1}, each fan_out × fan_in.
    public let weights: [Matrix<Double>]
    public let activation: Activation
    /// s
    public let scale: Double
    /// r_c (ones without normalization)
    public let outputNorms: [Double]

    public init(weights: [Matrix<Double>], activation: Activation, scale: Double, outputNorms: [Double]) throws {
        guard let last = weights.last else { throw NumericsError(.invalidArgument, "an MLP teacher needs weights") }
        for (a, b) in zip(weights, weights.dropFirst()) where b.columns != a.rows {
            throw NumericsError(.shapeMismatch, "MLP teacher layers do not chain: \(a.rows) outputs into \(b.columns) inputs")
        }
        guard outputNorms.count == last.rows else {
            throw NumericsError(.shapeMismatch, "\(outputNorms.count) output norms for \(last.rows) outputs")
        }
        self.weights = weights
        self.activation = activation
        self.scale = scale
        self.outputNorms = outputNorms
    }

    /// A random teacher: `depth` hidden layers of `width` units, `outputs` outputs, r_c = 1 (see `normalized(on:)`).
    public static func random(inputDimension d: Int, outputs c: Int, depth: Int, width: Int, activation: Activation,
                              scale s: Double = 1, using rng: inout Xoshiro256StarStar) throws -> MLPTeacher {
        guard d >= 1, c >= 1, depth >= 1, width >= 1 else {
            throw NumericsError(.invalidArgument,
                                "an MLP teacher needs D, outputs, depth and width ≥ 1, got \(d), \(c), \(depth), \(width)")
        }
        guard s.isFinite else { throw NumericsError(.invalidArgument, "teacher scale must be finite, got \(s)") }
        let sizes = [d] + [Int](repeating: width, count: depth) + [c]
        var weights: [Matrix<Double>] = []
        for l in 1..<sizes.count {
            let fanIn = sizes[l - 1]
            weights.append(.randomNormal(rows: sizes[l], columns: fanIn, std: (1 / Double(fanIn)).squareRoot(), using: &rng))
        }
        return try MLPTeacher(weights: weights, activation: activation, scale: s, outputNorms: [Double](repeating: 1, count: c))
    }

    /// The same network with r_c = √(mean_m f_c(x_m)²) over the rows x_m of `reference` (M × D).
    public func normalized(on reference: Matrix<Double>) throws -> MLPTeacher {
        let f = try network(reference)
        guard f.rows > 0 else { throw NumericsError(.invalidArgument, "the normalization reference has no samples") }
        let norms = (0..<f.columns).map { j in (f.column(j).reduce(0) { $0 + $1 * $1 } / Double(f.rows)).squareRoot() }
        if let k = norms.firstIndex(where: { !($0 > 0) }) {
            throw NumericsError(.invalidArgument,
                                "MLP teacher output \(k) is zero on every reference input (a dead network); try another seed or activation")
        }
        return try MLPTeacher(weights: weights, activation: activation, scale: scale, outputNorms: norms)
    }

    public var inputDimension: Int { weights[0].columns }
    public var outputs: Int { outputNorms.count }

    /// f(x) for the rows of X (P × D), before scaling: P × C.
    public func network(_ x: Matrix<Double>) throws -> Matrix<Double> {
        guard x.columns == inputDimension else {
            throw NumericsError(.shapeMismatch, "inputs have \(x.columns) features but the teacher expects \(inputDimension)")
        }
        var h = x
        for (l, w) in weights.enumerated() {
            h = try h.matmul(w, transposeOther: true)
            if l < weights.count - 1 { h = h.map { activation.apply($0) } }
        }
        return h
    }

    /// y_c = s·f_c(x)/r_c for the rows of X: P × C.
    public func callAsFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
        var y = try network(x)
        if y.rows > 0 { y.scaleColumns(by: outputNorms.map { scale / $0 }) }
        return y
    }
}
