import Foundation
import Testing
import TangentCore
@testable import TangentNTK

/// Anisotropic, non-centred test data: rows x = m + diag(scales)·z, z standard normal.
func anisotropicData(rows p: Int, columns d: Int, seed: UInt64, decay: Double = 0.6) -> Matrix<Double> {
    var rng = Xoshiro256StarStar(seed: seed)
    var x = Matrix<Double>.randomNormal(rows: p, columns: d, using: &rng)
    x.scaleColumns(by: (0..<d).map { pow(decay, Double($0)) * 3 })
    let shift = (0..<d).map { Double($0) - 2.5 }
    return Matrix(rows: p, columns: d) { i, j in x[i, j] + shift[j] }
}

/// The nonzero singular values (above the documented cutoff).
func nonzero(_ s: [Double], rows: Int, columns: Int) -> [Double] {
    Array(s.prefix(Whitening.effectiveRank(s, rows: rows, columns: columns)))
}

func relativeSpread(_ s: [Double]) -> Double {
    guard let hi = s.max(), let lo = s.min(), hi > 0 else { return .infinity }
    return (hi - lo) / hi
}

func columnMeans(_ x: Matrix<Double>) -> [Double] {
    (0..<x.columns).map { j in x.column(j).reduce(0, +) / Double(x.rows) }
}

func centred(_ x: Matrix<Double>) -> Matrix<Double> {
    let m = columnMeans(x)
    return Matrix(rows: x.rows, columns: x.columns) { i, j in x[i, j] - m[j] }
}

