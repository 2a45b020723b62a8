import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

/// What validation knows of a kernels artifact: its dimensions.
public struct KernelShape: Sendable, Equatable {
    /// T, the number of snapshots (nil: a single kernel without a time axis, from `ntk.compute`).
    public var times: Int?
    /// C
    public var heads: Int
    /// N, N_test
    public var n: Int
    public var nTest: Int
    /// L+1 when per-layer contributions were kept, else 0.
    public var layers: Int
    /// Whether the cross-head blocks Θ^{c,d} were kept.
    public var cross: Bool
    /// The training steps of the kernels (ntk.snapshots), when known.
    public var steps: [Int]?

    public init(times: Int?, heads: Int, n: Int, nTest: Int, layers: Int, cross: Bool, steps: [Int]?) {
        self.times = times
        self.heads = heads
        self.n = n
        self.nTest = nTest
        self.layers = layers
        self.cross = cross
        self.steps = steps
    }

    /// The number of kernels along the time axis (1 without one).
    public var count: Int { times ?? 1 }
    /// Leading axes of the per-time arrays: [T] or [].
    var timeAxis: [Int] { times.map { [$0] } ?? [] }

    /// Elements of every array the artifact holds.
    public var elements: Double {
        let (c, n, nt) = (Double(heads), Double(n), Double(nTest))
        var perTime = c * n * n + n * n + c * nt * n
        if cross { perTime += c * c * n * n }
        perTime += Double(layers) * c * n * n
        return Double(count) * perTime
    }
}

/// A `kernels` artifact: empirical NTKs as memory-mappable `.npy` files (`np.load(path, mmap_mode="r")`), in the
/// run's precision, with a leading time axis T for `ntk.snapshots`:
/// - `ntk.npy` ((T,) C, N, N): per-head kernels Θ^c
/// - `trace.npy` ((T,) N, N): Σ_c Θ^c
/// - `test.npy` ((T,) C, N_test, N): Θ^c(x_test, x), when there is a test block
/// - `cross.npy` ((T,) C, C, N, N) and `layers.npy` ((T,) L+1, C, N, N), on request
/// - `times.npy` (T,) int64: the training steps (ntk.snapshots)
///
/// Stages written against it read one kernel at a time (`head(t, c)`, `trace(t)`, …), so memory does not grow
/// with T.
public struct KernelsArtifact: ArtifactValue {
    public typealias Shape = KernelShape
    public static var kind: ArtifactKind { .kernels }

    public let shape: KernelShape
    /// Step of each kernel (nil for a single kernel without a time axis).
    public let steps: [Int?]
    public let summary: [String: Value]
    private let files: Files?

    /// The open arrays of a finished folder.
    private struct Files {
        var ntk: MappedNPY
        var trace: MappedNPY
        var test: MappedNPY?
        var cross: MappedNPY?
        var layers: MappedNPY?
    }

    /// The artifact of kernels a stage has just streamed into its folder (see `KernelStreams`).
    public init(streamed shape: KernelShape, summary: [String: Value]) {
        self.shape = shape
        steps = shape.steps.map { $0.map(Optional.some) } ?? [nil]
        self.summary = summary
        files = nil
    }

