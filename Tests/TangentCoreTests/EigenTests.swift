import Testing
@testable import TangentCore

@Suite("Symmetric eigendecomposition")
struct EigenTests {
    @Test("eigenpairs satisfy A·v = λ·v and reconstruct A to 1e-10", arguments: [1, 2, 10, 64, 150])
    func eigenpairs(n: Int) throws {
        let a = randomSymmetric(n, seed: UInt64(n))
        let e = try a.symmetricEigen()
        let v = try #require(e.vectors)
        let scale = a.maxAbs
        for i in 0..<n {
            let vi = try Matrix(rows: n, columns: 1, elements: v.column(i))
            let residual = try a.matmul(vi) - e.values[i] * vi
            #expect(residual.maxAbs / scale < 1e-10)
        }
        var vl = v
        vl.scaleColumns(by: e.values)
        let reconstructed = try vl.matmul(v, transposeOther: true)
        #expect(reconstructed.relativeDifference(to: a) < 1e-10)
        // Orthonormal vectors, descending values.
        #expect(try v.matmul(v, transposeSelf: true).relativeDifference(to: .identity(n)) < 1e-10)
        #expect(zip(e.values, e.values.dropFirst()).allSatisfy { $0 >= $1 })
    }

    @Test("values-only and top-k agree with the full decomposition")
    func topK() throws {
        let a = randomSymmetric(80, seed: 9)
        let full = try a.symmetricEigen()
        let values = try a.symmetricEigenvalues()
        for (x, y) in zip(values, full.values) { #expect(abs(x - y) < 1e-10 * abs(full.values[0])) }
        let top = try a.topEigen(5)
        let vectors = try #require(top.vectors)
        #expect(vectors.rows == 80 && vectors.columns == 5)
        for i in 0..<5 {
            #expect(abs(top.values[i] - full.values[i]) < 1e-10 * abs(full.values[0]))
            // Same eigenvector up to sign.
            let dot = zip(vectors.column(i), full.vectors!.column(i)).map { $0 * $1 }.reduce(0, +)
            #expect(abs(abs(dot) - 1) < 1e-8)
        }
        #expect(try a.topEigen(0).values.isEmpty)
    }

    @Test("a diagonal matrix has its diagonal as eigenvalues (closed form)")
    func diagonal() throws {
        let d = Matrix<Double>.diagonal([3, -1, 7, 0.5])
        #expect(try d.symmetricEigenvalues() == [7, 3, 0.5, -1])
        let f = Matrix<Float>.diagonal([2, 5])
        #expect(try f.symmetricEigenvalues() == [5, 2])
    }

    @Test("non-square, NaN and bad k give clear errors")
    func errors() {
        #expect { try Matrix<Double>(rows: 2, columns: 3).symmetricEigen() } throws: {
            ($0 as? NumericsError)?.code == .shapeMismatch
        }
        var a = Matrix<Double>.identity(3)
        a[1, 2] = .nan
        #expect { try a.symmetricEigen() } throws: {
            let e = $0 as? NumericsError
            return e?.code == .invalidArgument && e!.message.contains("non-finite value nan at (1, 2)")
        }
        #expect { try Matrix<Double>.identity(3).topEigen(4) } throws: {
            ($0 as? NumericsError)?.message.contains("k = 4") == true
        }
    }
}
