import Foundation
import TangentCore

/// Langevin dynamics: noisy gradient descent that samples the posterior p(θ) ∝ exp(−β·U(θ)) with
///   U(θ) = ½·s·Σ_μ ‖f(x_μ) − y_μ‖² + ½·λ·|θ|²,
///   θ ← θ − η·∇U(θ) + √(2η/β)·ξ,  ξ ~ N(0, I),
/// where s is the parametrization's loss scale (n_L·γ₀² for meanfield, else 1) and λ the prior precision times
/// 1/β (λ = 1/β gives the prior N(0, 1) on every raw parameter, as in Lauditi, Bordelon & Pehlevan).
public struct LangevinSettings: Sendable {
    public var steps: Int
    public var learningRate: Double
    /// β, the inverse temperature.
    public var beta: Double
    /// λ; nil means 1/β.
    public var weightDecay: Double?
    public var snapshots: SnapshotSchedule
    public var logPoints: Int
    public var divergenceFactor: Double

    public init(steps: Int, learningRate: Double, beta: Double, weightDecay: Double? = nil,
                snapshots: SnapshotSchedule = SnapshotSchedule(logSpaced: 20), logPoints: Int = 100,
                divergenceFactor: Double = 1e4) {
        self.steps = steps
        self.learningRate = learningRate
        self.beta = beta
        self.weightDecay = weightDecay
        self.snapshots = snapshots
        self.logPoints = logPoints
        self.divergenceFactor = divergenceFactor
    }
}

/// Runs Langevin dynamics from `model`; snapshots are posterior samples once the chain has mixed.
/// The logged losses are the mean-normalized squared error 1/(2P) Σ‖f − y‖².
public func sampleLangevin(_ model: MLP, on data: Dataset, settings: LangevinSettings, rng: inout Xoshiro256StarStar,
                           progress: (Int) -> Void = { _ in }) throws -> TrainingTrajectory {
    var model = model
    let arch = model.architecture
    let s = arch.parametrization.lossScale(of: arch)
    let lambda = settings.weightDecay ?? 1 / settings.beta
    let eta = settings.learningRate
    let noise = (2 * eta / settings.beta).squareRoot()
    let snapshotSteps = Set(settings.snapshots.steps(total: settings.steps))
    let logSteps = snapshotSteps.union(SnapshotSchedule.logSpacedSteps(count: settings.logPoints, total: settings.steps))
    var trajectory = TrainingTrajectory(final: model)
    var initialLoss = Double.nan
    for step in 0...settings.steps {
        // ∇ of ½ s Σ‖f − y‖² is s·P times the gradient of the mean-normalized loss.
        let (loss, gradients) = try model.lossAndGradients(data.trainInputs, data.trainTargets, normalization: .sum)
        let meanLoss = loss / Double(max(data.trainCount, 1))
        if step == 0 { initialLoss = meanLoss }
        if !meanLoss.isFinite || meanLoss > settings.divergenceFactor * max(initialLoss, Double.leastNormalMagnitude) {
            trajectory.final = model
            trajectory.complete = false
            throw TrainingDivergence(step: step, loss: meanLoss, initialLoss: initialLoss, partial: trajectory)
        }
        if logSteps.contains(step) {
            let test = data.hasTest ? LossNormalization.mean.loss(try model(data.testInputs), data.testTargets) : .nan
            trajectory.losses.append(LossRecord(step: step, train: meanLoss, test: test))
        }
        if snapshotSteps.contains(step) {
            trajectory.snapshotSteps.append(step)
            trajectory.snapshots.append(model)
        }
        if step == settings.steps { break }
        var theta = model.flatParameters
        let g = gradients.flat
        for i in 0..<theta.count {
            theta[i] += -eta * (s * g[i] + lambda * theta[i]) + noise * rng.nextNormal()
        }
        model.setFlatParameters(theta)
        progress(step + 1)
    }
    trajectory.final = model
    return trajectory
}
