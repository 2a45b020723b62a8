import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
import TangentStages

/// A small pipeline through every kind of stage; the cases below each break one rule by an override.
let rulesPipeline = """
pipeline: rules
stages:
  data:  { use: data.synthetic, with: { train: 12, test: 4, input_dim: 4, teacher: linear, outputs: 2 } }
  other: { use: data.synthetic, with: { train: 8, test: 2, input_dim: 3, teacher: linear, outputs: 1 } }
  white: { use: data.whiten, from: { data: data } }
  model: { use: model.mlp, from: { data: data }, with: { hidden: [6] } }
  train: { use: train.gd, from: { data: data, model: model }, with: { steps: 10, log_points: 5, snapshots: { every: 5 } } }
  ntk:   { use: ntk.snapshots, from: { trajectory: train, data: data } }
  one:   { use: ntk.compute, from: { model: model, data: data } }
  align: { use: analysis.alignment, from: { kernels: ntk, data: data } }
  kr:    { use: analysis.kernel_regression, from: { kernels: ntk, trajectory: train, data: data } }
  coord: { use: analysis.coord_check, from: { data: data }, with: { widths: [8, 16], steps: 1, repeats: 1 } }
  phase: { use: analysis.loss_phases, from: { trajectory: train } }
"""

/// Every rule a stage used to check only while running (after its upstream stages had computed) is now caught
/// by `validate`: reported before anything runs, at the field's place in the file.
@Suite("Validation catches the stages' cross-parameter rules")
struct ValidationRulesTests {
    @Test("each rule is a validation error at its field", arguments: [
        // data.synthetic
        (["data.covariance=given"], "data", "eigenvalues", "needs the list of input_dim = 4 eigenvalues"),
        (["data.covariance=given", "data.eigenvalues=[1, 2]"], "data", "eigenvalues", "has 2 values but input_dim is 4"),
        (["data.eigenvalues=[1, 1, 1, 1]"], "data", "eigenvalues", "is set but covariance is `isotropic`"),
        (["data.singular_values=[1, 1, 1]"], "data", "singular_values", "a 2×4 teacher has 1 … 2 singular values, got 3"),
        (["data.teacher=mlp", "data.singular_values=[1]"], "data", "singular_values", "applies to the linear teacher only"),
        (["data.teacher=mixture"], "data", "outputs", "class tasks take their outputs from `classes`"),
        (["data.teacher=multi_index", "data.outputs=1", "data.indices=5"], "data", "indices", "K = 5 orthonormal directions need K ≤ input_dim = 4"),
        (["data.teacher=random_labels", "data.outputs=1", "data.label_noise=1.5"], "data", "label_noise", "fraction of flipped labels"),
        // data.whiten
        (["white.components=2"], "white", "components", "applies to method `pca` only"),
        (["white.method=pca", "white.components=9"], "white", "components", "keeps at most 4 components, got 9"),
        (["white.method=pca", "white.test_statistics=separate"], "white", "test_statistics", "project train and test onto different axes"),
        // model.mlp
        (["model.input_dim=7"], "model", "input_dim", "is 7 but the connected dataset has 4"),
        (["model.outputs=3"], "model", "outputs", "is 3 but the connected dataset has 2"),
        // train.gd: the model must fit the data
        (["stages.train.from.data=other"], "train", "data", "the model maps 4 → 2 but the data has 3 inputs and 1 outputs"),
        // ntk and the analysis stages: kernels against data
        (["stages.one.from.data=other"], "one", "data", "the model takes 4 input features but the data has 3"),
        (["stages.align.from.data=other"], "align", "kernels", "the kernels have 12 samples but the dataset only 8"),
        (["stages.kr.from.data=other"], "kr", "kernels", "the kernels are 12×12 with 2 heads but the data has 8 train points and 1 outputs"),
        // analysis.kernel_regression
        (["kr.ridge=weight_decay", "stages.kr.from={kernels: ntk, data: data}", "kr.kgd=false"], "kr", "ridge", "needs a connected train.gd trajectory"),
        (["stages.kr.from={kernels: ntk, data: data}"], "kr", "kgd", "KGD needs the `trajectory` input"),
        // analysis.coord_check
        (["coord.widths=[8, 8]"], "coord", "widths", "needs at least two distinct widths"),
        (["coord.learning_rate=0"], "coord", "learning_rate", "the weights do not move"),
        // analysis.loss_phases
        (["phase.window_start=50"], "phase", "window_start", "is 50 but the run has 10 steps"),
    ] as [([String], String, String, String)])
    func rule(_ overrides: [String], _ stage: String, _ field: String, _ message: String) throws {
        let diagnostics = try validationDiagnostics(rulesPipeline, overrides: overrides)
        let errors = diagnostics.filter { $0.severity == .error }
        let kind = ["data", "kernels", "trajectory", "model"].contains(field) ? "from" : "with"
        let error = try #require(errors.first { $0.field == "stages.\(stage).\(kind).\(field)" }, "\(errors)")
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.location?.line ?? 0 > 0, "\(error)")
        // A run stops before any stage computes.
        do {
            _ = try runPipeline(rulesPipeline, overrides: overrides)
            Issue.record("the run went ahead")
        } catch let error as PipelineError {
            #expect(error.code == .invalidPipeline)
        }
    }

    @Test("silent clamps are warnings naming the field; the run goes on", arguments: [
        (["ntk.samples=50"], "ntk", "samples", "is 50 but the data has 12 train samples"),
        (["ntk.test_samples=50"], "ntk", "test_samples", "is 50 but the data has 4 test samples"),
        (["train.log_points=100"], "train", "log_points", "is 100 but 10 steps have only 11 points"),
        (["train.batch_size=40"], "train", "batch_size", "at least the 12 train samples"),
    ] as [([String], String, String, String)])
    func warning(_ overrides: [String], _ stage: String, _ field: String, _ message: String) throws {
        let diagnostics = try validationDiagnostics(rulesPipeline, overrides: overrides)
        #expect(!diagnostics.contains { $0.severity == .error }, "\(diagnostics)")
        let warning = try #require(diagnostics.first { $0.field == "stages.\(stage).with.\(field)" })
        #expect(warning.severity == .warning && warning.message.contains(message), "\(warning)")
    }

    @Test("shared declarations: @Inputs and @Params groups appear as the stage's own slots and parameters")
    func groups() {
        for stage in [AlignmentStage.self, EigenStage.self, SpecializationStage.self] as [any Stage.Type] {
            #expect(stage.inputs.map(\.name) == ["kernels", "data"], "\(stage.name)")
            #expect(stage.inputs.map(\.kind) == [.kernels, .dataset])
        }
        #expect(TimescalesStage.inputs.map(\.name) == ["kernels", "data", "trajectory"])
        #expect(Array(TrainGDStage.parameters.map(\.name).prefix(5)) == ["steps", "learning_rate", "snapshots", "log_points", "divergence_factor"])
        #expect(ModelMLPStage.parameters.map(\.name) == ModelLoadStage.parameters.map(\.name).filter { $0 != "weights" })
    }

    @Test("the valid pipeline validates with no diagnostics")
    func valid() throws {
        #expect(try validationDiagnostics(rulesPipeline).isEmpty)
    }
}
