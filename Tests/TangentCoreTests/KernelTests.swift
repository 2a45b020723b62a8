import Testing
@testable import TangentCore

@Suite("Fused C kernels and reductions", .serialized)
struct KernelTests {
    @Test("Hadamard multiply-accumulate equals the element-wise loop")
    func hadamard() {
        let a = randomMatrix(300, 257, seed: 1, as: Double.self), b = randomMatrix(300, 257, seed: 2, as: Double.self)
        var c = randomMatrix(300, 257, seed: 3, as: Double.self)
        var expected = c
        for i in 0..<c.count { expected.elements[i] += 0.5 * a.elements[i] * b.elements[i] }
        c.addHadamard(a, b, scaledBy: 0.5)
        #expect(c.relativeDifference(to: expected) < 1e-15)
        var f = randomMatrix(3, 5, seed: 4, as: Float.self)
        let f0 = f
        f.addHadamard(f0, f0)
        for i in 0..<f.count { #expect(abs(f.elements[i] - (f0.elements[i] + f0.elements[i] * f0.elements[i])) < 1e-6) }
    }

    @Test("row and column scaling match diag(s)·A and A·diag(s)")
    func scaling() throws {
        let a = randomMatrix(7, 4, seed: 5, as: Double.self)
        var r = a, c = a
        r.scaleRows(by: [1, 2, 3, 4, 5, 6, 7])
        c.scaleColumns(by: [-1, 0.5, 2, 0])
        #expect(r.relativeDifference(to: try Matrix.diagonal([1, 2, 3, 4, 5, 6, 7]).matmul(a)) < 1e-15)
        #expect(c.relativeDifference(to: try a.matmul(.diagonal([-1, 0.5, 2, 0]))) < 1e-15)
    }

    @Test("sum and dot are exact on integers and identical for any thread count")
    func deterministicReductions() {
        let n = 1_000_003  // many chunks and a ragged tail
        let x = (0..<n).map { Double($0 % 1000) }
        let y = (0..<n).map { Double(($0 * 7) % 13) - 6 }
        var exactSum = 0.0, exactDot = 0.0
        for i in 0..<n { exactSum += x[i]; exactDot += x[i] * y[i] }
        #expect(Double._sum(x) == exactSum)  // integers below 2^53 add exactly in any order
        #expect(Double._dot(x, y) == exactDot)

        var g = Xoshiro256StarStar(seed: 9)
        let r: [Double] = g.normals(n)
        let before = Threads.kernelThreads
        Threads.setBudget(1)
        let one = (Double._sum(r), Double._dot(r, x))
        Threads.setBudget(2)
        let two = (Double._sum(r), Double._dot(r, x))
        Threads.setBudget(before)
        #expect(one == two, "reductions must not depend on the number of threads")
        var naive = 0.0
        for v in r { naive += v }
        #expect(abs(one.0 - naive) < 1e-9 * Double(n).squareRoot())
    }

    @Test("float32 reductions accumulate in double")
    func floatReductions() {
        let x = [Float](repeating: 0.1, count: 100_000)
        #expect(abs(Float._sum(x) - 100_000 * Double(Float(0.1))) < 1e-6)
    }

    @Test("maxAbs propagates NaN and firstNonFinite finds the first bad index")
    func nonFinite() {
        var x = (0..<50_000).map { Double($0) - 25_000 }
        #expect(Double._maxAbs(x) == 25_000)
        #expect(Double._firstNonFinite(x) == nil)
        x[40_000] = .infinity
        x[45_000] = .nan
        #expect(Double._firstNonFinite(x) == 40_000)
        #expect(Double._maxAbs(x).isNaN)
        let f: [Float] = [1, 2, .nan]
        #expect(Float._firstNonFinite(f) == 2)
        #expect(Double._sum([]) == 0 && Double._maxAbs([]) == 0)
    }
}
