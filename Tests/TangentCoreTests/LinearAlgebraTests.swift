import Testing
@testable import TangentCore

@Suite("GEMM and Gram match a naive triple loop")
struct LinearAlgebraTests {
    @Test("matmul matches the naive loop for every transpose combination (float64)",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulDouble(ta: Bool, tb: Bool) throws {
        let (m, k, n) = (7, 13, 5)
        let a = randomMatrix(ta ? k : m, ta ? m : k, seed: 1, as: Double.self)
        let b = randomMatrix(tb ? n : k, tb ? k : n, seed: 2, as: Double.self)
        let c = try a.matmul(b, transposeSelf: ta, transposeOther: tb)
        #expect(c.rows == m && c.columns == n)
        #expect(c.relativeDifference(to: naiveMatmul(a, b, ta: ta, tb: tb)) < 1e-14)
    }

    @Test("matmul in float32 matches the naive loop to single precision")
    func matmulFloat() throws {
        let a = randomMatrix(9, 17, seed: 3, as: Float.self)
        let b = randomMatrix(17, 4, seed: 4, as: Float.self)
        #expect(try a.matmul(b).relativeDifference(to: naiveMatmul(a, b)) < 1e-5)
    }

    @Test("matmul reports mismatched inner dimensions")
    func matmulShapeError() {
        let a = Matrix<Double>(rows: 3, columns: 4), b = Matrix<Double>(rows: 5, columns: 2)
        #expect {
            try a.matmul(b)
        } throws: { error in
            let e = error as? NumericsError
            return e?.code == .shapeMismatch && e!.message.contains("inner dimensions 4 and 5 differ")
        }
    }

    @Test("matmul with an empty inner dimension gives zeros")
    func matmulEmptyInner() throws {
        let c = try Matrix<Double>(rows: 3, columns: 0).matmul(Matrix<Double>(rows: 0, columns: 2))
        #expect(c == Matrix<Double>(rows: 3, columns: 2))
    }

    @Test("gram (SYRK and C kernel) equals A·Aᵀ by the naive loop and is exactly symmetric",
          arguments: [(1, 1), (2, 3), (5, 7), (37, 53), (50, 9), (97, 600), (130, 1030)])
    func gramDouble(n: Int, p: Int) {
        let a = randomMatrix(n, p, seed: UInt64(n * 1000 + p), as: Double.self)
        let reference = naiveMatmul(a, a, tb: true)
        for method in Matrix<Double>.GramMethod.allCases {
            let g = a.gram(method: method)
            #expect(g.relativeDifference(to: reference) < 1e-13, "method \(method)")
            #expect(g == g.transposed, "method \(method) must give an exactly symmetric result")
        }
    }

    @Test("gram in float32 agrees with the float64 reference", arguments: [(37, 53), (101, 777)])
    func gramFloat(n: Int, p: Int) {
        let a = randomMatrix(n, p, seed: 11, as: Float.self)
        let reference = naiveMatmul(a.converted(to: Double.self), a.converted(to: Double.self), tb: true)
        for method in Matrix<Float>.GramMethod.allCases {
            let g = a.gram(method: method)
            #expect(g.converted(to: Double.self).relativeDifference(to: reference) < 1e-5, "method \(method)")
            #expect(g == g.transposed)
        }
    }

    @Test("gram of a matrix with no columns is the zero matrix")
    func gramEmpty() {
        #expect(Matrix<Double>(rows: 4, columns: 0).gram() == Matrix<Double>(rows: 4, columns: 4))
        #expect(Matrix<Double>(rows: 4, columns: 0).gram(method: .kernel) == Matrix<Double>(rows: 4, columns: 4))
    }

    @Test("transposed is an involution and moves (i, j) to (j, i)")
    func transpose() {
        let a = randomMatrix(33, 70, seed: 5, as: Double.self)
        let t = a.transposed
        #expect(t.rows == 70 && t.columns == 33)
        #expect(t[69, 32] == a[32, 69] && t[3, 7] == a[7, 3])
        #expect(t.transposed == a)
    }

    @Test("Matrix init rejects an element count that does not fit the shape")
    func initShapeError() {
        #expect(throws: NumericsError.self) { try Matrix<Double>(rows: 2, columns: 3, elements: [1, 2, 3]) }
        #expect(throws: NumericsError.self) { try Matrix<Double>([[1, 2], [3]]) }
    }
}
