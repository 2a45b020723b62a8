import TangentCore

/// A supervised dataset: inputs as rows (samples × features) and targets as rows (samples × outputs), for a train
/// split and an optional test split. Always float64: the run's precision applies to models and kernels.
public struct Dataset: Sendable, Equatable {
    /// P × D
    public var trainInputs: Matrix<Double>
    /// P × C
    public var trainTargets: Matrix<Double>
    /// P_test × D (0 × D when there is no test split)
    public var testInputs: Matrix<Double>
    /// P_test × C
    public var testTargets: Matrix<Double>
    /// Class ids of the train samples, when the targets encode classes.
    public var trainLabels: [Int]?
    public var testLabels: [Int]?

    public init(trainInputs: Matrix<Double>, trainTargets: Matrix<Double>,
                testInputs: Matrix<Double>? = nil, testTargets: Matrix<Double>? = nil,
                trainLabels: [Int]? = nil, testLabels: [Int]? = nil) throws {
        guard trainInputs.rows == trainTargets.rows else {
            throw NumericsError(.shapeMismatch,
                                "train inputs have \(trainInputs.rows) samples but train targets have \(trainTargets.rows)")
        }
        let testX = testInputs ?? Matrix(rows: 0, columns: trainInputs.columns)
        let testY = testTargets ?? Matrix(rows: 0, columns: trainTargets.columns)
        guard testX.rows == testY.rows else {
            throw NumericsError(.shapeMismatch,
                                "test inputs have \(testX.rows) samples but test targets have \(testY.rows)")
        }
        guard testX.rows == 0 || testX.columns == trainInputs.columns else {
            throw NumericsError(.shapeMismatch,
                                "test inputs have \(testX.columns) features but train inputs have \(trainInputs.columns)")
        }
        guard testY.rows == 0 || testY.columns == trainTargets.columns else {
            throw NumericsError(.shapeMismatch,
                                "test targets have \(testY.columns) outputs but train targets have \(trainTargets.columns)")
        }
        self.trainInputs = trainInputs
        self.trainTargets = trainTargets
        self.testInputs = testX
        self.testTargets = testY
        self.trainLabels = trainLabels
        self.testLabels = testLabels
    }

    /// D
    public var inputDimension: Int { trainInputs.columns }
    /// C
    public var outputDimension: Int { trainTargets.columns }
    /// P
    public var trainCount: Int { trainInputs.rows }
    public var testCount: Int { testInputs.rows }
    public var hasTest: Bool { testInputs.rows > 0 }
}
