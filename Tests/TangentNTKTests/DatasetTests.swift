import Testing
import TangentCore
@testable import TangentNTK

@Suite("Dataset")
struct DatasetTests {
    @Test("mismatched sample counts and feature counts are rejected")
    func shapes() throws {
        let x = Matrix<Double>(rows: 4, columns: 3), y = Matrix<Double>(rows: 4, columns: 1)
        #expect(try Dataset(trainInputs: x, trainTargets: y).testCount == 0)
        #expect(throws: NumericsError.self) { try Dataset(trainInputs: x, trainTargets: Matrix(rows: 3, columns: 1)) }
        #expect(throws: NumericsError.self) {
            try Dataset(trainInputs: x, trainTargets: y, testInputs: Matrix(rows: 2, columns: 5), testTargets: Matrix(rows: 2, columns: 1))
        }
    }
}
