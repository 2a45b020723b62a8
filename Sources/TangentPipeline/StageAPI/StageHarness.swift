import Foundation
import TangentCore

/// Runs one stage outside a pipeline, as the engine would inside one: for tests and plugin authors.
///
/// The inputs are written into folders and read back, the parameters take their defaults where not given, the
/// stage's `validate` runs first (its problems are thrown as an invalid-pipeline error), then `run`, and the output
/// is written and read back.
///
/// ```swift
/// let table = try StageHarness.run(SpectralStage.self, inputs: ["trajectory": [trajectory]])
/// ```
public enum StageHarness {
    public static func run<S: Stage>(_ type: S.Type, parameters: [String: Value] = [:],
                                     inputs: [String: [any ArtifactValue]] = [:], seed: Int = 0,
                                     precision: Precision = .float64) throws -> S.Output {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-harness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var values: [String: Value] = [:]
        for p in S.parameters {
            values[p.name] = parameters[p.name] ?? p.defaultValue ?? (p.nullable ? .null : nil)
        }
        if let unknown = parameters.keys.first(where: { values[$0] == nil && !S.parameters.map(\.name).contains($0) }) {
            throw PipelineError(.invalidPipeline, "\(S.name) has no parameter `\(unknown)`")
        }
        var bindings: [String: StageDecoder.InputBinding] = [:]
        for slot in S.inputs {
            var shapes: [any Sendable] = [], folders: [ArtifactFolder] = []
            for (k, artifact) in (inputs[slot.name] ?? []).enumerated() {
                let id = "\(slot.name)\(k)"
                let url = root.appendingPathComponent(id)
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                try write(artifact, to: url, id: id)
                shapes.append(artifact.shape)
                folders.append(try ArtifactFolder(url: url, stageID: id))
            }
            bindings[slot.name] = StageDecoder.InputBinding(shapes: shapes, folders: folders)
        }
        let stage = try StageDecoder.decodeStage(S.self, parameters: values, inputs: bindings)
        var check = StageCheck(stageID: "stage", precision: precision, seed: seed,
                               availableMemory: Machine.availableMemoryBytes) { field in
            (nil, field.map { "with.\($0.name)" } ?? "stage")
        }
        _ = try stage.validate(&check)
        check.checkMemory()
        if check.hasErrors { throw PipelineError.invalid(check.diagnostics) }
        let output = root.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let writer = ArtifactWriter(directory: output, stageID: "stage")
        let context = StageContext(stageID: "stage", seed: seed, precision: precision, threads: Threads.kernelThreads,
                                   progress: SilentProgress(), output: writer, pipelineDirectory: root)
        try stage.run(context).write(to: writer)
        try writer.finish(kind: S.Output.kind)
        return try S.Output(reading: try ArtifactFolder(url: output, stageID: "stage"))
    }

    /// The stage decoded with `parameters` (defaults for the rest) and no inputs, to call its own methods.
    public static func stage<S: Stage>(_ type: S.Type, parameters: [String: Value] = [:]) throws -> S {
        var values: [String: Value] = [:]
        for p in S.parameters { values[p.name] = parameters[p.name] ?? p.defaultValue ?? (p.nullable ? .null : nil) }
        return try StageDecoder.decodeStage(S.self, parameters: values, inputs: [:])
    }

    private static func write<A: ArtifactValue>(_ artifact: A, to url: URL, id: String) throws {
        let writer = ArtifactWriter(directory: url, stageID: id)
        try artifact.write(to: writer)
        try writer.finish(kind: A.kind)
    }
}
