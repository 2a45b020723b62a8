import TangentCore

/// A mixture of C Gaussian clusters: x = μ_c + √v·ξ with ξ ~ N(0, Σ), for class c.
///
/// The centres are μ_c = g_c/|g_c| with g_c ~ N(0, I_D) drawn one after another: C uniform points on the unit
/// sphere. Their overlaps μ_cᵀμ_d (c ≠ d) have mean 0 and standard deviation ≈ 1/√D, so they are near-orthogonal
/// when D ≫ C (the setting of Shan & Bordelon, Fig. 7: C = 10, v = 0.01). ξ comes from an `InputDistribution`
/// (Σ = I for isotropic noise), v is the `variance`.
public struct GaussianMixture: Sendable, Equatable {
    /// μ_c as rows (C × D), unit norm.
    public let centres: Matrix<Double>
    /// v
    public let variance: Double
    /// The distribution of ξ.
    public let noise: InputDistribution

    public init(centres: Matrix<Double>, variance: Double, noise: InputDistribution) throws {
        guard centres.columns == noise.dimension else {
            throw NumericsError(.shapeMismatch, "centres have \(centres.columns) coordinates but the noise has \(noise.dimension)")
        }
        guard variance.isFinite, variance >= 0 else {
            throw NumericsError(.invalidArgument, "mixture variance must be finite and ≥ 0, got \(variance)")
        }
        self.centres = centres
        self.variance = variance
        self.noise = noise
    }

    /// C random unit centres in the noise's D dimensions.
    public static func random(classes c: Int, variance: Double, noise: InputDistribution,
                              using rng: inout Xoshiro256StarStar) throws -> GaussianMixture {
        guard c >= 1 else { throw NumericsError(.invalidArgument, "a mixture needs at least one class, got \(c)") }
        let d = noise.dimension
        var centres = Matrix<Double>(rows: c, columns: d)
        for k in 0..<c {
            let g: [Double] = rng.normals(d)
            let length = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard length > 0 else { throw NumericsError(.noConvergence, "degenerate mixture centre; try another seed") }
            for j in 0..<d { centres[k, j] = g[j] / length }
        }
        return try GaussianMixture(centres: centres, variance: variance, noise: noise)
    }

    public var classes: Int { centres.rows }

    /// Inputs for the given class ids: row μ is μ_{labels[μ]} + √v·ξ_μ, the ξ drawn by `noise.sample` from `rng`.
    public func sample(labels: [Int], using rng: inout Xoshiro256StarStar) throws -> Matrix<Double> {
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw NumericsError(.invalidArgument, "class id \(bad) is outside 0..<\(classes)")
        }
        var x = noise.sample(labels.count, using: &rng)
        let sd = variance.squareRoot()
        let d = centres.columns
        for (i, c) in labels.enumerated() {
            for j in 0..<d { x[i, j] = centres[c, j] + sd * x[i, j] }
        }
        return x
    }
}
