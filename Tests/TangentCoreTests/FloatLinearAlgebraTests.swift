import Testing
@testable import TangentCore

/// The float32 bridges to LAPACK, checked against the float64 results on the same matrices.
@Suite("float32 LAPACK paths agree with float64")
struct FloatLinearAlgebraTests {
    @Test("eigen, top-k, SVD, Cholesky and least squares in float32")
    func floatPaths() throws {
        let a64 = randomSPD(30, seed: 21)
        let a32 = a64.converted(to: Float.self)
        let scale = Double(a64.maxAbs)

        let e64 = try a64.symmetricEigenvalues(), e32 = try a32.symmetricEigen()
        for (x, y) in zip(e64, e32.values) { #expect(abs(x - Double(y)) < 1e-4 * scale) }
        let top = try a32.topEigen(3)
        for i in 0..<3 { #expect(abs(Double(top.values[i]) - e64[i]) < 1e-4 * scale) }

        let s64 = try a64.singularValues(), s32 = try a32.svd().singularValues
        for (x, y) in zip(s64, s32) { #expect(abs(x - Double(y)) < 1e-4 * scale) }

        let b64 = randomMatrix(30, 2, seed: 22, as: Double.self)
        let x64 = try a64.choleskySolve(b64).solution
        let x32 = try a32.choleskySolve(b64.converted(to: Float.self)).solution
        #expect(x32.converted(to: Double.self).relativeDifference(to: x64) < 1e-4)
        let l32 = try a32.leastSquares(b64.converted(to: Float.self)).solution
        #expect(l32.converted(to: Double.self).relativeDifference(to: x64) < 1e-3)
        #expect(abs(Double(try a32.spectralNorm()) - s64[0]) < 1e-4 * s64[0])
    }
}
