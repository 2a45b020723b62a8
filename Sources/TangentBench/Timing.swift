import TangentCore

/// Best wall time of each of `bodies` over `repeats` rounds, after one warm-up call each.
///
/// Rounds interleave the methods (A, B, C, A, B, C, …) so that slow drifts in machine load hit all of them
/// alike, and the minimum is reported because it is the least disturbed measurement on a shared machine.
public func interleavedBestTimes(repeats: Int, _ bodies: [() -> Void]) -> [Double] {
    for body in bodies { body() }
    var best = [Double](repeating: .infinity, count: bodies.count)
    for _ in 0..<max(repeats, 1) {
        for (i, body) in bodies.enumerated() {
            let t0 = Machine.wallSeconds()
            body()
            best[i] = min(best[i], Machine.wallSeconds() - t0)
        }
    }
    return best
}

/// Rounds for display and JSON (4 significant digits).
public func rounded(_ x: Double) -> Double {
    guard x.isFinite, x != 0 else { return x }
    let digits = 4 - Int((log10(abs(x))).rounded(.up))
    let scale = pow(10.0, Double(digits))
    return (x * scale).rounded() / scale
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
