import Testing
import TangentCore
@testable import TangentNTK

@Suite("Streamed kernel regression: one buffer, the same predictions as kernelRegression")
struct StreamedKernelRegressionTests {
    /// A PD kernel K = ZZᵀ/m + small diagonal on P train and P_t test points, with targets.
    func problem(p: Int, pt: Int, m: Int, seed: UInt64) throws -> (k: Matrix<Double>, kt: Matrix<Double>, y: Matrix<Double>) {
        var rng = Xoshiro256StarStar(seed: seed)
        let z = Matrix<Double>.randomNormal(rows: p + pt, columns: m, using: &rng)
        let all = (1 / Double(m)) * (try z.matmul(z.transposed))
        let k = Matrix(rows: p, columns: p) { i, j in all[i, j] }
        let kt = Matrix(rows: pt, columns: p) { i, j in all[p + i, j] }
        return (k, kt, Matrix<Double>.randomNormal(rows: p, columns: 3, using: &rng))
    }

    @Test("float64 agrees with kernelRegression to 1e-10 with a ridge, in blocks that do not divide N")
    func float64AgreesWithInMemory() throws {
        let (k, kt, y) = try problem(p: 150, pt: 70, m: 400, seed: 1)
        let reference = try kernelRegression(kernels: [k], testKernels: [kt], targets: y, ridge: 0.05)
        let s = try streamedKernelRegression(Double.self, n: 150, rows: { k.rows($0) }, testRows: { kt.rows($0) }, nTest: 70,
                                             residual: y, ridge: 0.05, blockRows: 37)
        #expect(relativePredictionError(s.train, reference.train) < 1e-10)
        #expect(relativePredictionError(s.test, reference.test) < 1e-10)
        #expect(s.jitter == 0)
    }

    @Test("float32 solves agree to 1e-4 relative and halve the buffer")
    func float32AgreesLoosely() throws {
        let (k, kt, y) = try problem(p: 120, pt: 40, m: 300, seed: 2)
        let reference = try kernelRegression(kernels: [k], testKernels: [kt], targets: y, ridge: 0.1)
        let s = try streamedKernelRegression(Float.self, n: 120, rows: { k.rows($0) }, testRows: { kt.rows($0) }, nTest: 40,
                                             residual: y, ridge: 0.1, blockRows: 50)
        #expect(relativePredictionError(s.test, reference.test) < 1e-4)
        #expect(relativePredictionError(s.train, reference.train) < 1e-4)
    }

    @Test("a rank-deficient kernel without ridge: jitter per the policy, or a clear error without one")
    func rankDeficient() throws {
        let (k, kt, y) = try problem(p: 80, pt: 10, m: 20, seed: 3)   // rank 20 < 80
        let reference = try k.choleskySolve(y)                           // the in-memory jitter schedule
        let s = try streamedKernelRegression(Double.self, n: 80, rows: { k.rows($0) }, testRows: { kt.rows($0) }, nTest: 10,
                                             residual: y, ridge: 0, blockRows: 16)
        #expect(s.jitter > 0 && s.jitter == reference.jitter)
        #expect(relativePredictionError(s.train, try k.matmul(reference.solution)) < 1e-8)
        let failed = Result { try streamedKernelRegression(Double.self, n: 80, rows: { k.rows($0) }, testRows: nil, nTest: 0,
                                                           residual: y, ridge: 0, jitter: .none) }
        guard case .failure(let error) = failed else { Issue.record("expected a failure"); return }
        #expect("\(error)".contains("not positive definite") && "\(error)".contains("set a ridge"))
    }

    @Test("the in-place factor solves like choleskySolve and reports a failed minor")
    func inPlaceFactor() throws {
        let (k, _, y) = try problem(p: 60, pt: 0, m: 120, seed: 4)
        var a = k
        #expect(try a.choleskyFactorInPlace())
        let x = try a.choleskySolveFactored(y)
        #expect(relativePredictionError(x, try k.choleskySolve(y, jitter: .none).solution) < 1e-12)
        var indefinite = try Matrix<Double>(rows: 2, columns: 2, elements: [1, 2, 2, 1])
        #expect(try !indefinite.choleskyFactorInPlace())
    }
}
