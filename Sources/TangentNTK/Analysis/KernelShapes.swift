import TangentCore

/// Checks the kernels a kernel predictor uses against its targets Y (P × C): one shared kernel or one per output,
/// each P × P, and test kernels (one per train kernel, all P_test × P). Returns P_test (0 without test kernels).
/// `method` names the caller in the error messages.
func checkKernelShapes(_ kernels: [Matrix<Double>], test testKernels: [Matrix<Double>], targets: Matrix<Double>,
                       method: String) throws -> Int {
    let p = targets.rows, c = targets.columns
    guard kernels.count == 1 || kernels.count == c else {
        throw NumericsError(.shapeMismatch, "\(method): \(kernels.count) kernels for \(c) outputs (need 1 or \(c))")
    }
    guard testKernels.isEmpty || testKernels.count == kernels.count else {
        throw NumericsError(.shapeMismatch, "\(method): \(testKernels.count) test kernels for \(kernels.count) kernels")
    }
    for k in kernels where k.rows != p || k.columns != p {
        throw NumericsError(.shapeMismatch, "\(method): kernel is \(k.rows)×\(k.columns) but there are \(p) targets")
    }
    let pt = testKernels.first?.rows ?? 0
    for k in testKernels where k.rows != pt || k.columns != p {
        throw NumericsError(.shapeMismatch, "\(method): test kernel is \(k.rows)×\(k.columns), expected \(pt)×\(p)")
    }
    return pt
}
