import TangentCore

/// A linear teacher y = B·x with B (C × D) = s·U·diag(σ)·Vᵀ.
///
/// - V (D × r) and U (C × r) have orthonormal columns, drawn Haar-random (`RandomOrthonormal`), V first;
///   with one output (C = 1) U = [1] and nothing is drawn for it.
/// - σ = (σ_1 … σ_r) are the requested relative singular values (default: all ones, r = min(C, D)), s the scale;
///   the singular values of B are therefore s·σ_α.
/// - One output: B = s·βᵀ with β = v₁ = g/|g|, g ~ N(0, I_D), so y = s·βᵀx with |β| = 1 (the teacher of Atanasov,
///   Bordelon & Pehlevan 2022).
/// - Several outputs: the teacher of Atanasov, Bordelon & Pehlevan 2022, Sec. 4.2: B = Σ_α s·σ_α u_α v_αᵀ.
public struct LinearTeacher: Sendable, Equatable {
    /// B (C × D)
    public let matrix: Matrix<Double>
    /// s·σ_α, in the order requested.
    public let singularValues: [Double]

    public init(matrix: Matrix<Double>, singularValues: [Double]) {
        self.matrix = matrix
        self.singularValues = singularValues
    }

    /// A random teacher with C = `outputs`, D = `inputDimension`, scale s and relative singular values σ.
    public static func random(inputDimension d: Int, outputs c: Int, scale s: Double = 1,
                              singularValues sigma: [Double]? = nil,
                              using rng: inout Xoshiro256StarStar) throws -> LinearTeacher {
        guard d >= 1, c >= 1 else {
            throw NumericsError(.invalidArgument, "a linear teacher needs D ≥ 1 and C ≥ 1, got D = \(d), C = \(c)")
        }
        guard s.isFinite else { throw NumericsError(.invalidArgument, "teacher scale must be finite, got \(s)") }
        let sigma = sigma ?? [Double](repeating: 1, count: min(c, d))
        guard !sigma.isEmpty, sigma.count <= min(c, d) else {
            throw NumericsError(.invalidArgument,
                                "a \(c)×\(d) teacher has 1 … \(min(c, d)) singular values, got \(sigma.count)")
        }
        if let bad = sigma.first(where: { !$0.isFinite || $0 < 0 }) {
            throw NumericsError(.invalidArgument, "teacher singular values must be finite and ≥ 0, got \(bad)")
        }
        let r = sigma.count
        let v = try RandomOrthonormal.columns(rows: d, columns: r, using: &rng)
        let u = c == 1 ? Matrix<Double>.identity(1) : try RandomOrthonormal.columns(rows: c, columns: r, using: &rng)
        var us = u
        us.scaleColumns(by: sigma.map { s * $0 })
        return LinearTeacher(matrix: us * v.transposed, singularValues: sigma.map { s * $0 })
    }

    public var inputDimension: Int { matrix.columns }
    public var outputs: Int { matrix.rows }

    /// Y = X·Bᵀ for inputs X (P × D) as rows: y_μ = B·x_μ.
    public func callAsFunction(_ x: Matrix<Double>) throws -> Matrix<Double> {
        guard x.columns == inputDimension else {
            throw NumericsError(.shapeMismatch, "inputs have \(x.columns) features but the teacher expects \(inputDimension)")
        }
        return try x.matmul(matrix, transposeOther: true)
    }
}