    public init(reading folder: ArtifactFolder) throws {
        func open(_ name: String) throws -> MappedNPY? {
            guard folder.hasArray(name) else { return nil }
            do { return try MappedNPY(url: folder.path("\(name).npy")) } catch {
                throw PipelineError(.artifact, "cannot read \(name).npy of stage `\(folder.stageID)`", cause: error)
            }
        }
        guard let ntk = try open("ntk"), let trace = try open("trace") else {
            throw PipelineError(.artifact, "stage `\(folder.stageID)` holds no ntk.npy and trace.npy "
                                + "(connect an ntk.compute or ntk.snapshots stage)")
        }
        let stacked = ntk.shape.count == 4
        guard ntk.shape.count == 3 || stacked, ntk.shape[ntk.shape.count - 1] == ntk.shape[ntk.shape.count - 2] else {
            throw PipelineError(.artifact, "ntk.npy of stage `\(folder.stageID)` has shape \(ntk.shape), not ((T,) C, N, N)")
        }
        let test = try open("test"), layers = try open("layers")
        let steps = folder.hasArray("times") ? try folder.array("times").asDoubles().map { Int($0) } : nil
        let t = stacked ? ntk.shape[0] : nil
        if let steps, steps.count != t {
            throw PipelineError(.artifact, "stage `\(folder.stageID)`: times.npy has \(steps.count) steps for \(t ?? 1) kernels")
        }
        shape = KernelShape(times: t, heads: ntk.shape[stacked ? 1 : 0], n: ntk.shape[stacked ? 2 : 1],
                            nTest: test.map { $0.shape[$0.shape.count - 2] } ?? 0,
                            layers: layers.map { $0.shape[stacked ? 1 : 0] } ?? 0, cross: folder.hasArray("cross"),
                            steps: steps)
        self.steps = steps.map { $0.map(Optional.some) } ?? [nil]
        summary = try folder.summary()
        files = Files(ntk: ntk, trace: trace, test: test, cross: try open("cross"), layers: layers)
    }

    public func write(to writer: ArtifactWriter) throws {
        if let steps = shape.steps { try writer.write(try NPYArray(steps.map(Int64.init), shape: [steps.count]), as: "times") }
        try writer.writeSummary(summary)
    }

    /// The number of kernels along the time axis.
    public var count: Int { shape.count }
    public var heads: Int { shape.heads }
    public var n: Int { shape.n }
    public var nTest: Int { shape.nTest }

    private func opened() throws -> Files {
        guard let files else { throw PipelineError(.artifact, "internal error: kernels read before they were written") }
        return files
    }

    private func time(_ t: Int) -> [Int] { shape.times == nil ? [] : [t] }

    /// Θ^c at time index t (N × N).
    public func head(_ t: Int, _ c: Int) throws -> Matrix<Double> { try opened().ntk.matrix(at: time(t) + [c]) }

    /// Σ_c Θ^c at time index t (N × N).
    public func trace(_ t: Int) throws -> Matrix<Double> { try opened().trace.matrix(at: time(t)) }

    /// Θ^c(X_test, X) at time index t (N_test × N).
    public func test(_ t: Int, _ c: Int) throws -> Matrix<Double> {
        guard let test = try opened().test else { throw PipelineError(.artifact, "the kernels have no test block") }
        return try test.matrix(at: time(t) + [c])
    }

    /// Layer l's contribution to the trace kernel at time index t (summed over heads, N × N).
    public func layerTrace(_ t: Int, _ l: Int) throws -> Matrix<Double> {
        guard let layers = try opened().layers else { throw PipelineError(.artifact, "the kernels have no per-layer blocks") }
        var sum = try layers.matrix(at: time(t) + [l, 0])
        for c in 1..<max(heads, 1) { sum += try layers.matrix(at: time(t) + [l, c]) }
        return sum
    }

    /// Rows `range` of Θ^c (or of the trace kernel Σ_c Θ^c when `head` is nil) at time index t, read from the
    /// memory-mapped file without loading the rest (range.count × N).
    public func rows(_ t: Int, head: Int?, _ range: Range<Int>) throws -> Matrix<Double> {
        if let head { return try opened().ntk.matrix(at: time(t) + [head], rows: range) }
        return try opened().trace.matrix(at: time(t), rows: range)
    }

    /// Rows `range` of the test block Θ^c(X_test, X) (or Σ_c Θ^c(X_test, X) when `head` is nil) at time index t.
    public func testRows(_ t: Int, head: Int?, _ range: Range<Int>) throws -> Matrix<Double> {
        guard let test = try opened().test else { throw PipelineError(.artifact, "the kernels have no test block") }
        if let head { return try test.matrix(at: time(t) + [head], rows: range) }
        var sum = try test.matrix(at: time(t) + [0], rows: range)
        for c in 1..<max(heads, 1) { sum += try test.matrix(at: time(t) + [c], rows: range) }
        return sum
    }

