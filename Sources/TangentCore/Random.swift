/// Tangent's seeded random number generator: **xoshiro256\*\*** (Blackman & Vigna 2018) with its 256-bit state
/// filled by **SplitMix64**.
///
/// Every random draw in Tangent comes from one of these, derived from the run's seed, so the same seed gives the
/// same bits on every machine and for every thread count:
/// - integers and uniforms use only integer arithmetic and exact conversions;
/// - normals use the Marsaglia polar method with `portableLog` and IEEE `sqrt` (both exact-to-the-bit portable).
///
/// Independent streams: `Xoshiro256StarStar(seed: s, stream: k)` gives a different, reproducible sequence for each
/// `k` (for example one per stage, layer or sweep point); the state is seeded from SplitMix64 applied to a mix of
/// both numbers.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)
    /// The second normal of the last polar-method pair, returned by the next `nextNormal()`.
    private var spareNormal: Double?

    public static func == (a: Self, b: Self) -> Bool {
        a.state == b.state && a.spareNormal == b.spareNormal
    }

    /// A generator whose state is the first four outputs of SplitMix64 started at `seed` (stream 0), or at a
    /// mix of `seed` and `stream`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var sm = SplitMix64(state: stream == 0 ? seed : SplitMix64.mix(seed) ^ SplitMix64.mix(stream ^ 0xD1B5_4A32_D192_ED03))
        state = (sm.next(), sm.next(), sm.next(), sm.next())
        spareNormal = nil
    }

    /// Convenience for signed seeds as written in pipeline files.
    public init(seed: Int, stream: Int = 0) {
        self.init(seed: UInt64(bitPattern: Int64(seed)), stream: UInt64(bitPattern: Int64(stream)))
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1): the top 53 bits of `next()` times 2⁻⁵³.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal N(0, 1) by the Marsaglia polar method (pairs; the second is kept for the next call).
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s >= 1 || s == 0 { continue }
            let m = (-2 * portableLog(s) / s).squareRoot()
            spareNormal = v * m
            return u * m
        }
    }

    /// `count` draws of N(mean, std²) converted to `Scalar`.
    public mutating func normals<Scalar: TangentScalar>(_ count: Int, mean: Double = 0, std: Double = 1,
                                                       as: Scalar.Type = Scalar.self) -> [Scalar] {
        (0..<count).map { _ in Scalar(mean + std * nextNormal()) }
    }

    /// `count` draws uniform in [low, high).
    public mutating func uniforms<Scalar: TangentScalar>(_ count: Int, low: Double = 0, high: Double = 1,
                                                        as: Scalar.Type = Scalar.self) -> [Scalar] {
        (0..<count).map { _ in Scalar(low + (high - low) * nextUniform()) }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): used to expand a 64-bit seed into xoshiro's state.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    /// The SplitMix64 output function (a bijective 64-bit mixer).
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }
}

extension Matrix {
    /// A matrix of independent N(mean, std²) draws, filled row by row.
    public static func randomNormal(rows: Int, columns: Int, mean: Double = 0, std: Double = 1,
                                    using rng: inout Xoshiro256StarStar) -> Matrix {
        try! Matrix(rows: rows, columns: columns, elements: rng.normals(rows * columns, mean: mean, std: std))
    }
}
