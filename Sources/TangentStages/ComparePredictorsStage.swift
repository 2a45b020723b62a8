import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

/// `analysis.compare_predictors`: the test loss of kernel predictors and trained networks side by side.
public struct ComparePredictorsStage: Stage {
    public static let name = "analysis.compare_predictors"
    public static let summary = "Test loss of kernel predictors (kernel.*) and trained networks (train.*) side by side."
    public static let doc = """
        For each connected stage, in the order given: a kernel stage's `predictions.npy` (kernel.nngp, \
        kernel.ntk_limit, kernel.adaptive_ntk, kernel.adaptive_nngp) or a training stage's final network on the test \
        inputs. The test loss is the MSE, mean over test points and outputs of (f − y)² (twice the ½-MSE that \
        training logs), on the connected dataset's test split. Rows are named by their stage.
        """
    public static let outputs = [
        OutputFile("table.csv", doc: "predictor,method,test_mse,train_mse, one row per connected stage"),
        OutputFile("summary.json", doc: "predictors: {stage: {method, test_mse, train_mse}}, best (lowest test MSE)"),
    ]

    @Input("kernel stages and training stages, in the order of the table") var predictors: [AnyArtifact]
    @Input("the dataset the predictors were made on (its test split)") var data: DatasetArtifact

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        check.require($data.shape.test > 0, $data, "the dataset has no test split", remedy: "load or make test points")
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        let yt = data.testTargets
        var rows: [(name: String, method: String, test: Double, train: Double)] = []
        for artifact in predictors {
            let folder = artifact.folder
            if folder.hasArray("predictions") {
                let predictions = try Matrix<Double>(try folder.array("predictions"), name: "predictions of `\(folder.stageID)`")
                guard predictions.rows == yt.rows, predictions.columns == yt.columns else {
                    throw PipelineError(.stageFailed, "\(Self.name): `\(folder.stageID)` predicts \(predictions.rows)×\(predictions.columns) "
                                        + "test values but the dataset has \(yt.rows)×\(yt.columns)")
                }
                let summary = try folder.summary()
                rows.append((folder.stageID, summary["method"]?.stringValue ?? "kernel", meanSquaredError(predictions, yt),
                             summary["train_mse"]?.doubleValue ?? .nan))
            } else {
                let trajectory: TrajectoryArtifact
                do {
                    trajectory = try TrajectoryArtifact(reading: folder)
                } catch {
                    throw PipelineError(.stageFailed, "\(Self.name): `\(folder.stageID)` is neither a kernel stage (no predictions.npy) "
                                        + "nor a training stage", cause: error)
                }
                let test = try trajectory.final(data.testInputs), train = try trajectory.final(data.trainInputs)
                rows.append((folder.stageID, "network (\(trajectory.architecture.parametrization.rawValue))",
                             meanSquaredError(test, yt), meanSquaredError(train, data.trainTargets)))
            }
        }
        var csv = "predictor,method,test_mse,train_mse\n"
        var entries: [String: Value] = [:]
        for row in rows {
            csv += "\(CSVTable.field(row.name)),\(CSVTable.field(row.method)),\(row.test),\(row.train)\n"
            entries[row.name] = .object(["method": .string(row.method), "test_mse": .double(row.test), "train_mse": .double(row.train)])
            context.log("\(row.name) (\(row.method)): test MSE \(row.test)")
        }
        var summary: [String: Value] = ["predictors": .object(entries), "order": .list(rows.map { .string($0.name) })]
        if let best = rows.filter({ !$0.test.isNaN }).min(by: { $0.test < $1.test }) { summary["best"] = .string(best.name) }
        return Table(summary: summary, files: ["table.csv": Data(csv.utf8)])
    }
}
