import Foundation
import TangentCore
import TangentNTK

/// `tangent bench ntk --memory-budget MB`: the per-head kernels and trace of the reference network computed out of
/// core (`outOfCoreNTK`) into a temporary folder, with the wall time, the peak resident memory (getrusage
/// ru_maxrss) and the bytes on disk; with `inMemory` the same kernels by the in-memory path instead, for the ratio.
public struct NTKOutOfCoreBenchmark: Sendable {
    public var network: ReferenceNetwork
    public var float32: Bool
    /// Bytes of the tiles' budget (out of core); ignored with `inMemory`.
    public var memoryBudget: Int
    public var inMemory: Bool

    public init(network: ReferenceNetwork, float32: Bool, memoryBudget: Int, inMemory: Bool = false) {
        self.network = network
        self.float32 = float32
        self.memoryBudget = memoryBudget
        self.inMemory = inMemory
    }

    /// Runs the measurement; returns the figures in report order.
    public func run(log: (String) -> Void) throws -> [(name: String, value: Double)] {
        let (model, x, _) = try network.make(seed: 3)
        let arch = model.architecture
        let bytes = float32 ? 4 : 8
        let memory = NTKMemory(n: network.n, nTest: 0, architecture: arch, bytesPerElement: bytes, options: NTKOptions())
        var figures: [(name: String, value: Double)] = [
            ("n", Double(network.n)), ("outputs", Double(network.outputs)), ("bytes_per_element", Double(bytes)),
            ("input_mb", Double(x.count * 8) / 1_048_576),
        ]
        if inMemory {
            figures.append(("activations_mb", memory.activationEstimate / 1_048_576))
            log("in-memory kernels…")
            let t0 = Machine.wallSeconds()
            if float32 { _ = try empiricalNTK(model, inputs: x, as: Float.self) } else { _ = try empiricalNTK(model, inputs: x, as: Double.self) }
            figures += [("in_memory_seconds", Machine.wallSeconds() - t0),
                        ("outputs_mb", memory.outputEstimate / 1_048_576),
                        ("peak_resident_mb", Double(Machine.peakResidentBytes) / 1_048_576)]
            return figures
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-bench-ooc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let options = NTKOptions(memoryBudget: memoryBudget)
        let t0 = Machine.wallSeconds()
        var lastReport = t0
        func compute<S: TangentScalar>(_: S.Type) throws -> OutOfCoreNTKResult {
            try outOfCoreNTK(model, inputs: x, options: options, folder: folder, as: S.self, log: log) { done, total in
                let now = Machine.wallSeconds()
                if now - lastReport > 10 || done == total {
                    lastReport = now
                    let eta = done > 0 ? (now - t0) / Double(done) * Double(total - done) : .nan
                    log(String(format: "tile %d/%d, %.0f s, ETA %.0f s", done, total, now - t0, eta))
                }
            }
        }
        let result = float32 ? try compute(Float.self) : try compute(Double.self)
        let seconds = Machine.wallSeconds() - t0
        let plan = result.plan
        figures += [("out_of_core_seconds", seconds), ("tiles", Double(plan.tileCount)), ("block_rows", Double(plan.blockRows)),
                    ("memory_budget_mb", Double(memoryBudget) / 1_048_576), ("tile_buffers_mb", Double(plan.tileBytes) / 1_048_576),
                    ("working_mb", Double(plan.workingBytes) / 1_048_576),
                    ("disk_bytes", Double(plan.diskBytes)), ("gflop", plan.flops * 1e-9), ("gflops", plan.flops / seconds * 1e-9),
                    ("estimated_seconds", plan.estimatedSeconds),
                    ("peak_resident_mb", Double(Machine.peakResidentBytes) / 1_048_576)]
        return figures
    }
}
