import Foundation
import Testing
import TangentPipeline
import TestStages

let testRegistry = StageRegistry(TestStages.all)

func temporaryFolder(_ label: String = "pipeline") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Loads pipeline text (written to `folder` so relative paths resolve there).
func load(_ text: String, in folder: URL? = nil, overrides: [String] = [], profile: String? = nil) throws -> ResolvedPipeline {
    let dir = try folder ?? temporaryFolder()
    let file = dir.appendingPathComponent("pipeline.yaml")
    try text.write(to: file, atomically: true, encoding: .utf8)
    return try PipelineLoader.load(file: file.path, overrides: overrides, profile: profile, registry: testRegistry)
}

/// The diagnostics of an invalid pipeline (empty when it is valid).
func diagnostics(_ text: String, overrides: [String] = [], profile: String? = nil) -> [Diagnostic] {
    do {
        _ = try PipelineLoader.load(text: text, file: "p.yaml", overrides: overrides, profile: profile, registry: testRegistry)
        return []
    } catch {
        return error.diagnostics
    }
}

/// The diagnostics of loading the file at `path` (empty when it is valid).
func fileDiagnostics(_ path: String, overrides: [String] = []) -> [Diagnostic] {
    do {
        _ = try PipelineLoader.load(file: path, overrides: overrides, registry: testRegistry)
        return []
    } catch {
        return error.diagnostics
    }
}

/// Wall-clock seconds of `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Nothing the loader says may be Foundation's error text.
func expectNoFoundationText(_ diagnostics: [Diagnostic], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    for d in diagnostics {
        #expect(!d.description.contains("NSCocoaErrorDomain") && !d.description.contains("Error Domain")
                && !d.description.contains("NSError") && !d.description.contains("The operation could not"),
                "\(d)", sourceLocation: sourceLocation)
    }
}
