import TangentCore
import TangentNTK
import TangentPipeline

/// How a `Dataset` travels between stages and sits on disk: a `dataset` artifact with arrays
/// `train_x` (P, D), `train_y` (P, C), `test_x` (P_test, D), `test_y` (P_test, C), and when present
/// `train_labels` (P,) and `test_labels` (P_test,) as int64 class ids. All float arrays are float64.
extension Dataset {
    public func artifact(summary: [String: Value] = [:]) -> Artifact {
        var arrays: [String: NPYArray] = [
            "train_x": NPYArray(trainInputs), "train_y": NPYArray(trainTargets),
            "test_x": NPYArray(testInputs), "test_y": NPYArray(testTargets),
        ]
        if let trainLabels { arrays["train_labels"] = try! NPYArray(trainLabels.map(Int64.init), shape: [trainLabels.count]) }
        if let testLabels { arrays["test_labels"] = try! NPYArray(testLabels.map(Int64.init), shape: [testLabels.count]) }
        var summary = summary
        summary["train"] = .int(trainCount)
        summary["test"] = .int(testCount)
        summary["input_dim"] = .int(inputDimension)
        summary["outputs"] = .int(outputDimension)
        return Artifact(kind: .dataset, arrays: arrays, summary: summary)
    }

    /// Reads a `dataset` artifact; `stage` names the producer in errors.
    public init(artifact: Artifact, from stage: String = "the upstream stage") throws {
        func matrix(_ name: String) throws -> Matrix<Double> {
            try Matrix<Double>(try artifact.array(name, from: stage), name: "\(name) of \(stage)")
        }
        func labels(_ name: String) -> [Int]? { artifact.arrays[name].map { $0.asDoubles().map { Int($0) } } }
        // A 1-D target array is one output column; an empty test split takes the train split's widths.
        let trainX = try matrix("train_x"), trainY = try matrix("train_y")
        var testX = try matrix("test_x"), testY = try matrix("test_y")
        if testX.rows == 0 { testX = Matrix(rows: 0, columns: trainX.columns) }
        if testY.rows == 0 { testY = Matrix(rows: 0, columns: trainY.columns) }
        try self.init(trainInputs: trainX, trainTargets: trainY, testInputs: testX, testTargets: testY,
                      trainLabels: labels("train_labels"), testLabels: labels("test_labels"))
    }
}
