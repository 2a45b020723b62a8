import Foundation
import TangentCore

/// How `whiten` transforms a data matrix X (P samples × D features).
///
/// With X_c = X − 1·μᵀ (μ the column means when centring, else 0) and its thin SVD X_c = U·S·Vᵀ
/// (S = diag(s_1 ≥ … ≥ s_r), r = min(P, D)), only the ρ singular values above the cutoff
/// s_i > max(P, D)·ε·s_1 (ε = 2⁻⁵², numpy's `matrix_rank` rule) count as nonzero; U_ρ, S_ρ, V_ρ keep those.
///
/// - `full`: X_w = √D·U_ρ·V_ρᵀ. Every nonzero singular value becomes √D (the transform of the code published with
///   Lauditi, Bordelon & Pehlevan 2025, `sqrt(D) * U @ Vt`), so X_wᵀX_w = D·V_ρV_ρᵀ (D times the projector on the data's span) and
///   X_w X_wᵀ = D·U_ρU_ρᵀ; for P ≤ D at full rank the samples are orthogonal with |x_μ|² = D, and for P ≥ D the
///   sample covariance is (1/P)·X_wᵀX_w = (D/P)·I.
/// - `partial(gamma: γ)`, γ ∈ [0, 1]: X_γ = D^{(1−γ)/2}·U_ρ·S_ρ^γ·V_ρᵀ (Atanasov, Bordelon & Pehlevan 2022,
///   Sec. 5: covariance eigenvalues λ → λ^γ). Singular values D^{(1−γ)/2}·s_i^γ interpolate geometrically between √D (γ = 0, exactly `full`)
///   and s_i; γ = 1 returns X_c itself, unchanged bit for bit (the SVD is not used).
/// - `pca(components: k)`: X_k = X_c·V_k (P × k), the coordinates on the top-k right singular vectors (k = ρ when
///   nil, 1 ≤ k ≤ min(P, D)); the columns are uncorrelated: X_kᵀX_k = diag(s_1², …, s_k²). Each v_j's sign is
///   fixed so that its entry of largest magnitude is positive.
/// - `none`: X_c (only the centring, if any).
public enum WhiteningMethod: Sendable, Equatable {
    case full
    case partial(gamma: Double)
    case pca(components: Int?)
    case none
}

/// Which statistics transform the test set.
///
/// - `train`: the map fitted on the train set, x ↦ (x − μ_train)·M, where M = V_ρ·diag(c·s_i^{γ−1})·V_ρᵀ
///   (c = D^{(1−γ)/2}; γ = 0 for `full`), M = V_k for `pca` and M = I for `none` and γ = 1. Applied to the train
///   set it reproduces the whitened train set (to rounding). Test components outside the span of the train
///   data (V_ρ) are removed when ρ < D.
/// - `separate`: the test set is whitened on its own, with its own mean and SVD (as the code of Lauditi, Bordelon &
///   Pehlevan 2025 does). Not allowed with `pca`, whose axes would differ between train and test.
public enum WhiteningStatistics: String, Sendable, CaseIterable {
    case train, separate
}

/// A whitening fitted to one data matrix: the map x ↦ (x − μ)·M and the spectrum it was built from.
public struct Whitening: Sendable, Equatable {
    public let method: WhiteningMethod
    /// μ (zeros without centring), D values.
    public let mean: [Double]
    /// M (D × D′), or nil for the identity (`none`, γ = 1).
    public let map: Matrix<Double>?
    /// c = D^{(1−γ)/2} for `full` (γ = 0) and `partial`, 1 otherwise.
    public let scale: Double
    /// s_1 ≥ … ≥ s_r of X_c (before the transform).
    public let singularValues: [Double]
    /// ρ: the number of singular values above the cutoff.
    public let rank: Int

