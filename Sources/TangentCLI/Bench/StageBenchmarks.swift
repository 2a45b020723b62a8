import ArgumentParser
import Foundation
import TangentCore
import TangentNTK
import TangentPipeline
import TangentStages

/// `tangent bench ntk-stage`: the `ntk.compute` stage end to end through the engine (validation, reading the model
/// and data folders, the kernels, writing the .npy files, recording their hashes and committing the folder)
/// against the kernel computation alone on the same model and data, in the same run.
struct BenchNTKStageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntk-stage",
        abstract: "The ntk.compute stage end to end vs the kernel computation alone (target: at most 1.15×).")

    @OptionGroup var network: ReferenceNetworkOptions
    @Option(help: "Timed runs of each (the best is reported).") var repeats = 3
    @Option(help: "float64 or float32.") var precision = "float64"
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        if let threads = network.threads { Threads.setBudget(threads) }
        func log(_ s: String) { FileHandle.standardError.write(Data(("  " + s + "\n").utf8)) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = """
        pipeline: bench-ntk-stage
        precision: \(precision)
        stages:
          data:  { use: data.synthetic, with: { train: \(network.n), test: 0, input_dim: \(network.d), outputs: \(network.outputs) } }
          model: { use: model.mlp, from: { data: data }, with: { hidden: [\(network.hidden)], activation: relu, parametrization: ntk } }
          ntk:   { use: ntk.compute, from: { model: model, data: data } }
        """
        let file = folder.appendingPathComponent("bench.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let pipeline = try PipelineLoader.load(file: file.path, registry: StageRegistry(BuiltinStages.all))
        let out = folder.appendingPathComponent("run")
        func runner(rerun: [String]) -> PipelineRunner {
            var options = RunOptions(outputDirectory: out, rerun: rerun, progress: SilentProgress())
            options.handleInterrupts = false
            return PipelineRunner(options: options)
        }
        log("first run (data, model, kernels)…")
        let first = try runner(rerun: []).run(pipeline)
        let model = try first.read(MLP.self, "model")
        let x = try first.read(DatasetArtifact.self, "data").trainInputs
        let single = precision == "float32"

        log("kernels alone and the stage end to end, interleaved (\(repeats) runs each)…")
        var kernel = Double.infinity, stage = Double.infinity, stageOnly = Double.infinity
        for _ in 0..<max(repeats, 1) {
            var t0 = Machine.wallSeconds()
            if single { _ = try empiricalNTK(model, inputs: x, as: Float.self) } else { _ = try empiricalNTK(model, inputs: x, as: Double.self) }
            kernel = min(kernel, Machine.wallSeconds() - t0)
            t0 = Machine.wallSeconds()
            let result = try runner(rerun: ["ntk"]).run(pipeline)
            stage = min(stage, Machine.wallSeconds() - t0)
            stageOnly = min(stageOnly, result.records.first { $0.id == "ntk" }?.seconds ?? .nan)
        }
        let bytes = (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("ntk").path))?
            .reduce(0) { $0 + fileBytes(out.appendingPathComponent("ntk/\($1)").path) } ?? 0
        let figures: [(String, Double)] = [
            ("kernel_seconds", kernel), ("stage_end_to_end_seconds", stage), ("stage_record_seconds", stageOnly),
            ("end_to_end_over_kernel", stage / kernel), ("output_mb", Double(bytes) / 1_048_576),
        ]
        if json {
            print("{" + figures.map { "\"\($0.0)\":\(rounded($0.1))" }.joined(separator: ",") + "}")
            return
        }
        print("""
        ntk.compute stage, N = \(network.n), d = \(network.d), hidden [\(network.hidden)], relu, C = \(network.outputs), \(precision), \(Threads.kernelThreads) threads
          kernels alone (empiricalNTK)                 \(String(format: "%7.3f", kernel)) s
          tangent run --rerun ntk, end to end          \(String(format: "%7.3f", stage)) s  = \(String(format: "%.3f", stage / kernel))× the kernels (target ≤ 1.15)
            of which the stage (read, compute, write, hash, commit)  \(String(format: "%7.3f", stageOnly)) s
          outputs written                              \(String(format: "%7.1f", Double(bytes) / 1_048_576)) MB
        """)
    }
}

