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

    /// The instruction sets this CPU can run: AVX2 always, AVX-512 where present.
    static var variants: [Int32] { Threads.hasAVX512 ? [0, 1] : [0] }

    @Test("a rectangular tile Θ + α·F ⊙ (A·Bᵀ) matches the naive loop in every instruction set, with and without F",
          arguments: [(1, 1, 1), (7, 5, 3), (13, 50, 513), (97, 31, 1030), (130, 61, 40), (49, 200, 1025)])
    func crossMatchesNaive(m: Int, n: Int, k: Int) throws {
        let a = randomMatrix(m, k, seed: UInt64(m + 2 * k), as: Double.self)
        let b = randomMatrix(n, k, seed: UInt64(n + 3 * k), as: Double.self)
        let f = randomMatrix(m, n, seed: 5, as: Double.self)
        let start = randomMatrix(m, n, seed: 6, as: Double.self)
        let g = naiveMatmul(a, b, tb: true)
        for isa in Self.variants {
            for useFactor in [true, false] {
                var theta = start
                try theta.addCrossHadamard(of: a, b, factor: useFactor ? f : nil, alpha: -0.3, upper: false, isa: isa)
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        let expected = start[i, j] - 0.3 * (useFactor ? f[i, j] : 1) * g[i, j]
                        worst = max(worst, abs(theta[i, j] - expected))
                    }
                }
                #expect(worst <= 1e-12 * max(1, g.maxAbs), "isa \(isa), factor \(useFactor): \(worst)")
            }
        }
    }

    @Test("AVX-512 and AVX2 give the same upper Gram + Hadamard to rounding, in float64 and float32")
    func variantsAgree() throws {
        guard Threads.hasAVX512 else { return }
        let d = randomMatrix(203, 1100, seed: 11, as: Double.self)
        let f = randomSymmetric(203, seed: 12)
        var results: [Matrix<Double>] = []
        var results32: [Matrix<Float>] = []
        for isa in Self.variants {
            var t = Matrix<Double>(rows: 203, columns: 203)
            try t.addCrossHadamard(of: d, d, factor: f, alpha: 1, upper: true, isa: isa)
            t.symmetrizeFromUpper()
            results.append(t)
            var t32 = Matrix<Float>(rows: 203, columns: 203)
            try t32.addCrossHadamard(of: d.converted(to: Float.self), d.converted(to: Float.self),
                                     factor: f.converted(to: Float.self), alpha: 1, upper: true, isa: isa)
            t32.symmetrizeFromUpper()
            results32.append(t32)
        }
        var expected = d.gram()
        for i in 0..<203 { for j in 0..<203 { expected[i, j] *= f[i, j] } }
        for t in results { #expect(t.relativeDifference(to: expected) < 1e-13) }
        for t in results32 { #expect(t.converted(to: Double.self).relativeDifference(to: expected) < 1e-5) }
    }

    @Test("upper mode on a rectangular tile is refused")
    func upperNeedsSquare() {
        let a = randomMatrix(4, 3, seed: 1, as: Double.self), b = randomMatrix(5, 3, seed: 2, as: Double.self)
        var theta = Matrix<Double>(rows: 4, columns: 5)
        #expect(throws: NumericsError.self) {
            try theta.addCrossHadamard(of: a, b, factor: nil, alpha: 1, upper: true, isa: -1)
        }
    }

    @Test("Θ = C + α·F ⊙ (D·Dᵀ) into a fresh buffer equals copying C and accumulating, in every instruction set",
          arguments: [(1, 3), (29, 40), (130, 515)])
    func baseReplacesTheta(n: Int, k: Int) throws {
        let d = randomMatrix(n, k, seed: UInt64(7 * n + k), as: Double.self)
        let f = randomSymmetric(n, seed: 21), c = randomSymmetric(n, seed: 22)
        var expected = c
        try expected.addUpperGramHadamard(of: d, factor: f, alpha: 0.4)
        expected.symmetrizeFromUpper()
        for isa in Self.variants {
            var theta = Matrix<Double>(rows: n, columns: n, repeating: .nan)  // every entry on or above the diagonal is written
            try theta.addCrossHadamard(of: d, d, factor: f, alpha: 0.4, base: c, upper: true, isa: isa)
            theta.symmetrizeFromUpper()
            #expect(theta.relativeDifference(to: expected) < 1e-14, "isa \(isa)")
        }
        var viaPublic = try Matrix.upperGramHadamard(of: d, factor: f, plus: c, alpha: 0.4)
        viaPublic.symmetrizeFromUpper()
        #expect(viaPublic.relativeDifference(to: expected) < 1e-14)
    }
}
