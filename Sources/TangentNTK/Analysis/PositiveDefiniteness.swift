import TangentCore

/// The smallest eigenvalue of a symmetric kernel K when it is negative beyond rounding, else nil.
///
/// A Cholesky factorization of K + δI with δ = 100·ε·|tr K| succeeds exactly when every eigenvalue of K exceeds −δ
/// (up to rounding), so only kernels that fail it have their eigenvalues computed. An all-zero kernel (tr K = 0)
/// is positive semi-definite and gives nil.
public func negativeEigenvalue<Scalar: TangentScalar>(of k: Matrix<Scalar>) throws -> Double? {
    let n = k.rows
    guard n > 0 else { return nil }
    let trace = Double(k.trace)
    if trace == 0, k.elements.allSatisfy({ $0 == 0 }) { return nil }
    var shifted = k
    let delta = Scalar(100 * Double(Scalar.ulpOfOne) * abs(trace))
    for i in 0..<n { shifted[i, i] += delta }
    let probe = Matrix<Scalar>(rows: n, columns: 1, repeating: 1)
    if (try? shifted.choleskySolve(probe, jitter: .none)) != nil { return nil }
    let smallest = Double(try k.symmetricEigenvalues().last ?? 0)
    return smallest < -Double(delta) ? smallest : nil
}

/// True when `smallest`, an eigenvalue of the symmetric kernel K, is below −100·ε·|tr K|: K is not positive
/// semi-definite beyond rounding (the threshold of `negativeEigenvalue(of:)`). Never true for a zero kernel.
public func isNegativeBeyondRounding(_ smallest: Double, of k: Matrix<Double>) -> Bool {
    smallest < -100 * Double.ulpOfOne * abs(k.trace)
}
