import Foundation
import Testing
import TangentCore

/// φ and φ' in Double, written out independently of the C kernel.
private func reference(_ kind: ActivationKind, _ x: Double) -> (value: Double, derivative: Double) {
    switch kind {
    case .linear: return (x, 1)
    case .relu: return (max(x, 0), x > 0 ? 1 : 0)
    case .tanh: return (tanh(x), 1 - tanh(x) * tanh(x))
    case .erf: return (erf(x), 2 / Double.pi.squareRoot() * exp(-x * x))
    case .gelu:
        let cdf = 0.5 * (1 + erf(x / 2.0.squareRoot()))
        return (x * cdf, cdf + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot())
    }
}

@Suite("Layer kernels: activation passes and the dense-layer Jacobian")
struct LayerKernelTests {
    @Test("applyActivation and its derivative match φ and φ' (float64, small and multithreaded sizes)",
          arguments: ActivationKind.allCases)
    func activationDouble(_ kind: ActivationKind) {
        for (rows, columns) in [(3, 5), (300, 257)] {  // below and above the kernel's parallel threshold
            let h = 2 * randomMatrix(rows, columns, seed: 11, as: Double.self)
            var values = h, plain = h
            let derivative = values.applyActivationReturningDerivative(kind)
            plain.applyActivation(kind)
            #expect(plain == values)
            #expect(derivative.rows == rows && derivative.columns == columns)
            for i in 0..<h.count {
                let (v, d) = reference(kind, h.elements[i])
                #expect(abs(values.elements[i] - v) <= 1e-15 * max(1, abs(v)), "\(kind) φ at \(h.elements[i])")
                #expect(abs(derivative.elements[i] - d) <= 1e-14, "\(kind) φ' at \(h.elements[i])")
            }
        }
    }

    @Test("applyActivation in float32 agrees with the float64 values", arguments: ActivationKind.allCases)
    func activationFloat(_ kind: ActivationKind) {
        let h = 2 * randomMatrix(40, 31, seed: 12, as: Float.self)
        var values = h
        let derivative = values.applyActivationReturningDerivative(kind)
        for i in 0..<h.count {
            let (v, d) = reference(kind, Double(h.elements[i]))
            #expect(abs(Double(values.elements[i]) - v) <= 1e-6 * max(1, abs(v)))
            #expect(abs(Double(derivative.elements[i]) - d) <= 1e-6)
        }
    }

    @Test("an empty matrix passes through")
    func activationEmpty() {
        var m = Matrix<Double>(rows: 0, columns: 4)
        #expect(m.applyActivationReturningDerivative(.tanh).count == 0)
        m.applyActivation(.relu)
        #expect(m.count == 0)
    }

    @Test("setDenseLayerJacobian writes α·δ[μ,i]·x[μ,j] and β·δ[μ,i] at its column offset, nothing else")
    func denseJacobian() throws {
        let (n, fanOut, fanIn, offset) = (5, 3, 4, 2)
        let delta = randomMatrix(n, fanOut, seed: 13, as: Double.self), x = randomMatrix(n, fanIn, seed: 14, as: Double.self)
        let (alpha, beta) = (0.5, 1.5)
        var j = Matrix<Double>(rows: n, columns: offset + fanOut * fanIn + fanOut + 1, repeating: 7)
        let written = try j.setDenseLayerJacobian(signals: delta, inputs: x, weightMultiplier: alpha,
                                                  biasMultiplier: beta, atColumn: offset)
        #expect(written == fanOut * fanIn + fanOut)
        for mu in 0..<n {
            for c in 0..<offset { #expect(j[mu, c] == 7) }
            for i in 0..<fanOut {
                for k in 0..<fanIn { #expect(j[mu, offset + i * fanIn + k] == alpha * delta[mu, i] * x[mu, k]) }
                #expect(j[mu, offset + fanOut * fanIn + i] == beta * delta[mu, i])
            }
            #expect(j[mu, j.columns - 1] == 7)
        }

        // Without a bias only the weight block is written; with β = 0 the bias block is zero.
        var noBias = Matrix<Double>(rows: n, columns: fanOut * fanIn + fanOut, repeating: 7)
        #expect(try noBias.setDenseLayerJacobian(signals: delta, inputs: x, weightMultiplier: alpha, biasMultiplier: nil,
                                                 atColumn: 0) == fanOut * fanIn)
        #expect(noBias[0, fanOut * fanIn] == 7)
        var zeroBias = noBias
        try zeroBias.setDenseLayerJacobian(signals: delta, inputs: x, weightMultiplier: alpha, biasMultiplier: 0, atColumn: 0)
        for mu in 0..<n { for i in 0..<fanOut { #expect(zeroBias[mu, fanOut * fanIn + i] == 0) } }
    }

    @Test("setDenseLayerJacobian refuses mismatched rows and a layer that does not fit")
    func denseJacobianShapes() {
        let delta = Matrix<Double>(rows: 4, columns: 2), x = Matrix<Double>(rows: 4, columns: 3)
        var j = Matrix<Double>(rows: 4, columns: 7)  // the 2×3 layer needs 6 columns, 8 with its bias
        #expect(throws: NumericsError.self) {
            try j.setDenseLayerJacobian(signals: delta, inputs: x, weightMultiplier: 1, biasMultiplier: 1, atColumn: 0)
        }
        #expect(throws: NumericsError.self) {
            try j.setDenseLayerJacobian(signals: delta, inputs: Matrix(rows: 3, columns: 3), weightMultiplier: 1,
                                        biasMultiplier: nil, atColumn: 0)
        }
        #expect(throws: NumericsError.self) {
            try j.setDenseLayerJacobian(signals: delta, inputs: x, weightMultiplier: 1, biasMultiplier: nil, atColumn: -1)
        }
        #expect(throws: Never.self) {
            try j.setDenseLayerJacobian(signals: delta, inputs: x, weightMultiplier: 1, biasMultiplier: nil, atColumn: 1)
        }
        #expect(throws: NumericsError.self) {
            try j.setDenseLayerJacobian(signals: delta, inputs: x, weightMultiplier: 1, biasMultiplier: nil, atColumn: 2)
        }
    }
}