    /// Fits the method to X (P × D) and returns the whitening with the transformed X. `what` names X in errors.
    public static func fit(_ x: Matrix<Double>, method: WhiteningMethod, center: Bool = true,
                           what: String = "the inputs") throws -> (whitening: Whitening, transformed: Matrix<Double>) {
        let p = x.rows, d = x.columns
        guard p >= 1, d >= 1 else {
            throw NumericsError(.invalidArgument, "cannot whiten \(what): the matrix is \(p)×\(d)")
        }
        try x.checkFinite(what)
        var mean = [Double](repeating: 0, count: d)
        var xc = x
        if center {
            for i in 0..<p { for j in 0..<d { mean[j] += x[i, j] } }
            mean = mean.map { $0 / Double(p) }
            for i in 0..<p { for j in 0..<d { xc[i, j] -= mean[j] } }
        }
        switch method {
        case .partial(let gamma) where !(gamma >= 0 && gamma <= 1):
            throw NumericsError(.invalidArgument, "partial whitening needs gamma in [0, 1], got \(gamma)")
        case .pca(let k?) where k < 1 || k > min(p, d):
            throw NumericsError(.invalidArgument,
                                "PCA of \(what) (\(p)×\(d)) keeps 1 … \(min(p, d)) components, got \(k)")
        default: break
        }

        let identity: Bool = switch method {
        case .none: true
        case .partial(let gamma): gamma == 1
        default: false
        }
        if identity {
            let s = try xc.singularValues()
            let w = Whitening(method: method, mean: mean, map: nil, scale: 1, singularValues: s,
                              rank: effectiveRank(s, rows: p, columns: d))
            return (w, xc)
        }

        let svd = try xc.svd()
        let s = svd.singularValues
        let rho = effectiveRank(s, rows: p, columns: d)
        guard rho > 0 else {
            throw NumericsError(.invalidArgument,
                                "cannot whiten \(what): every singular value is zero\(center ? " after centring" : "") (constant inputs\(center && p == 1 ? ", a single sample" : ""))")
        }
        let v = svd.vt.transposed  // D × r

        if case .pca(let requested) = method {
            let k = requested ?? rho
            var vk = Matrix<Double>(rows: d, columns: k) { i, j in v[i, j] }
            // Sign convention: the largest-magnitude entry of each v_j is positive.
            let signs: [Double] = (0..<k).map { j in
                let col = vk.column(j)
                let top = col.indices.max { abs(col[$0]) < abs(col[$1]) } ?? 0
                return col[top] < 0 ? -1 : 1
            }
            vk.scaleColumns(by: signs)
            let w = Whitening(method: method, mean: mean, map: vk, scale: 1, singularValues: s, rank: rho)
            return (w, try xc.matmul(vk))
        }

        let gamma: Double = if case .partial(let g) = method { g } else { 0 }
        let c = gamma == 0 ? Double(d).squareRoot() : pow(Double(d), (1 - gamma) / 2)
        let after = (0..<rho).map { gamma == 0 ? c : c * pow(s[$0], gamma) }
        let inverse = (0..<rho).map { gamma == 0 ? c / s[$0] : c * pow(s[$0], gamma - 1) }
        let u = Matrix<Double>(rows: p, columns: rho) { i, j in svd.u[i, j] }
        let vr = Matrix<Double>(rows: d, columns: rho) { i, j in v[i, j] }
        var us = u
        us.scaleColumns(by: after)
        var vs = vr
        vs.scaleColumns(by: inverse)
        let transformed = try us.matmul(vr, transposeOther: true)
        let map = try vs.matmul(vr, transposeOther: true)
        return (Whitening(method: method, mean: mean, map: map, scale: c, singularValues: s, rank: rho), transformed)
    }

    /// D
    public var inputDimension: Int { mean.count }
    /// D′: D, or k for PCA.
    public var outputDimension: Int { map?.columns ?? mean.count }

    /// (X − 1·μᵀ)·M for the rows of X.
    public func apply(_ x: Matrix<Double>) throws -> Matrix<Double> {
        let xc = try centre(x)
        guard let map else { return xc }
        return try xc.matmul(map)
    }

    /// X − 1·μᵀ: the centring step of `apply` alone.
    public func centre(_ x: Matrix<Double>) throws -> Matrix<Double> {
        guard x.columns == inputDimension else {
            throw NumericsError(.shapeMismatch, "inputs have \(x.columns) features but the whitening was fitted on \(inputDimension)")
        }
        var xc = x
        for i in 0..<x.rows { for j in 0..<x.columns { xc[i, j] -= mean[j] } }
        return xc
    }

    /// ρ = #{s_i > max(P, D)·ε·s_1} for the singular values of a P × D matrix.
    public static func effectiveRank(_ s: [Double], rows: Int, columns: Int) -> Int {
        guard let top = s.first, top > 0 else { return 0 }
        let cutoff = Double(max(rows, columns)) * Double.ulpOfOne * top
        return s.filter { $0 > cutoff }.count
    }

