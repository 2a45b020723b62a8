import TangentCore
import TangentPipeline

/// The kernels of a `kernels` artifact (from `ntk.compute` or `ntk.snapshots`) as float64 matrices, indexed by time.
/// `ntk.compute` gives one time point with step nil.
public struct KernelSeries: Sendable {
    /// Training steps of the kernels (nil entries for a single `ntk.compute` kernel).
    public var steps: [Int?]
    /// heads[t][c]: Θ^c at time t (N × N).
    public var heads: [[Matrix<Double>]]
    /// trace[t] = Σ_c Θ^c (N × N).
    public var trace: [Matrix<Double>]
    /// test[t][c]: Θ^c(X_test, X) (N_test × N), empty when absent.
    public var test: [[Matrix<Double>]]
    /// layers[t][l]: layer l's contribution to the trace kernel, Σ_c (N × N); empty unless computed with per_layer.
    public var layers: [[Matrix<Double>]]

    public var count: Int { heads.count }
    public var headCount: Int { heads.first?.count ?? 0 }

    public init(artifact: Artifact, from stage: String = "kernels") throws {
        guard let members = artifact.archives["kernels.npz"] else {
            throw PipelineError(.artifact, "\(stage) has no kernels.npz (connect an ntk.compute or ntk.snapshots stage)")
        }
        func array(_ name: String) -> NPYArray? { members.first { $0.name == name }?.array }
        guard let ntk = array("ntk"), let trace = array("trace") else {
            throw PipelineError(.artifact, "\(stage): kernels.npz lacks `ntk` or `trace`")
        }
        let stacked = ntk.shape.count == 4
        let t = stacked ? ntk.shape[0] : 1
        let (c, n) = (ntk.shape[stacked ? 1 : 0], ntk.shape[stacked ? 2 : 1])
        let values = ntk.asDoubles(), traceValues = trace.asDoubles()
        func slice(_ v: [Double], _ index: Int, _ rows: Int, _ cols: Int) throws -> Matrix<Double> {
            try Matrix(rows: rows, columns: cols, elements: Array(v[index * rows * cols..<(index + 1) * rows * cols]))
        }
        heads = try (0..<t).map { ti in try (0..<c).map { try slice(values, ti * c + $0, n, n) } }
        self.trace = try (0..<t).map { try slice(traceValues, $0, n, n) }
        if let test = array("test") {
            let nt = test.shape[test.shape.count - 2]
            let tv = test.asDoubles()
            self.test = try (0..<t).map { ti in try (0..<c).map { try slice(tv, ti * c + $0, nt, n) } }
        } else {
            self.test = []
        }
        if let layers = array("layers") {
            let l = layers.shape[stacked ? 1 : 0]
            let lv = layers.asDoubles()
            self.layers = try (0..<t).map { ti in
                try (0..<l).map { li in
                    var sum = try slice(lv, (ti * l + li) * c, n, n)
                    for head in 1..<c { sum += try slice(lv, (ti * l + li) * c + head, n, n) }
                    return sum
                }
            }
        } else {
            self.layers = []
        }
        if let times = artifact.arrays["times"] {
            steps = times.asDoubles().map { Int($0) }
        } else {
            steps = [nil]
        }
    }
}
