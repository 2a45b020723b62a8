import Foundation
import TangentPipeline
import TangentStages

let registry = StageRegistry(BuiltinStages.all)

func temporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-report-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs pipeline text with the built-in stages into `folder` (a fresh one by default); returns the run folder.
@discardableResult
func runPipeline(_ text: String, overrides: [String] = [], in folder: URL? = nil) throws -> URL {
    let out = try folder ?? temporaryFolder("run")
    let pipeline = try PipelineLoader.load(text: text, file: out.appendingPathComponent("pipeline.yaml").path,
                                           overrides: overrides, registry: registry)
    return try PipelineRunner(options: RunOptions(outputDirectory: out, progress: SilentProgress())).run(pipeline).directory
}

func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

/// The plot ids of a report page, in order.
func plotIDs(_ html: String) -> [String] {
    html.components(separatedBy: "<figure id=\"plot-").dropFirst().map { String($0.prefix { $0 != "\"" }) }
}

/// A small pipeline with a stage of every type the report draws (all quick in a debug build).
let everyStage = """
    pipeline: every
    seed: 1
    stages:
      data:  { use: data.synthetic, with: { train: 24, test: 16, input_dim: 6, teacher: linear, outputs: 2 } }
      white: { use: data.whiten, from: { data: data } }
      model: { use: model.mlp, from: { data: white }, with: { hidden: [12], activation: linear, parametrization: standard, init_scale: 0.01 } }
      train: { use: train.gd, from: { data: white, model: model }, with: { learning_rate: 0.5, steps: 60, snapshots: { log_spaced: 10 }, log_points: 30 } }
      ntk:   { use: ntk.snapshots, from: { trajectory: train, data: white } }
      align: { use: analysis.alignment, from: { kernels: ntk, data: white } }
      eigen: { use: analysis.eigen, from: { kernels: ntk, data: white }, with: { top_k: 6, ks: [1, 2, 5] } }
      times: { use: analysis.timescales, from: { kernels: ntk, data: white, trajectory: train } }
      spec:  { use: analysis.specialization, from: { kernels: ntk, data: white } }
      kr:    { use: analysis.kernel_regression, from: { kernels: ntk, trajectory: train, data: white } }
      norms: { use: analysis.spectral, from: { trajectory: train } }
      phases: { use: analysis.loss_phases, from: { trajectory: train } }
      coord: { use: analysis.coord_check, from: { data: white }, with: { widths: [8, 16], repeats: 1, steps: 2, parametrizations: [standard, mup] } }
      nngp:  { use: kernel.nngp, from: { data: white }, with: { activation: relu, ridge: 0.1 } }
      compare: { use: analysis.compare_predictors, from: { predictors: [nngp, train], data: white } }
    """