    /// s_1/s_ρ over the nonzero singular values (nil when all are zero).
    public static func conditionNumber(_ s: [Double], rows: Int, columns: Int) -> Double? {
        let rho = effectiveRank(s, rows: rows, columns: columns)
        return rho > 0 ? s[0] / s[rho - 1] : nil
    }
}

/// Train (and test) inputs after `whiten`, with the spectra before and after.
public struct WhitenedData: Sendable, Equatable {
    public let train: Matrix<Double>
    /// nil when no test set was given.
    public let test: Matrix<Double>?
    /// The whitening fitted on the train set (its `singularValues` are the train spectrum before).
    public let trainWhitening: Whitening
    /// The test set's own whitening (`separate` only).
    public let testWhitening: Whitening?
    public let trainSingularValuesAfter: [Double]
    /// Singular values of the test matrix as centred for its transform (by μ_train or its own mean), before it.
    public let testSingularValuesBefore: [Double]?
    public let testSingularValuesAfter: [Double]?
    /// The factor κ that multiplied the transformed train and test inputs (`preserveScale`), 1 otherwise.
    public let scaleFactor: Double

    public var trainSingularValuesBefore: [Double] { trainWhitening.singularValues }
}

/// Whitens `train` (P × D) and, when given, `test` (P_test × D) by `method`; see `WhiteningMethod` for the
/// formulas and `WhiteningStatistics` for how the test set is treated. Singular values after the transform are
/// computed afresh from the transformed matrices.
///
/// `preserveScale` (partial whitening only) multiplies the transformed train inputs X_γ, and the test inputs by the
/// same factor, by κ = √(ρ·D)/‖X_γ‖_F, so that ‖κ·X_γ‖_F = √(ρ·D) = ‖X_0‖_F, the norm of the fully whitened train
/// inputs (ρ nonzero singular values, each √D). The kernels and the gradient-descent step sizes of a network scale
/// with the input norm, so this lets one learning rate serve every γ. γ = 0 is already the full whitening: κ = 1
/// exactly.
public func whiten(_ train: Matrix<Double>, test: Matrix<Double>? = nil, method: WhiteningMethod, center: Bool = true,
                   testStatistics: WhiteningStatistics = .train, preserveScale: Bool = false) throws -> WhitenedData {
    if case .pca = method, testStatistics == .separate, let test, test.rows > 0 {
        throw NumericsError(.invalidArgument,
                            "PCA with separate test statistics would project train and test onto different axes; use test statistics `train`")
    }
    var kappa = 1.0
    if preserveScale {
        guard case .partial = method else {
            throw NumericsError(.invalidArgument, "preserving the scale applies to partial whitening only")
        }
    }
    let (w, fitted) = try Whitening.fit(train, method: method, center: center, what: "the train inputs")
    var x = fitted
    if preserveScale, case .partial(let gamma) = method, gamma != 0 {
        let norm = x.frobeniusNorm
        guard norm > 0 else { throw NumericsError(.invalidArgument, "cannot preserve the scale of zero inputs") }
        kappa = (Double(w.rank) * Double(train.columns)).squareRoot() / norm
        x = kappa * x
    }
    let trainAfter = try x.singularValues()
    guard let test, test.rows > 0 else {
        return WhitenedData(train: x, test: test, trainWhitening: w, testWhitening: nil, trainSingularValuesAfter: trainAfter,
                            testSingularValuesBefore: nil, testSingularValuesAfter: nil, scaleFactor: kappa)
    }
    guard test.columns == train.columns else {
        throw NumericsError(.shapeMismatch, "test inputs have \(test.columns) features but train inputs have \(train.columns)")
    }
    switch testStatistics {
    case .train:
        try test.checkFinite("the test inputs")
        let t = kappa == 1 ? try w.apply(test) : kappa * (try w.apply(test))
        return WhitenedData(train: x, test: t, trainWhitening: w, testWhitening: nil, trainSingularValuesAfter: trainAfter,
                            testSingularValuesBefore: try w.centre(test).singularValues(),
                            testSingularValuesAfter: try t.singularValues(), scaleFactor: kappa)
    case .separate:
        let (tw, separate) = try Whitening.fit(test, method: method, center: center, what: "the test inputs")
        let t = kappa == 1 ? separate : kappa * separate
        return WhitenedData(train: x, test: t, trainWhitening: w, testWhitening: tw, trainSingularValuesAfter: trainAfter,
                            testSingularValuesBefore: tw.singularValues, testSingularValuesAfter: try t.singularValues(),
                            scaleFactor: kappa)
    }
}
