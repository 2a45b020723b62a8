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
func artifact(_ text: String, _ id: String, overrides: [String] = []) throws -> Table {
    guard let a = try runPipeline(text, overrides: overrides).result.artifacts[id] else {
        throw PipelineError(.artifact, "no artifact for `\(id)`")
    }
    return a
}

func matrix(_ a: Table, _ name: String) throws -> Matrix<Double> { try Matrix<Double>(try a.array(name)) }

func bitPatterns(_ a: Table, _ name: String) throws -> [UInt64] { try a.array(name).asDoubles().map(\.bitPattern) }

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

/// The diagnostics `tangent validate` reports for `text` (errors and warnings), after the stages' own checks.
func validationDiagnostics(_ text: String, overrides: [String] = []) throws -> [Diagnostic] {
    let folder = try temporaryFolder()
    do {
        let pipeline = try PipelineLoader.load(text: text, file: folder.appendingPathComponent("pipeline.yaml").path,
                                               overrides: overrides, registry: builtinRegistry)
        return try PipelinePlanner.plan(pipeline).warnings
    } catch {
        return error.diagnostics
    }
}

/// The first error diagnostic's field and message, for `#expect`s on validation.
func validationError(_ text: String, overrides: [String] = []) throws -> (field: String, message: String)? {
    try validationDiagnostics(text, overrides: overrides).first { $0.severity == .error }.map { ($0.field, $0.message) }
}

/// Stage `id`'s artifact as `type` after running `text`.
func typed<A: ArtifactValue>(_ type: A.Type, _ text: String, _ id: String, overrides: [String] = []) throws -> A {
    try runPipeline(text, overrides: overrides).result.read(type, id)
}

/// The dataset of stage `id` after running `text`.
func dataset(_ text: String, _ id: String, overrides: [String] = []) throws -> Dataset {
    try typed(DatasetArtifact.self, text, id, overrides: overrides).dataset
}

/// The dataset held by a stage's files read as a table.
func datasetOf(_ t: Table) throws -> Dataset {
    func labels(_ name: String) -> [Int]? { t.arrays[name].map { $0.asDoubles().map { Int($0) } } }
    let trainX = try matrix(t, "train_x"), trainY = try matrix(t, "train_y")
    var testX = try matrix(t, "test_x"), testY = try matrix(t, "test_y")
    if testX.rows == 0 { testX = Matrix(rows: 0, columns: trainX.columns) }
    if testY.rows == 0 { testY = Matrix(rows: 0, columns: trainY.columns) }
    return try Dataset(trainInputs: trainX, trainTargets: trainY, testInputs: testX, testTargets: testY,
                       trainLabels: labels("train_labels"), testLabels: labels("test_labels"))
}

/// The model held by a stage's files read as a table.
func modelOf(_ t: Table) throws -> MLP {
    let architecture = try MLPArchitecture(summary: t.summary, source: "test")
    guard let members = t.archives["weights.npz"] else { throw PipelineError(.artifact, "no weights.npz") }
    return try MLP(architecture: architecture, arrays: Dictionary(members.map { ($0.name, $0.array) }) { a, _ in a },
                   source: "weights.npz")
}

/// `artifact` written into a fresh folder and read back, as the engine does between stages.
func roundTrip<A: ArtifactValue>(_ artifact: A) throws -> A {
    let folder = try temporaryFolder("artifact")
    let writer = ArtifactWriter(directory: folder, stageID: "test")
    try artifact.write(to: writer)
    try writer.finish(kind: A.kind)
    return try A(reading: try ArtifactFolder(url: folder, stageID: "test"))
}

/// A kernels artifact from arrays (`ntk`, `trace`, `test`, `times`, …), written as ntk.snapshots writes them.
func fixtureKernels(_ arrays: [String: NPYArray]) throws -> KernelsArtifact {
    let folder = try temporaryFolder("kernels")
    let writer = ArtifactWriter(directory: folder, stageID: "kernels")
    for (name, array) in arrays { try writer.write(array, as: name) }
    try writer.finish(kind: .kernels)
    return try KernelsArtifact(reading: try ArtifactFolder(url: folder, stageID: "kernels"))
}

/// Collects what a run logs (warnings included).
final class CapturedLog: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.withLock { storage } }
    func start(_ label: String, total: Int) {}
    func advance(by steps: Int) {}
    func finish() {}
    func log(_ message: String) { lock.withLock { storage.append(message) } }
}

/// Runs `text` in a fresh folder, returning the result and every logged line.
func runLogged(_ text: String, overrides: [String] = []) throws -> (result: RunResult, log: [String]) {
    let folder = try temporaryFolder()
    let pipeline = try PipelineLoader.load(text: text, file: folder.appendingPathComponent("pipeline.yaml").path,
                                           overrides: overrides, registry: builtinRegistry)
    let log = CapturedLog()
    let result = try PipelineRunner(options: RunOptions(outputDirectory: folder, progress: log)).run(pipeline)
    return (result, log.lines)
}
