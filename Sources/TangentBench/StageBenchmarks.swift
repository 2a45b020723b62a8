import Foundation
import TangentCore
import TangentNTK
import TangentPipeline
import TangentStages

/// `tangent bench ntk-stage`: the `ntk.compute` stage end to end through the engine (validation, reading the model
/// and data folders, the kernels, writing the .npy files, recording their hashes and committing the folder) against
/// the kernel computation alone on the same model and data, interleaved in the same run. Target: at most 1.15×.
public struct NTKStageBenchmark: Sendable {
    public var network: ReferenceNetwork
    public var precision: Precision
    public var repeats: Int

    public init(network: ReferenceNetwork = ReferenceNetwork(), precision: Precision = .float64, repeats: Int = 3) {
        self.network = network
        self.precision = precision
        self.repeats = repeats
    }

    public struct Report: Sendable {
        public var network: ReferenceNetwork
        public var precision: Precision
        public var threads: Int
        /// `empiricalNTK` alone, best of the runs.
        public var kernelSeconds: Double
        /// `tangent run --rerun ntk` in process: validation, cache checks of the upstream stages, the stage, commit.
        public var endToEndSeconds: Double
        /// The stage's own time as the manifest records it (reading inputs, computing, writing, hashing, commit).
        public var stageSeconds: Double
        public var outputMB: Double
        public var ratio: Double { endToEndSeconds / kernelSeconds }

        public var json: String {
            Value.object([
                "benchmark": .string("ntk-stage"), "kernel_seconds": .double(rounded(kernelSeconds)),
                "end_to_end_seconds": .double(rounded(endToEndSeconds)), "stage_seconds": .double(rounded(stageSeconds)),
                "end_to_end_over_kernel": .double(rounded(ratio)), "target": .double(1.15),
                "output_mb": .double(rounded(outputMB)), "precision": .string(precision.rawValue),
            ]).canonicalJSON
        }

        public var table: String {
            let n = network
            return """
            ntk.compute stage, N = \(n.n), d = \(n.d), hidden \(n.widths), relu, C = \(n.outputs), \(precision.rawValue), \(threads) threads
              kernels alone (empiricalNTK)                         \(String(format: "%7.3f", kernelSeconds)) s
              tangent run --rerun ntk, end to end                  \(String(format: "%7.3f", endToEndSeconds)) s = \(String(format: "%.3f", ratio))× the kernels (target ≤ 1.15)
                the stage itself (read, compute, write, hash, commit) \(String(format: "%7.3f", stageSeconds)) s
              outputs written                                      \(String(format: "%7.1f", outputMB)) MB
            """
        }
    }

    public func run(log: (String) -> Void = { _ in }) throws -> Report {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let n = network
        let text = """
        pipeline: bench-ntk-stage
        precision: \(precision.rawValue)
        stages:
          data:  { use: data.synthetic, with: { train: \(n.n), test: 0, input_dim: \(n.d), outputs: \(n.outputs) } }
          model: { use: model.mlp, from: { data: data }, with: { hidden: \(n.widths), activation: relu, parametrization: ntk } }
          ntk:   { use: ntk.compute, from: { model: model, data: data } }
        """
        let file = folder.appendingPathComponent("bench.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(file: file.path, registry: StageRegistry(BuiltinStages.all))
        let out = folder.appendingPathComponent("run")
        func runner(rerun: [String]) -> PipelineRunner {
            PipelineRunner(options: RunOptions(outputDirectory: out, rerun: rerun, progress: SilentProgress()))
        }
        log("first run (data, model, kernels)…")
        let first = try runner(rerun: []).run(pipeline)
        let model = try first.read(MLP.self, "model")
        let x = try first.read(DatasetArtifact.self, "data").trainInputs

        log("kernels alone and the stage end to end, interleaved (\(repeats) runs each)…")
        var kernel = Double.infinity, endToEnd = Double.infinity, stage = Double.infinity
        for _ in 0..<max(repeats, 1) {
            var t0 = Machine.wallSeconds()
            if precision == .float32 {
                _ = try empiricalNTK(model, inputs: x, as: Float.self)
            } else {
                _ = try empiricalNTK(model, inputs: x, as: Double.self)
            }
            kernel = min(kernel, Machine.wallSeconds() - t0)
            t0 = Machine.wallSeconds()
            let result = try runner(rerun: ["ntk"]).run(pipeline)
            endToEnd = min(endToEnd, Machine.wallSeconds() - t0)
            stage = min(stage, result.records.first { $0.id == "ntk" }?.seconds ?? .nan)
        }
        return Report(network: n, precision: precision, threads: Threads.kernelThreads, kernelSeconds: kernel,
                      endToEndSeconds: endToEnd, stageSeconds: stage,
                      outputMB: Double(folderBytes(out.appendingPathComponent("ntk"))) / 1_048_576)
    }
}

/// `tangent bench snapshots`: the peak resident memory of a fresh process running `ntk.snapshots` over T = 10 and
/// T = 60 snapshots of the same network (N = 1024, C = 10 by default), the other stages cached. The kernels are
/// streamed to disk, so the peak must not grow with T (target: equal within 10%).
public struct SnapshotMemoryBenchmark: Sendable {
    public var network: ReferenceNetwork
    public var counts: [Int]
    /// The `tangent` executable to run the stages in (a fresh process per measurement).
    public var executable: URL

