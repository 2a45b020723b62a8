import Testing
import TangentCore
@testable import TangentNTK

@Suite("Activations and target encodings")
struct ActivationTests {
    @Test("φ' matches a central finite difference of φ", arguments: Activation.allCases)
    func derivative(_ a: Activation) {
        for x in stride(from: -3.0, through: 3.0, by: 0.37) {
            let h = 1e-6
            let fd = (a.apply(x + h) - a.apply(x - h)) / (2 * h)
            #expect(abs(fd - a.derivative(x)) < 1e-8, "\(a) at \(x)")
        }
    }

    @Test("closed-form values")
    func values() {
        #expect(Activation.relu.apply(-2) == 0 && Activation.relu.apply(2) == 2)
        #expect(abs(Activation.gelu.apply(1) - 0.8413447460685429) < 1e-15)  // Φ(1)
        #expect(abs(Activation.erf.apply(0.5) - 0.5204998778130465) < 1e-15)
    }

    @Test("encodings: one-hot, ±1 and 0/1, binary as one column")
    func encodings() throws {
        #expect(try TargetEncoding.onehot.encode([0, 2], classCount: 3).elements == [1, 0, 0, 0, 0, 1])
        #expect(try TargetEncoding.plusminus.encode([0, 1, 1], classCount: 2).elements == [-1, 1, 1])
        #expect(try TargetEncoding.zeroone.encode([1, 0], classCount: 2).elements == [1, 0])
        #expect(try TargetEncoding.plusminus.encode([1], classCount: 3).elements == [-1, 1, -1])
        #expect(throws: NumericsError.self) { try TargetEncoding.onehot.encode([3], classCount: 3) }
    }
}
