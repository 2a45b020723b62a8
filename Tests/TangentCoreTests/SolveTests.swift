import Testing
@testable import TangentCore

@Suite("Cholesky, least squares and pseudo-inverse")
struct SolveTests {
    @Test("Cholesky solves an SPD system to a small residual without jitter")
    func choleskySPD() throws {
        let a = randomSPD(40, seed: 1)
        let b = randomMatrix(40, 3, seed: 2, as: Double.self)
        let result = try a.choleskySolve(b)
        #expect(result.jitter == 0)
        #expect((try a.matmul(result.solution) - b).maxAbs / b.maxAbs < 1e-12)
    }

    @Test("Cholesky of a singular PSD matrix falls back to documented jitter")
    func choleskyJitter() throws {
        // Rank 3 Gram of 10 points: positive semi-definite, singular.
        let x = randomMatrix(10, 3, seed: 3, as: Double.self)
        let k = x.gram()
        let y = try k.matmul(randomMatrix(10, 1, seed: 4, as: Double.self))  // in the range of K
        let result = try k.choleskySolve(y)
        let scale = k.trace / 10
        #expect(result.jitter >= 1e-12 * scale && result.jitter <= 1e-4 * scale)
        // The regularized solution still fits a consistent right-hand side closely.
        #expect((try k.matmul(result.solution) - y).maxAbs / y.maxAbs < 1e-3)
    }

    @Test("without jitter a singular matrix is reported, with the remedy")
    func choleskyNoJitter() {
        let k = randomMatrix(6, 2, seed: 5, as: Double.self).gram()
        #expect { try k.choleskySolve(.identity(6), jitter: .none) } throws: {
            let e = $0 as? NumericsError
            return e?.code == .notPositiveDefinite && e!.message.contains("leastSquares")
        }
    }

    @Test("an indefinite matrix fails even with jitter")
    func choleskyIndefinite() {
        let a = Matrix<Double>.diagonal([1, -1, 2])
        #expect { try a.choleskySolve(.identity(3)) } throws: { ($0 as? NumericsError)?.code == .notPositiveDefinite }
    }

    @Test("least squares on a full-rank overdetermined system equals the normal equations")
    func leastSquaresFullRank() throws {
        let a = randomMatrix(50, 6, seed: 6, as: Double.self)
        let b = randomMatrix(50, 2, seed: 7, as: Double.self)
        let ls = try a.leastSquares(b)
        #expect(ls.rank == 6)
        let normal = try a.columnGram().choleskySolve(try a.matmul(b, transposeSelf: true)).solution
        #expect(ls.solution.relativeDifference(to: normal) < 1e-10)
    }

    @Test("rank-deficient least squares gives the minimum-norm solution, equal to A⁺·b")
    func leastSquaresRankDeficient() throws {
        let a = try randomMatrix(8, 3, seed: 8, as: Double.self).matmul(randomMatrix(3, 12, seed: 9, as: Double.self))
        let b = randomMatrix(8, 1, seed: 10, as: Double.self)
        let ls = try a.leastSquares(b)
        #expect(ls.rank == 3)
        let viaPinv = try a.pseudoInverse().matmul(b)
        #expect(ls.solution.relativeDifference(to: viaPinv) < 1e-9)
    }

    @Test("the pseudo-inverse satisfies the four Moore–Penrose conditions")
    func moorePenrose() throws {
        let a = try randomMatrix(9, 4, seed: 11, as: Double.self).matmul(randomMatrix(4, 7, seed: 12, as: Double.self))
        let p = try a.pseudoInverse()
        let apa = try a.matmul(p).matmul(a), pap = try p.matmul(a).matmul(p)
        let ap = try a.matmul(p), pa = try p.matmul(a)
        #expect(apa.relativeDifference(to: a) < 1e-10)
        #expect(pap.relativeDifference(to: p) < 1e-10)
        #expect(ap.relativeDifference(to: ap.transposed) < 1e-10)
        #expect(pa.relativeDifference(to: pa.transposed) < 1e-10)
    }

    @Test("SVD reconstructs the matrix and orders singular values")
    func svdReconstruction() throws {
        let a = randomMatrix(12, 7, seed: 13, as: Double.self)
        let d = try a.svd()
        var us = d.u
        us.scaleColumns(by: d.singularValues)
        #expect(try us.matmul(d.vt).relativeDifference(to: a) < 1e-12)
        #expect(zip(d.singularValues, d.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
        let values = try a.singularValues()
        for (x, y) in zip(values, d.singularValues) { #expect(abs(x - y) < 1e-12 * values[0]) }
    }
}

@Suite("Spectral norm")
struct SpectralNormTests {
    @Test("exact and power-iteration spectral norms agree with the closed form of a diagonal matrix")
    func diagonal() throws {
        let d = Matrix<Double>.diagonal([0.5, -3, 2])
        #expect(abs(try d.spectralNorm() - 3) < 1e-14)
        let p = try d.spectralNormPowerIteration(tolerance: 1e-13)
        #expect(p.converged && abs(p.norm - 3) < 1e-10)
    }

    @Test("power iteration converges to the SVD value on a random matrix")
    func random() throws {
        let a = randomMatrix(60, 30, seed: 14, as: Double.self)
        let exact = try a.spectralNorm()
        let p = try a.spectralNormPowerIteration(tolerance: 1e-12, maxIterations: 5000)
        #expect(p.converged)
        #expect(abs(p.norm - exact) / exact < 1e-6)
        // Same seed, same result.
        #expect(try a.spectralNormPowerIteration(tolerance: 1e-12, maxIterations: 5000).norm == p.norm)
    }

    @Test("a rank-one matrix has stable rank 1 and norm |u||v|")
    func rankOne() throws {
        let u = randomMatrix(20, 1, seed: 15, as: Double.self), v = randomMatrix(1, 9, seed: 16, as: Double.self)
        let a = try u.matmul(v)
        #expect(abs(try a.stableRank() - 1) < 1e-10)
        #expect(abs(try a.spectralNorm() - u.frobeniusNorm * v.frobeniusNorm) < 1e-10 * a.frobeniusNorm)
    }
}