    public init(network: ReferenceNetwork = ReferenceNetwork(n: 1024, widths: [1024, 1024]), counts: [Int] = [10, 60],
                executable: URL) {
        self.network = network
        self.counts = counts
        self.executable = executable
    }

    public struct Run: Sendable {
        public var snapshots: Int
        public var peakMB: Double
        public var seconds: Double
        public var kernelsMB: Double
    }

    public struct Report: Sendable {
        public var network: ReferenceNetwork
        public var runs: [Run]
        /// Peak of the last count over the peak of the first.
        public var ratio: Double { (runs.last?.peakMB ?? .nan) / (runs.first?.peakMB ?? .nan) }

        public var json: String {
            Value.object([
                "benchmark": .string("snapshots"), "peak_ratio": .double(rounded(ratio)),
                "runs": .list(runs.map { r in
                    .object(["snapshots": .int(r.snapshots), "peak_resident_mb": .double(rounded(r.peakMB)),
                             "seconds": .double(rounded(r.seconds)), "kernels_mb": .double(rounded(r.kernelsMB))])
                }),
            ]).canonicalJSON
        }

        public var table: String {
            let n = network
            var lines = ["ntk.snapshots, N = \(n.n), d = \(n.d), hidden \(n.widths), C = \(n.outputs), float64: peak resident memory of a fresh process"]
            for r in runs {
                lines.append(String(format: "  T = %3d   peak %7.0f MB   kernels on disk %8.0f MB   %6.1f s",
                                    r.snapshots, r.peakMB, r.kernelsMB, r.seconds))
            }
            lines.append(String(format: "  peak(T = %d) / peak(T = %d) = %.3f (target: within 10%%)",
                                runs.last?.snapshots ?? 0, runs.first?.snapshots ?? 0, ratio))
            return lines.joined(separator: "\n")
        }
    }

    public func run(log: (String) -> Void = { _ in }) throws -> Report {
        var runs: [Run] = []
        for t in counts {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let n = network
            let training = """
            pipeline: bench-snapshots
            stages:
              data:  { use: data.synthetic, with: { train: \(n.n), test: 0, input_dim: \(n.d), outputs: \(n.outputs) } }
              model: { use: model.mlp, from: { data: data }, with: { hidden: \(n.widths), activation: relu } }
              train: { use: train.gd, from: { data: data, model: model }, with: { steps: \(t - 1), snapshots: { every: 1 }, log_points: 2 } }
            """
            let full = training + "\n  ntk:   { use: ntk.snapshots, from: { trajectory: train, data: data } }\n"
            let trainFile = folder.appendingPathComponent("train.yaml"), fullFile = folder.appendingPathComponent("full.yaml")
            try training.write(to: trainFile, atomically: true, encoding: .utf8)
            try full.write(to: fullFile, atomically: true, encoding: .utf8)
            let out = folder.appendingPathComponent("run")
            log("T = \(t): data, model and training…")
            _ = try child(["run", trainFile.path, "--out", out.path], out: out)
            log("T = \(t): ntk.snapshots in a fresh process (the other stages cached)…")
            let t0 = Machine.wallSeconds()
            let manifest = try child(["run", fullFile.path, "--out", out.path], out: out)
            runs.append(Run(snapshots: t, peakMB: manifest["peak_resident_mb"]?.doubleValue ?? .nan,
                            seconds: Machine.wallSeconds() - t0,
                            kernelsMB: Double(folderBytes(out.appendingPathComponent("ntk"))) / 1_048_576))
        }
        return Report(network: network, runs: runs)
    }

    /// Runs the executable with `arguments`; returns the run's manifest (its peak_resident_mb is the child's).
    private func child(_ arguments: [String], out: URL) throws -> Value {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PipelineError(.stageFailed, "tangent \(arguments.joined(separator: " ")) failed:\n" + String(decoding: text, as: UTF8.self))
        }
        return try JSONReader.parse(try Data(contentsOf: out.appendingPathComponent("manifest.json")))
    }
}

/// Bytes of the files directly in `folder`.
func folderBytes(_ folder: URL) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.reduce(0) { total, name in
        var info = stat()
        return total + (stat(folder.appendingPathComponent(name).path, &info) == 0 ? Int(info.st_size) : 0)
    }
}
