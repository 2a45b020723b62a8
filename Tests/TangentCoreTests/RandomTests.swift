import Foundation
import Testing
@testable import TangentCore

/// Expected values come from tools/rng_reference.py, an independent Python implementation.
@Suite("Seeded random numbers")
struct RandomTests {
    @Test("SplitMix64 matches the published reference values")
    func splitMix() {
        var sm = SplitMix64(state: 1_234_567)
        #expect([sm.next(), sm.next(), sm.next()] == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973,
                                                      9_817_491_932_198_370_423])
    }

    @Test("xoshiro256** matches the reference implementation", arguments: [
        (UInt64(0), UInt64(0), [UInt64(11_091_344_671_253_066_420), 13_793_997_310_169_335_082,
                                 1_900_383_378_846_508_768, 7_684_712_102_626_143_532]),
        (42, 0, [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009,
                 17_057_574_109_182_124_193]),
        (42, 7, [5_047_097_671_647_020_780, 7_974_833_910_236_645_703, 8_829_648_104_355_553_044,
                 12_517_829_787_070_265_210]),
    ])
    func xoshiro(seed: UInt64, stream: UInt64, expected: [UInt64]) {
        var g = Xoshiro256StarStar(seed: seed, stream: stream)
        #expect((0..<4).map { _ in g.next() } == expected)
    }

    @Test("uniforms and normals match the reference")
    func uniformsAndNormals() {
        var g = Xoshiro256StarStar(seed: 42)
        #expect([g.nextUniform(), g.nextUniform(), g.nextUniform()] ==
                [0.08386297105988216, 0.3789802506626686, 0.6800434110281394])
        var h = Xoshiro256StarStar(seed: 42)
        let expected = [-0.7262191382447857, -0.21119691823195985, 0.2216227015035933, 0.5227716877560146,
                        0.46417731016247366]
        for e in expected {
            // The reference uses the platform log; allow a few ulps.
            #expect(abs(h.nextNormal() - e) <= 4 * e.ulp)
        }
    }

    @Test("normal draws have mean 0 and variance 1 within sampling error")
    func moments() {
        var g = Xoshiro256StarStar(seed: 2024)
        let n = 200_000
        let x: [Double] = g.normals(n)
        let mean = x.reduce(0, +) / Double(n)
        let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        let fourth = x.map { pow($0 - mean, 4) }.reduce(0, +) / Double(n)
        #expect(abs(mean) < 5 / sqrt(Double(n)))              // sd of the mean is 1/√n
        #expect(abs(variance - 1) < 5 * sqrt(2 / Double(n)))  // sd of the variance is √(2/n)
        #expect(abs(fourth - 3) < 5 * sqrt(96 / Double(n)))   // Gaussian kurtosis 3, sd √(96/n)
    }

    @Test("the same seed gives the same sequence; other seeds and streams differ")
    func reproducibility() {
        var a = Xoshiro256StarStar(seed: 5), b = Xoshiro256StarStar(seed: 5)
        let xa: [Double] = a.normals(100), xb: [Double] = b.normals(100)
        #expect(xa == xb)
        var c = Xoshiro256StarStar(seed: 6), d = Xoshiro256StarStar(seed: 5, stream: 1)
        #expect(c.normals(100, as: Double.self) != xa)
        #expect(d.normals(100, as: Double.self) != xa)
    }

    @Test("portableLog agrees with the platform log to 1 ulp")
    func portableLogAccuracy() {
        var g = Xoshiro256StarStar(seed: 1)
        var inputs: [Double] = [1, 2, 0.5, 1e-300, 5e-324, 1e300, .greatestFiniteMagnitude, 1 + 1e-10, 1 - 1e-10,
                                0.7071067811865476, 1.4142135623730951]
        for _ in 0..<20_000 { inputs.append(g.nextUniform()) }
        for _ in 0..<2_000 { inputs.append(exp(200 * (g.nextUniform() - 0.5))) }
        for x in inputs where x > 0 {
            let reference = Foundation.log(x)
            #expect(abs(portableLog(x) - reference) <= reference.ulp, "log(\(x))")
        }
        #expect(portableLog(0) == -.infinity)
        #expect(portableLog(-1).isNaN)
        #expect(portableLog(.infinity) == .infinity)
    }
}
