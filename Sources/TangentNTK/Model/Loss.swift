import TangentCore

/// Squared-error loss over a batch of P samples:
///   mean: L = 1/(2P) Σ_μ ‖f(x_μ) − y_μ‖²  (the default)      sum: L = ½ Σ_μ ‖f(x_μ) − y_μ‖²
public enum LossNormalization: String, Sendable, CaseIterable, Codable {
    case mean, sum

    /// The loss and ∂L/∂f for predictions `f` and targets `y` (both P × C).
    public func lossAndGradient(_ f: Matrix<Double>, _ y: Matrix<Double>) -> (loss: Double, gradient: Matrix<Double>) {
        let residual = f - y
        let scale = self == .mean ? 1 / Double(Swift.max(f.rows, 1)) : 1
        let loss = 0.5 * scale * residual.frobeniusInner(residual)
        return (loss, scale * residual)
    }

    public func loss(_ f: Matrix<Double>, _ y: Matrix<Double>) -> Double {
        let residual = f - y
        let scale = self == .mean ? 1 / Double(Swift.max(f.rows, 1)) : 1
        return 0.5 * scale * residual.frobeniusInner(residual)
    }
}

extension MLP {
    /// The loss on (X, Y) and its gradient with respect to every parameter.
    public func lossAndGradients(_ x: Matrix<Double>, _ y: Matrix<Double>,
                                 normalization: LossNormalization = .mean) throws -> (loss: Double, gradients: Gradients) {
        let pass = try forward(x)
        guard y.rows == pass.output.rows, y.columns == pass.output.columns else {
            throw NumericsError(.shapeMismatch,
                                "targets are \(y.rows)×\(y.columns) but the model outputs \(pass.output.rows)×\(pass.output.columns)")
        }
        let (loss, dF) = normalization.lossAndGradient(pass.output, y)
        return (loss, try backward(pass, outputGradient: dF))
    }
}
