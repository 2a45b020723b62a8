import Foundation
import TangentCore
import TangentNTK

/// `tangent bench kernel-regression`: a streamed kernel ridge regression (`streamedKernelPrediction`) on an N × N
/// kernel in a memory-mapped `.npy` file, the way `analysis.kernel_regression` runs with `solve: streamed`.
///
/// The kernel is K = Z·Zᵀ/m + I over N train and N_test test points (Z Gaussian, m = 64 features), written to a
/// temporary folder in row blocks (float32 for `precision: float32`, else float64), then mapped. Reported: the
/// solve's wall time, the process's peak resident memory against the N² buffer, the Cholesky rate (N³/3 flops over
/// the solve time, an underestimate: the time also holds the fill and the streamed products) and, as the reference
/// measured in the same run, the rate of POTRF on an in-memory matrix of min(N, 4096).
public struct KernelRegressionBenchmark: Sendable {
    public var n: Int
    public var testPoints: Int
    public var outputs: Int
    public var precision: Precision

    public init(n: Int = 30_000, testPoints: Int = 1000, outputs: Int = 10, precision: Precision = .float32) {
        self.n = n
        self.testPoints = testPoints
        self.outputs = outputs
        self.precision = precision
    }

    public struct Report: Sendable {
        public var n: Int, testPoints: Int, outputs: Int, precision: Precision, threads: Int
        public var writeSeconds: Double, solveSeconds: Double
        public var peakResidentBytes: Int, bufferBytes: Int, fileBytes: Int
        public var referenceN: Int, referenceGFLOPS: Double
        public var choleskyGFLOPS: Double { pow(Double(n), 3) / 3 / solveSeconds / 1e9 }

        public var json: String {
            "{\"benchmark\":\"kernel-regression\",\"n\":\(n),\"test_points\":\(testPoints),\"outputs\":\(outputs),"
                + "\"precision\":\"\(precision.rawValue)\",\"threads\":\(threads),\"write_seconds\":\(rounded(writeSeconds)),"
                + "\"solve_seconds\":\(rounded(solveSeconds)),\"peak_resident_bytes\":\(peakResidentBytes),"
                + "\"buffer_bytes\":\(bufferBytes),\"file_bytes\":\(fileBytes),\"cholesky_gflops\":\(rounded(choleskyGFLOPS)),"
                + "\"reference_n\":\(referenceN),\"reference_potrf_gflops\":\(rounded(referenceGFLOPS)),"
                + "\"ratio\":\(rounded(choleskyGFLOPS / referenceGFLOPS))}"
        }

        public var table: String {
            let mb = { (b: Int) in String(format: "%.0f MB", Double(b) / 1_048_576) }
            return """
            streamed kernel regression: N = \(n), N_test = \(testPoints), C = \(outputs), \(precision.rawValue) solve, \(threads) threads
              kernel files written (mapped)        \(String(format: "%.1f", writeSeconds)) s, \(mb(fileBytes)) on disk
              solve (fill, POTRF, POTRS, products) \(String(format: "%.1f", solveSeconds)) s = \(String(format: "%.1f", choleskyGFLOPS)) GFLOP/s as N³/3
              POTRF in memory, N = \(referenceN)          \(String(format: "%.1f", referenceGFLOPS)) GFLOP/s (reference, same run); ratio \(String(format: "%.2f", choleskyGFLOPS / referenceGFLOPS))
              peak resident memory                 \(mb(peakResidentBytes)) (the N × N buffer: \(mb(bufferBytes)))
            """
        }
    }

    public func run() throws -> Report {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-bench-kr-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let m = 64, block = 1024
        var rng = Xoshiro256StarStar(seed: 5)
        let z = Matrix<Double>.randomNormal(rows: n + testPoints, columns: m, using: &rng)
        let dtype: NPYDType = precision == .float32 ? .float32 : .float64
        let start = Machine.wallSeconds()
        func write(_ name: String, rows: Range<Int>, diagonal: Bool) throws -> URL {
            let url = folder.appendingPathComponent(name)
            let writer = try NPYFileWriter(url: url, dtype: dtype, shape: [rows.count, n])
            let train = z.rows(0..<n)
            for b in stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
                let r = b..<min(b + block, rows.upperBound)
                var k = (1 / Double(m)) * (try z.rows(r).matmul(train, transposeOther: true))
                if diagonal { for i in r { k[i - r.lowerBound, i] += 1 } }
                if precision == .float32 { try writer.append(contentsOf: k.converted(to: Float.self)) }
                else { try writer.append(contentsOf: k) }
            }
            _ = try writer.finish(sync: false)
            return url
        }
        let trainURL = try write("train.npy", rows: 0..<n, diagonal: true)
        let testURL = try write("test.npy", rows: n..<(n + testPoints), diagonal: false)
        let writeSeconds = Machine.wallSeconds() - start
        let train = try MappedNPY(url: trainURL), test = try MappedNPY(url: testURL)
        let y = Matrix<Double>.randomNormal(rows: n, columns: outputs, using: &rng)
        let solveStart = Machine.wallSeconds()
        _ = try streamedKernelPrediction(n: n, nTest: testPoints, shared: true,
                                         rows: { _, r in try train.matrix(at: [], rows: r) },
                                         testRows: { _, r in try test.matrix(at: [], rows: r) },
                                         targets: y, ridge: 1e-3, precision: precision, blockRows: block)
        let solveSeconds = Machine.wallSeconds() - solveStart
        let peak = Machine.peakResidentBytes

        // Reference: POTRF on an in-memory matrix.
        let nr = min(n, 4096)
        let zr = Matrix<Double>.randomNormal(rows: nr, columns: nr, using: &rng)
        var a = try zr.matmul(zr, transposeOther: true)
        for i in 0..<nr { a[i, i] += Double(nr) }
        let referenceSeconds: Double
        if precision == .float32 {
            var f = a.converted(to: Float.self)
            let t0 = Machine.wallSeconds()
            guard try f.choleskyFactorInPlace() else { throw NumericsError(.notPositiveDefinite, "reference POTRF failed") }
            referenceSeconds = Machine.wallSeconds() - t0
        } else {
            let t0 = Machine.wallSeconds()
            guard try a.choleskyFactorInPlace() else { throw NumericsError(.notPositiveDefinite, "reference POTRF failed") }
            referenceSeconds = Machine.wallSeconds() - t0
        }
        let fileBytes = ((try? FileManager.default.attributesOfItem(atPath: trainURL.path)[.size] as? Int) ?? 0)
            + ((try? FileManager.default.attributesOfItem(atPath: testURL.path)[.size] as? Int) ?? 0)
        return Report(n: n, testPoints: testPoints, outputs: outputs, precision: precision, threads: Threads.blasThreads,
                      writeSeconds: writeSeconds, solveSeconds: solveSeconds, peakResidentBytes: peak,
                      bufferBytes: n * n * (precision == .float32 ? 4 : 8), fileBytes: fileBytes,
                      referenceN: nr, referenceGFLOPS: pow(Double(nr), 3) / 3 / referenceSeconds / 1e9)
    }
}