    /// Every head's kernel at time index t.
    public func heads(_ t: Int) throws -> [Matrix<Double>] { try (0..<heads).map { try head(t, $0) } }

    /// Every head's test block at time index t ([] without a test block).
    public func tests(_ t: Int) throws -> [Matrix<Double>] {
        nTest == 0 ? [] : try (0..<heads).map { try test(t, $0) }
    }
}

/// Streams the kernels of one model after another into pre-sized `.npy` files of the stage's folder, in the
/// run's precision, so that a stage computing T kernels holds one model's kernels at a time.
///
/// The files are written (and hashed) on a background queue while the next kernel is computed: `head` is called
/// with each head's kernel as `empiricalNTK` finishes it, `rest` with the model's trace (and cross-head and
/// per-layer blocks). At most two kernels wait to be written at a time; a write error is reported by the next
/// call or by `finish`.
final class KernelStreams<Scalar: TangentScalar>: @unchecked Sendable {  // the writers are used on `queue` only
    let shape: KernelShape
    private let ntk: NPYFileWriter, trace: NPYFileWriter
    private let test: NPYFileWriter?, cross: NPYFileWriter?, layers: NPYFileWriter?
    private let queue = DispatchQueue(label: "tangent.kernel-streams")
    private let slots = DispatchSemaphore(value: 2)
    private var failure: (any Error)?  // set and read on `queue`

    init(into writer: ArtifactWriter, shape: KernelShape) throws {
        self.shape = shape
        let dtype: NPYDType = Scalar.self == Float.self ? .float32 : .float64
        let (t, c, n, nt) = (shape.timeAxis, shape.heads, shape.n, shape.nTest)
        ntk = try writer.streamArray("ntk", dtype: dtype, shape: t + [c, n, n])
        trace = try writer.streamArray("trace", dtype: dtype, shape: t + [n, n])
        test = nt > 0 ? try writer.streamArray("test", dtype: dtype, shape: t + [c, nt, n]) : nil
        cross = shape.cross ? try writer.streamArray("cross", dtype: dtype, shape: t + [c, c, n, n]) : nil
        layers = shape.layers > 0 ? try writer.streamArray("layers", dtype: dtype, shape: t + [shape.layers, c, n, n]) : nil
    }

    /// Head c's kernel and test block of the current model (heads arrive in order).
    func head(_ kernel: Matrix<Scalar>, test block: Matrix<Scalar>?) throws {
        try enqueue { [ntk, test] in
            try ntk.append(contentsOf: kernel)
            if let test, let block { try test.append(contentsOf: block) }
        }
    }

    /// The current model's trace and, when kept, its cross-head and per-layer blocks.
    func rest(_ k: EmpiricalNTK<Scalar>) throws {
        try enqueue { [trace, cross, layers] in
            try trace.append(contentsOf: k.trace)
            if let cross, let blocks = k.cross { for row in blocks { for m in row { try cross.append(contentsOf: m) } } }
            if let layers, let blocks = k.layers { for layer in blocks { for m in layer { try layers.append(contentsOf: m) } } }
        }
    }

    /// Waits for every write, then finishes (syncs and moves into place) every file.
    func finish() throws {
        try queue.sync {
            if let failure { throw failure }
            for w in [ntk, trace] + [test, cross, layers].compactMap({ $0 }) { try w.finish() }
        }
    }

    private func enqueue(_ write: @escaping () throws -> Void) throws {
        if let failure = queue.sync(execute: { self.failure }) { throw failure }
        slots.wait()
        let box = UncheckedBox(write)
        queue.async {
            defer { self.slots.signal() }
            guard self.failure == nil else { return }
            do { try box.value() } catch { self.failure = error }
        }
    }
}

/// Hands a value to another queue that will be its only user.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
