import TangentCore

/// How the kernel specialization matrix is normalized (Shan & Bordelon 2021, Eq. 9, whose normalizer can be read
/// either way: averaged over the diagonal pairs (c, c), or over the heads for each target column d).
public enum SpecializationNormalization: String, Sendable, CaseIterable {
    /// KSM(c, d) = A(K^{cc}, y_d) / [C⁻¹ Σ_{d'} A(K^{d'd'}, y_{d'})]  (variant A, "verified against the PDF")
    case meanDiagonal = "mean_diagonal"
    /// KSM(c, d) = A(K^{cc}, y_d) / [C⁻¹ Σ_{d'} A(K^{d'd'}, y_d)]    (variant B: per target column)
    case perTarget = "per_target"
}

/// The kernel specialization matrix KSM (C × C): row c is head c's kernel K^{cc}, column d the target column y_d,
///
///     A(K, y) = yᵀKy / (‖K‖_F |y|²)   (uncentered alignment),
///
/// normalized as chosen. KSM ≈ 1 everywhere means no specialization; a diagonal above 1 with off-diagonal
/// entries below 1 means each head's kernel aligned to its own target.
public func specializationMatrix(heads: [Matrix<Double>], targets y: Matrix<Double>,
                                 normalization: SpecializationNormalization = .meanDiagonal) throws -> Matrix<Double> {
    let c = heads.count
    guard y.columns == c else {
        throw NumericsError(.shapeMismatch, "specialization needs one target column per head: \(c) heads, \(y.columns) columns")
    }
    let columns = (0..<c).map { try! Matrix<Double>(rows: y.rows, columns: 1, elements: y.column($0)) }
    var raw = Matrix<Double>(rows: c, columns: c)
    for i in 0..<c { for j in 0..<c { raw[i, j] = try kernelAlignment(heads[i], columns[j]) } }
    var ksm = Matrix<Double>(rows: c, columns: c)
    for i in 0..<c {
        for j in 0..<c {
            let denominator: Double
            switch normalization {
            case .meanDiagonal: denominator = (0..<c).reduce(0) { $0 + raw[$1, $1] } / Double(c)
            case .perTarget: denominator = (0..<c).reduce(0) { $0 + raw[$1, j] } / Double(c)
            }
            ksm[i, j] = denominator != 0 ? raw[i, j] / denominator : 0
        }
    }
    return ksm
}

/// The mean of the KSM's diagonal, C⁻¹ Σ_c KSM(c, c): above 1 when each head's kernel aligns with its own target.
public func specializationDiagonalMean(_ ksm: Matrix<Double>) -> Double {
    let c = ksm.rows
    guard c > 0 else { return .nan }
    return (0..<c).reduce(0) { $0 + ksm[$1, $1] } / Double(c)
}

/// The mean of the KSM's off-diagonal entries, (C(C−1))⁻¹ Σ_{c≠d} KSM(c, d) (NaN for one output).
public func specializationOffDiagonalMean(_ ksm: Matrix<Double>) -> Double {
    let c = ksm.rows
    guard c > 1 else { return .nan }
    return (ksm.sum - specializationDiagonalMean(ksm) * Double(c)) / Double(c * (c - 1))
}

/// max_{c,d} |KSM(c, d) − 1|: how far the matrix is from "no specialization" (every entry 1).
public func specializationMaxDeviation(_ ksm: Matrix<Double>) -> Double {
    ksm.elements.reduce(0) { max($0, abs($1 - 1)) }
}

/// Specialization index: mean diagonal minus mean off-diagonal entry of the KSM (0 without specialization).
public func specializationIndex(_ ksm: Matrix<Double>) -> Double {
    guard ksm.rows > 1 else { return 0 }
    return specializationDiagonalMean(ksm) - specializationOffDiagonalMean(ksm)
}
