import Foundation
import TangentCore
import TangentNTK
import TangentPipeline
import TangentStages

let builtinRegistry = StageRegistry(BuiltinStages.all)

func temporaryFolder(_ label: String = "stages") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Loads pipeline text against the built-in stages and runs it in a fresh folder.
func runPipeline(_ text: String, overrides: [String] = []) throws -> (result: RunResult, folder: URL) {
    let folder = try temporaryFolder()
    let pipeline = try PipelineLoader.load(text: text, file: folder.appendingPathComponent("pipeline.yaml").path,
                                           overrides: overrides, registry: builtinRegistry)
    let result = try PipelineRunner(options: RunOptions(outputDirectory: folder, progress: SilentProgress())).run(pipeline)
    return (result, folder)
}

/// The artifact of stage `id` after running `text`.
func artifact(_ text: String, _ id: String, overrides: [String] = []) throws -> Artifact {
    guard let a = try runPipeline(text, overrides: overrides).result.artifacts[id] else {
        throw PipelineError(.artifact, "no artifact for `\(id)`")
    }
    return a
}

func matrix(_ a: Artifact, _ name: String) throws -> Matrix<Double> { try Matrix<Double>(try a.array(name)) }

func bitPatterns(_ a: Artifact, _ name: String) throws -> [UInt64] { try a.array(name).asDoubles().map(\.bitPattern) }

/// The message of the error a failing run throws (cause included), or nil when it succeeds.
func failure(_ text: String, overrides: [String] = []) -> (code: PipelineError.Code, text: String)? {
    do {
        _ = try runPipeline(text, overrides: overrides)
        return nil
    } catch let error as PipelineError {
        return (error.code, error.description)
    } catch {
        return nil
    }
}
