@testable import TangentCore

/// Naive triple-loop reference for op(A)·op(B).
func naiveMatmul<S: TangentScalar>(_ a: Matrix<S>, _ b: Matrix<S>, ta: Bool = false, tb: Bool = false) -> Matrix<S> {
    let m = ta ? a.columns : a.rows, k = ta ? a.rows : a.columns
    let n = tb ? b.rows : b.columns
    var c = Matrix<S>(rows: m, columns: n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for t in 0..<k {
                let x = ta ? a[t, i] : a[i, t]
                let y = tb ? b[j, t] : b[t, j]
                s += Double(x) * Double(y)
            }
            c[i, j] = S(s)
        }
    }
    return c
}

func randomMatrix<S: TangentScalar>(_ rows: Int, _ columns: Int, seed: UInt64, as _: S.Type = Double.self) -> Matrix<S> {
    var rng = Xoshiro256StarStar(seed: seed)
    return Matrix<S>.randomNormal(rows: rows, columns: columns, using: &rng)
}

/// A random symmetric matrix (B + Bᵀ)/2.
func randomSymmetric(_ n: Int, seed: UInt64) -> Matrix<Double> {
    let b = randomMatrix(n, n, seed: seed, as: Double.self)
    return 0.5 * (b + b.transposed)
}

/// A random symmetric positive definite matrix B·Bᵀ + n·I.
func randomSPD(_ n: Int, seed: UInt64) -> Matrix<Double> {
    let b = randomMatrix(n, n, seed: seed, as: Double.self)
    return b * b.transposed + Double(n) * Matrix.identity(n)
}
