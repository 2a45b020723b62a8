import Foundation
import Testing
@testable import TangentCore

@Suite("Matrix ↔ .npy")
struct MatrixNPYTests {
    @Test("a matrix round-trips through .npy in both precisions")
    func roundTrip() throws {
        let m = randomMatrix(5, 3, seed: 1, as: Double.self)
        let a = NPYArray(m)
        #expect(a.shape == [5, 3] && a.dtype == .float64)
        #expect(try Matrix<Double>(NPY.decode(NPY.encode(a))) == m)
        let f = m.converted(to: Float.self)
        #expect(NPYArray(f).dtype == .float32)
        #expect(try Matrix<Float>(NPYArray(f)) == f)
        // Dtype conversion on load: float32 file into a Double matrix.
        #expect(try Matrix<Double>(NPYArray(f)) == f.converted(to: Double.self))
    }

    @Test("rank-3 and bool arrays are rejected with the array's name")
    func rejects() throws {
        let cube = try NPYArray([Double](repeating: 0, count: 8), shape: [2, 2, 2])
        #expect { try Matrix<Double>(cube, name: "weights.npy") } throws: {
            ($0 as? NumericsError)?.message.contains("weights.npy has shape [2, 2, 2]") == true
        }
        let flags = try NPYArray([true, false], shape: [2])
        #expect(throws: NumericsError.self) { try Matrix<Double>(flags) }
    }

    @Test("a 1-D array becomes a column")
    func vector() throws {
        let v = try Matrix<Double>(NPYArray(vector: [1.0, 2, 3]))
        #expect(v.rows == 3 && v.columns == 1 && v[2, 0] == 3)
    }
}
