import Foundation
import Testing
import TangentCore
@testable import TangentNTK

/// Streams of seed `seed` for `SyntheticData.generate`.
func streams(_ seed: UInt64) -> (SyntheticStream) -> Xoshiro256StarStar {
    { Xoshiro256StarStar(seed: seed, stream: $0.rawValue) }
}

func bits(_ m: Matrix<Double>) -> [UInt64] { m.elements.map(\.bitPattern) }

func bits(_ d: Dataset) -> [[UInt64]] {
    [bits(d.trainInputs), bits(d.trainTargets), bits(d.testInputs), bits(d.testTargets)]
}

@Suite("Synthetic data: inputs, teachers, class tasks, label noise, streams")
struct SyntheticDataTests {
    @Test("power-law spectrum: λ_k ∝ k^(−α) with tr Σ = D")
    func powerLawSpectrum() throws {
        let lambda = try CovarianceSpectrum.powerLaw(alpha: 1.5).eigenvalues(dimension: 10)
        #expect(abs(lambda.reduce(0, +) - 10) < 1e-12)
        for k in 1..<10 { #expect(abs(lambda[k] / lambda[0] - pow(Double(k + 1), -1.5)) < 1e-14) }
        #expect(try CovarianceSpectrum.powerLaw(alpha: 0).eigenvalues(dimension: 4) == [1, 1, 1, 1])
        #expect(throws: NumericsError.self) { try CovarianceSpectrum.given([1, 2]).eigenvalues(dimension: 3) }
        #expect(throws: NumericsError.self) { try CovarianceSpectrum.given([1, -2]).eigenvalues(dimension: 2) }
    }

    /// Sample covariance Σ̂ = XᵀX/P of zero-mean Gaussian data: Var(x_j x_k) = Σ_jj Σ_kk + Σ_jk², so each entry's
    /// standard error is √((Σ_jj Σ_kk + Σ_jk²)/P). With a fixed seed the check is deterministic; 5 standard errors
    /// over 36 entries would fail by chance with probability ≈ 2·10⁻⁵ for a fresh seed.
    func checkCovariance(_ x: Matrix<Double>, _ sigma: Matrix<Double>) throws {
        let p = Double(x.rows)
        let c = (1 / p) * (try x.matmul(x, transposeSelf: true))
        for j in 0..<sigma.rows {
            for k in 0..<sigma.columns {
                let se = ((sigma[j, j] * sigma[k, k] + sigma[j, k] * sigma[j, k]) / p).squareRoot()
                #expect(abs(c[j, k] - sigma[j, k]) < 5 * se, "entry (\(j), \(k)): \(c[j, k]) vs \(sigma[j, k])")
            }
        }
    }

    @Test("a large power-law sample has covariance diag(λ) within 5 standard errors; rotated: Q·diag(λ)·Qᵀ")
    func sampleCovariance() throws {
        var rng = Xoshiro256StarStar(seed: 21)
        let plain = try InputDistribution(dimension: 6, spectrum: .powerLaw(alpha: 1), using: &rng)
        #expect(plain.rotation == nil)
        try checkCovariance(plain.sample(20_000, using: &rng), .diagonal(plain.eigenvalues))
        let rotated = try InputDistribution(dimension: 6, spectrum: .powerLaw(alpha: 1), rotate: true, using: &rng)
        let q = try #require(rotated.rotation)
        #expect(relDiff(q.transposed * q, .identity(6)) < 1e-13)
        let sigma = rotated.covariance
        #expect(abs(sigma.trace - 6) < 1e-12)
        try checkCovariance(rotated.sample(20_000, using: &rng), sigma)
    }

    @Test("linear teacher: y = s·βᵀx exactly, |β| = 1; least squares on noiseless data recovers s·β")
    func linearTeacher() throws {
        let spec = SyntheticDataSpec(train: 40, test: 10, inputDimension: 8, spectrum: .powerLaw(alpha: 0.5),
                                     task: .linear(outputs: 1, scale: 2.5, singularValues: nil))
        let data = try SyntheticData.generate(spec, rng: streams(3))
        let b = try #require(data.linearTeacher).matrix
        let beta = b.row(0).map { $0 / 2.5 }
        #expect(abs(beta.reduce(0) { $0 + $1 * $1 } - 1) < 1e-14)
        let x = data.dataset.trainInputs, y = data.dataset.trainTargets
        for i in 0..<x.rows {
            let direct = 2.5 * zip(beta, x.row(i)).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(y[i, 0] - direct) < 1e-12 * max(1, abs(direct)))
        }
        let fit = try x.leastSquares(y).solution  // D × 1
        for j in 0..<8 { #expect(abs(fit[j, 0] - 2.5 * beta[j]) < 1e-10) }
        // β is the normalized first Gaussian vector of the teacher stream.
        var rng = Xoshiro256StarStar(seed: 3, stream: SyntheticStream.teacher.rawValue)
        let g: [Double] = rng.normals(8)
        let n = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for j in 0..<8 { #expect(abs(beta[j] - g[j] / n) < 1e-15) }
    }

    @Test("multi-output linear teacher: the singular values of B are s·σ, and y = B·x")
    func multiOutputTeacher() throws {
        let spec = SyntheticDataSpec(train: 30, test: 0, inputDimension: 10,
                                     task: .linear(outputs: 4, scale: 2, singularValues: [3, 1, 0.5]))
        let data = try SyntheticData.generate(spec, rng: streams(4))
        let b = try #require(data.linearTeacher).matrix
        #expect(b.rows == 4 && b.columns == 10)
        let s = try b.singularValues()
        for (a, e) in zip(s, [6.0, 2, 1, 0]) { #expect(abs(a - e) < 1e-12) }
        let fit = try data.dataset.trainInputs.leastSquares(data.dataset.trainTargets).solution
        #expect(relDiff(fit.transposed, b) < 1e-10)
        #expect(data.dataset.testCount == 0 && data.dataset.testInputs.columns == 10)
        var rng = Xoshiro256StarStar(seed: 0)
        #expect(throws: NumericsError.self) {
            try LinearTeacher.random(inputDimension: 3, outputs: 2, singularValues: [1, 1, 1], using: &rng)
        }
        #expect(throws: NumericsError.self) {
            try IndexTeacher.random(inputDimension: 3, indices: 4, activation: .relu, using: &rng)
        }
    }

    @Test("MLP teacher: an independent forward pass agrees; normalized outputs have unit second moment")
    func mlpTeacher() throws {
        let spec = SyntheticDataSpec(train: 400, test: 5, inputDimension: 5,
                                     task: .mlp(outputs: 2, depth: 2, width: 12, activation: .relu, scale: 1, normalize: true))
        let data = try SyntheticData.generate(spec, rng: streams(5))
        let t = try #require(data.mlpTeacher)
        #expect(t.weights.map { [$0.rows, $0.columns] } == [[12, 5], [12, 12], [2, 12]])
        let x = data.dataset.trainInputs
        for i in 0..<3 {
            var h = x.row(i)
            for (l, w) in t.weights.enumerated() {
                h = (0..<w.rows).map { r in zip(w.row(r), h).reduce(0) { $0 + $1.0 * $1.1 } }
                if l < t.weights.count - 1 { h = h.map { max($0, 0) } }
            }
            for c in 0..<2 { #expect(abs(data.dataset.trainTargets[i, c] - h[c] / t.outputNorms[c]) < 1e-12) }
        }
        // Unit second moment on fresh inputs: the mean of y² over 400 samples, within 5 standard errors of the
        // estimate (its std is √(Var y²/P); estimated from the sample) plus the ≈1.6% error of the 2048-sample norm.
        for c in 0..<2 {
            let y2 = data.dataset.trainTargets.column(c).map { $0 * $0 }
            let mean = y2.reduce(0, +) / 400
            let sd = (y2.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 399).squareRoot()
            #expect(abs(mean - 1) < 5 * sd / 20 + 0.08, "output \(c): \(mean)")
        }
        // Weights have variance 1/fan_in.
        let w1 = t.weights[1].elements
        let n = Double(w1.count)
        let ratio: Double = w1.reduce(0.0) { $0 + $1 * $1 } / n * 12
        #expect(abs(ratio - 1) < 5 * (2 / n).squareRoot())
    }

    @Test("single- and multi-index teachers: y = s·Σ_k g(w_kᵀx)/√K with orthonormal w_k", arguments: [1, 3])
    func indexTeacher(_ k: Int) throws {
        let spec = SyntheticDataSpec(train: 20, test: 4, inputDimension: 7,
                                     task: .index(indices: k, activation: .tanh, scale: 1.5))
        let data = try SyntheticData.generate(spec, rng: streams(6))
        let w = try #require(data.indexTeacher).directions
        #expect(w.rows == k)
        #expect(relDiff(w * w.transposed, .identity(k)) < 1e-14)
        let x = data.dataset.trainInputs
        for i in 0..<x.rows {
            let sum = (0..<k).map { tanh(zip(w.row($0), x.row(i)).reduce(0) { $0 + $1.0 * $1.1 }) }.reduce(0, +)
            #expect(abs(data.dataset.trainTargets[i, 0] - 1.5 * sum / Double(k).squareRoot()) < 1e-12)
        }
    }

    @Test("Gaussian mixture: balanced classes, unit near-orthogonal centres, cluster spread √variance")
    func mixture() throws {
        let (c, d, p) = (5, 200, 103)
        let spec = SyntheticDataSpec(train: p, test: 20, inputDimension: d, task: .mixture(classes: c, variance: 0.01),
                                     encoding: .onehot)
        let data = try SyntheticData.generate(spec, rng: streams(7))
        let m = try #require(data.mixture)
        let labels = try #require(data.dataset.trainLabels)
        let counts = ClassLabels.counts(labels, classes: c)
        #expect(counts.max()! - counts.min()! <= 1 && counts.reduce(0, +) == p)
        #expect(ClassLabels.counts(try #require(data.dataset.testLabels), classes: c) == [4, 4, 4, 4, 4])
        let overlaps = m.centres * m.centres.transposed
        for i in 0..<c {
            #expect(abs(overlaps[i, i] - 1) < 1e-14)
            // Overlaps of random unit vectors have std 1/√D; 5 standard deviations.
            for j in 0..<c where j != i { #expect(abs(overlaps[i, j]) < 5 / Double(d).squareRoot()) }
        }
        // One-hot targets match the labels; residuals x − μ_c have per-coordinate variance v.
        let x = data.dataset.trainInputs
        var sq = 0.0
        for i in 0..<p {
            #expect(data.dataset.trainTargets.row(i) == (0..<c).map { $0 == labels[i] ? 1 : 0 })
            for j in 0..<d { sq += (x[i, j] - m.centres[labels[i], j]) * (x[i, j] - m.centres[labels[i], j]) }
        }
        let n = Double(p * d)
        #expect(abs(sq / n - 0.01) < 5 * 0.01 * (2 / n).squareRoot())
    }

    @Test("random labels are ±1 with plusminus, independent fair coins")
    func randomLabels() throws {
        let spec = SyntheticDataSpec(train: 400, test: 10, inputDimension: 3, task: .randomLabels(classes: 2))
        let data = try SyntheticData.generate(spec, rng: streams(8))
        let y = data.dataset.trainTargets
        #expect(y.columns == 1 && y.elements.allSatisfy { $0 == 1 || $0 == -1 })
        let plus = y.elements.filter { $0 == 1 }.count
        #expect(abs(Double(plus) - 200) < 5 * 10)  // binomial(400, 1/2): std 10
        #expect(data.dataset.trainLabels == y.elements.map { $0 == 1 ? 1 : 0 })
    }

    @Test("label noise: Gaussian with the given std on regression targets; exactly round(ρ·P) flipped labels")
    func labelNoise() throws {
        let spec = SyntheticDataSpec(train: 2000, test: 50, inputDimension: 4,
                                     task: .linear(outputs: 1, scale: 1, singularValues: nil), labelNoise: 0.3)
        let data = try SyntheticData.generate(spec, rng: streams(9))
        let e = (data.dataset.trainTargets - data.cleanTrainTargets).elements
        let variance = e.reduce(0) { $0 + $1 * $1 } / Double(e.count)
        // The sample variance of n normals has relative standard error √(2/n).
        #expect(abs(variance / 0.09 - 1) < 5 * (2.0 / 2000).squareRoot())
        #expect(data.dataset.testTargets == data.cleanTestTargets)
        var noisyTest = spec
        noisyTest.noisyTest = true
        let both = try SyntheticData.generate(noisyTest, rng: streams(9))
        #expect(both.dataset.testTargets != both.cleanTestTargets)
        #expect(both.dataset.trainTargets == data.dataset.trainTargets)

        let classes = SyntheticDataSpec(train: 101, test: 0, inputDimension: 8, task: .mixture(classes: 3, variance: 0.1),
                                        labelNoise: 0.25, encoding: .onehot)
        let c = try SyntheticData.generate(classes, rng: streams(10))
        let clean = try #require(c.cleanTrainLabels), noisy = try #require(c.dataset.trainLabels)
        #expect(zip(clean, noisy).filter { $0 != $1 }.count == 25)  // round(0.25·101) = 25, always to another class
        #expect(c.dataset.trainTargets == (try TargetEncoding.onehot.encode(noisy, classCount: 3)))
        var tooMuch = classes
        tooMuch.labelNoise = 1.5
        #expect(throws: NumericsError.self) { try SyntheticData.generate(tooMuch, rng: streams(10)) }
    }

    static let specs: [SyntheticDataSpec] = [
        SyntheticDataSpec(train: 12, test: 5, inputDimension: 6, spectrum: .powerLaw(alpha: 1), rotate: true,
                          task: .linear(outputs: 2, scale: 1, singularValues: nil), labelNoise: 0.1),
        SyntheticDataSpec(train: 12, test: 5, inputDimension: 6,
                          task: .mlp(outputs: 1, depth: 1, width: 8, activation: .erf, scale: 1, normalize: true)),
        SyntheticDataSpec(train: 12, test: 5, inputDimension: 6, task: .index(indices: 2, activation: .relu, scale: 1)),
        SyntheticDataSpec(train: 12, test: 5, inputDimension: 6, task: .mixture(classes: 3, variance: 0.1), labelNoise: 0.2),
        SyntheticDataSpec(train: 12, test: 5, inputDimension: 6, task: .randomLabels(classes: 2)),
    ]

    @Test("same seed ⇒ bit-identical datasets; another seed ⇒ different", arguments: specs)
    func reproducible(_ spec: SyntheticDataSpec) throws {
        let a = try SyntheticData.generate(spec, rng: streams(11)).dataset
        let b = try SyntheticData.generate(spec, rng: streams(11)).dataset
        #expect(bits(a) == bits(b) && a.trainLabels == b.trainLabels)
        let c = try SyntheticData.generate(spec, rng: streams(12)).dataset
        #expect(bits(a.trainInputs) != bits(c.trainInputs) && bits(a.trainTargets) != bits(c.trainTargets))
    }

    @Test("changing the test size leaves the train set unchanged (and the train size the test set)", arguments: specs)
    func independentSplits(_ spec: SyntheticDataSpec) throws {
        let a = try SyntheticData.generate(spec, rng: streams(13)).dataset
        var moreTest = spec
        moreTest.test = 40
        let b = try SyntheticData.generate(moreTest, rng: streams(13)).dataset
        #expect(bits(a.trainInputs) == bits(b.trainInputs) && bits(a.trainTargets) == bits(b.trainTargets))
        #expect(a.trainLabels == b.trainLabels)
        var moreTrain = spec
        moreTrain.train = 30
        let c = try SyntheticData.generate(moreTrain, rng: streams(13)).dataset
        #expect(bits(a.testInputs) == bits(c.testInputs) && bits(a.testTargets) == bits(c.testTargets))
    }
}