/// Max |A − B| / max |B|.
func relDiff(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double { a.relativeDifference(to: b) }

@Suite("Whitening: full, partial, PCA, test statistics")
struct WhiteningTests {
    @Test("full whitening: every nonzero singular value equals √D; XᵀX = D·I when P ≥ D")
    func fullTallMatrix() throws {
        let (p, d) = (40, 8)
        let x = anisotropicData(rows: p, columns: d, seed: 1)
        let r = try whiten(x, method: .full)
        let w = r.train
        // Independent check: eigenvalues of XᵀX (SYEVD), not the SVD that built the transform.
        let eig = try w.matmul(w, transposeSelf: true).symmetricEigenvalues()
        let s = eig.map { max($0, 0).squareRoot() }
        #expect(relativeSpread(s) < 1e-10)
        #expect(abs(s[0] - Double(d).squareRoot()) < 1e-10)
        #expect(relativeSpread(nonzero(r.trainSingularValuesAfter, rows: p, columns: d)) < 1e-10)
        #expect(r.trainSingularValuesAfter.count == d)
        let gram = try w.matmul(w, transposeSelf: true)
        #expect(relDiff(gram, Double(d) * Matrix<Double>.identity(d)) < 1e-12)
        #expect(columnMeans(w).allSatisfy { abs($0) < 1e-12 })
        // Singular values before are those of the centred input.
        let before = try centred(x).singularValues()
        #expect(zip(before, r.trainSingularValuesBefore).allSatisfy { abs($0 - $1) <= 1e-12 * before[0] })
    }

    @Test("rank-deficient inputs: only nonzero singular values are equalized; XXᵀ = D·(I − 11ᵀ/P) for P < D")
    func fullWideMatrix() throws {
        let (p, d) = (6, 10)
        let x = anisotropicData(rows: p, columns: d, seed: 2)
        let r = try whiten(x, method: .full)
        #expect(r.trainWhitening.rank == p - 1)  // centring removes one direction
        let s = r.trainSingularValuesAfter
        #expect(s.count == p)
        #expect(relativeSpread(Array(s.prefix(p - 1))) < 1e-10)
        #expect(abs(s[0] - Double(d).squareRoot()) < 1e-10)
        #expect(s[p - 1] < 1e-10 * s[0])
        // Centred data spans the complement of the all-ones vector, so the whitened Gram is D·(I − 11ᵀ/P).
        let expected = Matrix<Double>(rows: p, columns: p) { i, j in Double(d) * ((i == j ? 1 : 0) - 1 / Double(p)) }
        #expect(relDiff(r.train.gram(), expected) < 1e-12)
    }

    @Test("collinear features: zero singular values stay zero, XᵀX/D is a projector of rank ρ")
    func collinear() throws {
        let (p, d) = (30, 6)
        var x = anisotropicData(rows: p, columns: d, seed: 3)
        for i in 0..<p { x[i, 5] = x[i, 0] - 2 * x[i, 1] }
        let r = try whiten(x, method: .full)
        #expect(r.trainWhitening.rank == 5)
        let s = r.trainSingularValuesAfter
        #expect(relativeSpread(Array(s.prefix(5))) < 1e-10 && s[5] < 1e-10 * s[0])
        let g = (1 / Double(d)) * (try r.train.matmul(r.train, transposeSelf: true))
        #expect(relDiff(g * g, g) < 1e-12)
        #expect(abs(g.trace - 5) < 1e-12)
    }

    @Test("γ = 1 returns the input: bit for bit without centring, the centred input with it")
    func gammaOne() throws {
        let x = anisotropicData(rows: 20, columns: 5, seed: 4)
        let raw = try whiten(x, method: .partial(gamma: 1), center: false)
        #expect(raw.train.elements.map(\.bitPattern) == x.elements.map(\.bitPattern))
        let c = try whiten(x, method: .partial(gamma: 1))
        #expect(relDiff(c.train, centred(x)) < 1e-15)
        #expect(c.trainSingularValuesAfter == c.trainSingularValuesBefore)
        // The test map is the identity after centring by the train mean.
        let t = anisotropicData(rows: 7, columns: 5, seed: 5)
        let m = columnMeans(x)
        let tr = try whiten(x, test: t, method: .partial(gamma: 1))
        #expect(tr.test == Matrix(rows: 7, columns: 5) { i, j in t[i, j] - m[j] })
    }

    @Test("γ = 0 is exactly full whitening")
    func gammaZero() throws {
        let x = anisotropicData(rows: 25, columns: 7, seed: 6)
        let t = anisotropicData(rows: 9, columns: 7, seed: 7)
        let full = try whiten(x, test: t, method: .full)
        let zero = try whiten(x, test: t, method: .partial(gamma: 0))
        #expect(full.train == zero.train && full.test == zero.test)
        #expect(full.trainWhitening.scale == Double(7).squareRoot())
    }

    @Test("partial whitening: singular values D^((1−γ)/2)·s^γ; eigenvalues of XᵀX become D^(1−γ)·λ^γ", arguments: [0.25, 0.5, 0.75])
    func partial(_ gamma: Double) throws {
        let (p, d) = (30, 6)
        let x = anisotropicData(rows: p, columns: d, seed: 8)
        let r = try whiten(x, method: .partial(gamma: gamma))
        let before = r.trainSingularValuesBefore
        let expected = before.map { pow(Double(d), (1 - gamma) / 2) * pow($0, gamma) }
        for (a, e) in zip(r.trainSingularValuesAfter, expected) { #expect(abs(a - e) < 1e-12 * expected[0]) }
        // Independent reference: eigen-decomposition of the centred covariance (SYEVD).
        let xc = centred(x)
        let lambda = try xc.matmul(xc, transposeSelf: true).symmetricEigenvalues()
        let after = try r.train.matmul(r.train, transposeSelf: true).symmetricEigenvalues()
        for (a, l) in zip(after, lambda) {
            let e = pow(Double(d), 1 - gamma) * pow(l, gamma)
            #expect(abs(a - e) < 1e-10 * after[0])
        }
        // The right singular vectors are kept: X_γᵀX_γ commutes with X_cᵀX_c.
        let a = try xc.matmul(xc, transposeSelf: true), b = try r.train.matmul(r.train, transposeSelf: true)
        #expect(relDiff(a * b, b * a) < 1e-10)
    }

    @Test("preserve_scale: ‖κ·X_γ‖_F equals the full whitening's norm √(ρD) for every γ; the map is κ times the partial one",
          arguments: [0.25, 0.5, 0.75, 1.0])
    func preserveScale(_ gamma: Double) throws {
        let (p, d) = (30, 6)
        let x = anisotropicData(rows: p, columns: d, seed: 8), t = anisotropicData(rows: 11, columns: d, seed: 9)
        let full = try whiten(x, test: t, method: .full)
        let plain = try whiten(x, test: t, method: .partial(gamma: gamma))
        let kept = try whiten(x, test: t, method: .partial(gamma: gamma), preserveScale: true)
        // The norm of the fully whitened train inputs, measured, and its closed form √(ρ·D).
        #expect(abs(kept.train.frobeniusNorm - full.train.frobeniusNorm) < 1e-12 * full.train.frobeniusNorm)
        #expect(abs(full.train.frobeniusNorm - Double(d * d).squareRoot()) < 1e-12 * full.train.frobeniusNorm)
        // κ from the spectrum before: ‖X_γ‖_F² = Σ (D^((1−γ)/2)·s_i^γ)², so κ = √(ρD)/‖X_γ‖_F.
        let norm = plain.trainSingularValuesBefore.map { pow(Double(d), 1 - gamma) * pow($0, 2 * gamma) }.reduce(0, +).squareRoot()
        #expect(abs(kept.scaleFactor - Double(d * d).squareRoot() / norm) < 1e-12 * kept.scaleFactor)
        #expect(kept.scaleFactor != 1 && plain.scaleFactor == 1)
        // The same map up to the factor, on train and test (and the test set keeps the train factor).
        #expect(relDiff(kept.train, kept.scaleFactor * plain.train) < 1e-14)
        #expect(relDiff(try #require(kept.test), kept.scaleFactor * (try #require(plain.test))) < 1e-14)
        let separate = try whiten(x, test: t, method: .partial(gamma: gamma), testStatistics: .separate, preserveScale: true)
        let separatePlain = try whiten(x, test: t, method: .partial(gamma: gamma), testStatistics: .separate)
        #expect(relDiff(try #require(separate.test), separate.scaleFactor * (try #require(separatePlain.test))) < 1e-14)
        // Singular values after are the partial ones times κ.
        for (a, b) in zip(kept.trainSingularValuesAfter, plain.trainSingularValuesAfter) {
            #expect(abs(a - kept.scaleFactor * b) < 1e-12 * kept.trainSingularValuesAfter[0])
        }
    }

    @Test("preserve_scale: γ = 0 is unchanged (κ = 1 exactly); other methods are refused")
    func preserveScaleEdges() throws {
        let x = anisotropicData(rows: 25, columns: 7, seed: 6), t = anisotropicData(rows: 9, columns: 7, seed: 7)
        let zero = try whiten(x, test: t, method: .partial(gamma: 0), preserveScale: true)
        let full = try whiten(x, test: t, method: .full)
        #expect(zero.scaleFactor == 1 && zero.train == full.train && zero.test == full.test)
        for method in [WhiteningMethod.full, .pca(components: nil), .none] {
            #expect(throws: NumericsError.self) { try whiten(x, method: method, preserveScale: true) }
        }
    }

    @Test("PCA keeps k uncorrelated columns whose variances are the top-k squared singular values")
    func pca() throws {
        let (p, d, k) = (50, 8, 3)
        let x = anisotropicData(rows: p, columns: d, seed: 9)
        let r = try whiten(x, method: .pca(components: k))
        #expect(r.train.rows == p && r.train.columns == k)
        let g = try r.train.matmul(r.train, transposeSelf: true)
        let lambda = try centred(x).matmul(centred(x), transposeSelf: true).symmetricEigenvalues()
        for i in 0..<k {
            #expect(abs(g[i, i] - lambda[i]) < 1e-10 * lambda[0])
            for j in 0..<k where j != i { #expect(abs(g[i, j]) < 1e-10 * lambda[0]) }
        }
        // Default k: the rank.
        #expect(try whiten(x, method: .pca(components: nil)).train.columns == d)
        // Sign convention: the largest entry of each axis is positive.
        let axes = try #require(r.trainWhitening.map)
        for j in 0..<k {
            let col = axes.column(j)
            #expect(col.max()! >= -col.min()!)
        }
    }

    @Test("test with train statistics: the fitted map reproduces the whitened train set and matches √D·(X_cᵀX_c)^(−1/2)")
    func trainStatistics() throws {
        let (p, d) = (40, 6)
        let x = anisotropicData(rows: p, columns: d, seed: 10)
        let t = anisotropicData(rows: 11, columns: d, seed: 11)
        for method in [WhiteningMethod.full, .partial(gamma: 0.3), .pca(components: 4), .none] {
            let r = try whiten(x, test: t, method: method)
            #expect(relDiff(try r.trainWhitening.apply(x), r.train) < 1e-10, "\(method)")
        }
        // Independent reference for full whitening at full rank: M = √D·Q·Λ^(−1/2)·Qᵀ from SYEVD of X_cᵀX_c.
        let r = try whiten(x, test: t, method: .full)
        let xc = centred(x)
        let e = try xc.matmul(xc, transposeSelf: true).symmetricEigen()
        var q = try #require(e.vectors)
        let qt = q.transposed
        q.scaleColumns(by: e.values.map { Double(d).squareRoot() / $0.squareRoot() })
        let m = q * qt
        let mean = columnMeans(x)
        let tc = Matrix<Double>(rows: t.rows, columns: d) { i, j in t[i, j] - mean[j] }
        let expected = tc * m
        #expect(relDiff(try #require(r.test), expected) < 1e-10)
        #expect(r.testWhitening == nil)
        let tcs = try tc.singularValues(), before = try #require(r.testSingularValuesBefore)
        #expect(before.count == min(t.rows, d) && zip(before, tcs).allSatisfy { abs($0 - $1) <= 1e-12 * tcs[0] })
    }

    @Test("separate statistics whiten the test set with its own mean and SVD")
    func separateStatistics() throws {
        let (p, d) = (30, 5)
        let x = anisotropicData(rows: p, columns: d, seed: 12)
        let t = anisotropicData(rows: 12, columns: d, seed: 13, decay: 0.3)
        let r = try whiten(x, test: t, method: .full, testStatistics: .separate)
        let test = try #require(r.test)
        #expect(relativeSpread(nonzero(try test.singularValues(), rows: 12, columns: d)) < 1e-10)
        #expect(columnMeans(test).allSatisfy { abs($0) < 1e-12 })
        #expect(test == (try Whitening.fit(t, method: .full)).transformed)
        #expect(r.train == (try whiten(x, method: .full)).train)
    }

    @Test("invalid requests throw with a clear message")
    func errors() throws {
        let x = anisotropicData(rows: 10, columns: 4, seed: 14)
        #expect(throws: NumericsError.self) { try whiten(x, method: .partial(gamma: 1.5)) }
        #expect(throws: NumericsError.self) { try whiten(x, method: .pca(components: 5)) }
        #expect(throws: NumericsError.self) { try whiten(x, test: x, method: .pca(components: 2), testStatistics: .separate) }
        #expect(throws: NumericsError.self) { try whiten(Matrix(rows: 5, columns: 3, repeating: 2), method: .full) }
        #expect(throws: NumericsError.self) { try whiten(x, test: Matrix(rows: 2, columns: 3), method: .full) }
        #expect(throws: NumericsError.self) { try whiten(x.map { $0 == x[0, 0] ? .nan : $0 }, method: .full) }
    }
}
