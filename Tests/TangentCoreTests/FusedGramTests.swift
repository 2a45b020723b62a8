import Testing
@testable import TangentCore

@Suite("Fused Gram + Hadamard kernel")
struct FusedGramTests {
    @Test("upper triangle of Θ + α·F ⊙ (D·Dᵀ) matches the naive loop, with and without F",
          arguments: [(1, 1), (5, 3), (13, 7), (50, 513), (97, 1030), (130, 40)])
    func matchesNaive(n: Int, k: Int) throws {
        let d = randomMatrix(n, k, seed: UInt64(n + k), as: Double.self)
        let f = randomSymmetric(n, seed: 3)
        let start = randomSymmetric(n, seed: 4)
        let g = naiveMatmul(d, d, tb: true)
        for useFactor in [true, false] {
            var theta = start
            try theta.addUpperGramHadamard(of: d, factor: useFactor ? f : nil, alpha: 0.7)
            var expected = start
            for i in 0..<n { for j in i..<n { expected[i, j] += 0.7 * (useFactor ? f[i, j] : 1) * g[i, j] } }
            for i in 0..<n {
                for j in 0..<n {
                    if j >= i {
                        #expect(abs(theta[i, j] - expected[i, j]) <= 1e-12 * max(1, g.maxAbs * f.maxAbs), "(\(i), \(j))")
                    } else {
                        #expect(theta[i, j] == start[i, j], "the lower triangle is untouched")
                    }
                }
            }
            theta.symmetrizeFromUpper()
            #expect(theta == theta.transposed)
        }
    }

    @Test("float32 agrees with the float64 result")
    func float32() throws {
        let d = randomMatrix(37, 600, seed: 9, as: Double.self)
        var t64 = Matrix<Double>(rows: 37, columns: 37), t32 = Matrix<Float>(rows: 37, columns: 37)
        try t64.addUpperGramHadamard(of: d)
        try t32.addUpperGramHadamard(of: d.converted(to: Float.self))
        t64.symmetrizeFromUpper()
        t32.symmetrizeFromUpper()
        #expect(t32.converted(to: Double.self).relativeDifference(to: t64) < 1e-5)
        #expect(t64.relativeDifference(to: d.gram()) < 1e-13)
    }
}