/// `tangent bench snapshots`: the peak resident memory of a process running `ntk.snapshots` for T = 10 and T = 60
/// snapshots of the same network (N = 1024, C = 10 by default): streamed to disk, it must not grow with T.
struct BenchSnapshotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "Peak memory of ntk.snapshots for T = 10 and T = 60 snapshots (target: equal within 10%).")

    @Option(help: "Samples N.") var n = 1024
    @Option(help: "Input dimension d.") var d = 784
    @Option(help: "Hidden widths, comma-separated.") var hidden = "1024,1024"
    @Option(help: "Outputs (heads) C.") var outputs = 10
    @Option(help: "Snapshot counts to compare, comma-separated.") var snapshots = "10,60"
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        func log(_ s: String) { FileHandle.standardError.write(Data(("  " + s + "\n").utf8)) }
        let counts = snapshots.split(separator: ",").compactMap { Int($0) }
        guard counts.count >= 2, counts.allSatisfy({ $0 >= 2 }) else { throw ValidationError("--snapshots lists two or more counts ≥ 2") }
        var results: [(t: Int, peakMB: Double, seconds: Double, diskMB: Double)] = []
        for t in counts {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let training = """
            pipeline: bench-snapshots
            stages:
              data:  { use: data.synthetic, with: { train: \(n), test: 0, input_dim: \(d), outputs: \(outputs) } }
              model: { use: model.mlp, from: { data: data }, with: { hidden: [\(hidden)], activation: relu } }
              train: { use: train.gd, from: { data: data, model: model }, with: { steps: \(t - 1), learning_rate: 0.1, snapshots: { every: 1 }, log_points: 2 } }
            """
            let full = training + "\n  ntk:   { use: ntk.snapshots, from: { trajectory: train, data: data } }\n"
            let trainFile = folder.appendingPathComponent("train.yaml"), fullFile = folder.appendingPathComponent("full.yaml")
            try training.write(to: trainFile, atomically: true, encoding: .utf8)
            try full.write(to: fullFile, atomically: true, encoding: .utf8)
            let out = folder.appendingPathComponent("run")
            log("T = \(t): training (in a child process)…")
            _ = try child(["run", trainFile.path, "--out", out.path], out: out)
            log("T = \(t): ntk.snapshots alone, in a fresh process (the other stages are cached)…")
            let t0 = Machine.wallSeconds()
            let manifest = try child(["run", fullFile.path, "--out", out.path], out: out)
            let seconds = Machine.wallSeconds() - t0
            let peak = (manifest["peak_resident_mb"] as? NSNumber)?.doubleValue ?? .nan
            let bytes = (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("ntk").path))?
                .reduce(0) { $0 + fileBytes(out.appendingPathComponent("ntk/\($1)").path) } ?? 0
            results.append((t, peak, seconds, Double(bytes) / 1_048_576))
        }
        let ratio = results.last!.peakMB / results.first!.peakMB
        if json {
            let rows = results.map { "{\"snapshots\":\($0.t),\"peak_resident_mb\":\(rounded($0.peakMB)),\"seconds\":\(rounded($0.seconds)),\"kernels_mb\":\(rounded($0.diskMB))}" }
            print("{\"runs\":[\(rows.joined(separator: ","))],\"peak_ratio\":\(rounded(ratio))}")
            return
        }
        var lines = ["ntk.snapshots, N = \(n), d = \(d), hidden [\(hidden)], C = \(outputs), float64: peak resident memory of the process"]
        for r in results {
            lines.append(String(format: "  T = %3d   peak %7.0f MB   kernels on disk %8.0f MB   %6.1f s", r.t, r.peakMB, r.diskMB, r.seconds))
        }
        lines.append(String(format: "  peak(T = %d) / peak(T = %d) = %.3f (target: within 10%%)", results.last!.t, results.first!.t, ratio))
        print(lines.joined(separator: "\n"))
    }

    /// Runs this executable with `arguments` and returns the run's manifest (its peak_resident_mb is the child's).
    private func child(_ arguments: [String], out: URL) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("tangent \(arguments.joined(separator: " ")) failed:\n" + String(decoding: text, as: UTF8.self))
        }
        let manifest = try Data(contentsOf: out.appendingPathComponent("manifest.json"))
        return (try JSONSerialization.jsonObject(with: manifest) as? [String: Any]) ?? [:]
    }
}

private func fileBytes(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : 0
}
