import Foundation
import TangentCore

extension MLP {
    /// The preactivations h_1 … h_{L+1} (each P × n_l) of a batch X (P × D):
    /// h_l = a_l·x_{l−1}·W_lᵀ + β_l·b_l, x_l = φ(h_l), h_{L+1} = f.
    public func preactivations(_ x: Matrix<Double>) throws -> [Matrix<Double>] {
        try walk(x, weights: weights, biases: biases, keepDerivatives: false, keepPreactivations: true).preactivations
    }
}

/// The root mean square of the entries: ‖H‖_F / √(rows·columns) (0 for an empty matrix).
public func rootMeanSquare(_ h: Matrix<Double>) -> Double {
    h.count == 0 ? 0 : h.frobeniusNorm / Double(h.count).squareRoot()
}

/// The least-squares slope of log y against log x: the exponent α of y ≈ c·x^α.
/// Throws unless there are at least two distinct positive x and all y are positive and finite.
public func fittedWidthExponent(widths x: [Double], values y: [Double]) throws -> Double {
    guard x.count == y.count, x.count >= 2 else {
        throw NumericsError(.invalidArgument, "a width exponent needs at least two (width, value) pairs, got \(x.count)")
    }
    guard x.allSatisfy({ $0 > 0 }), y.allSatisfy({ $0 > 0 && $0.isFinite }) else {
        throw NumericsError(.invalidArgument, "a width exponent needs positive widths and positive finite values, got \(y)")
    }
    let lx = x.map { Foundation.log($0) }, ly = y.map { Foundation.log($0) }
    let mx = lx.reduce(0, +) / Double(lx.count), my = ly.reduce(0, +) / Double(ly.count)
    var sxy = 0.0, sxx = 0.0
    for i in 0..<lx.count {
        sxy += (lx[i] - mx) * (ly[i] - my)
        sxx += (lx[i] - mx) * (lx[i] - mx)
    }
    guard sxx > 0 else { throw NumericsError(.invalidArgument, "a width exponent needs at least two distinct widths") }
    return sxy / sxx
}

/// What a coordinate check trains: networks with `depth` hidden layers all of width n for each n in `widths`,
/// `steps` full-batch updates of the optimizer at base learning rate η (per-layer factors from the parametrization),
/// `repeats` independently initialized networks per width.
public struct CoordinateCheckSettings: Sendable {
    public var widths: [Int]
    /// Networks per width; their RMS values are pooled as √(mean of RMS²) to average out finite-width fluctuations.
    public var repeats: Int
    public var depth: Int
    public var steps: Int
    public var learningRate: Double
    public var optimizer: OptimizerSettings.Kind
    public var activation: Activation
    public var initScale: Double

    public init(widths: [Int] = [64, 128, 256, 512], repeats: Int = 4, depth: Int = 2, steps: Int = 10, learningRate: Double = 0.1,
                optimizer: OptimizerSettings.Kind = .gd, activation: Activation = .relu, initScale: Double = 1) {
        self.widths = widths
        self.repeats = repeats
        self.depth = depth
        self.steps = steps
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.activation = activation
        self.initScale = initScale
    }
}

/// The coordinate check of one parametrization. Layer index l = 0 … L stands for h_{l+1} (h_{L+1} = f).
///
/// rms[l][i] = RMS(h_{l+1}) at the trained weights and rmsDelta[l][i] = RMS(h_{l+1}(k) − h_{l+1}(0)) on the training
/// inputs, for widths[i], each pooled over the repeats as √(mean over repeats of RMS²); the exponents are the least-squares slopes of log RMS against log width.
public struct CoordinateCheckResult: Sendable {
    public var parametrization: Parametrization
    public var widths: [Int]
    public var rms: [[Double]]
    public var rmsDelta: [[Double]]
    public var rmsExponents: [Double]
    public var rmsDeltaExponents: [Double]
}

/// Trains `repeats` networks per width from `rng` (initialized in the order of `widths`, repeats inner) and measures
/// RMS(h_l), RMS(Δh_l).
public func coordinateCheck(_ parametrization: Parametrization, on data: Dataset, settings: CoordinateCheckSettings,
                            rng: inout Xoshiro256StarStar) throws -> CoordinateCheckResult {
    guard settings.widths.count >= 2, settings.widths.allSatisfy({ $0 >= 1 }) else {
        throw NumericsError(.invalidArgument, "widths: a coordinate check needs at least two positive widths, got \(settings.widths)")
    }
    guard settings.repeats >= 1 else {
        throw NumericsError(.invalidArgument, "repeats: a coordinate check needs at least one network per width, got \(settings.repeats)")
    }
    guard settings.depth >= 1 else {
        throw NumericsError(.invalidArgument, "depth: a coordinate check needs at least one hidden layer, got \(settings.depth)")
    }
    let layers = settings.depth + 1
    var rms = [[Double]](repeating: [], count: layers), delta = rms
    for width in settings.widths {
        let arch = MLPArchitecture(inputDimension: data.inputDimension, hidden: Array(repeating: width, count: settings.depth),
                                   outputs: data.outputDimension, activation: settings.activation,
                                   parametrization: parametrization, initScale: settings.initScale)
        var sumSquares = [Double](repeating: 0, count: layers), sumDeltaSquares = sumSquares
        for _ in 0..<settings.repeats {
            let model = try MLP(architecture: arch, rng: &rng)
            let training = TrainingSettings(steps: settings.steps,
                                            optimizer: OptimizerSettings(kind: settings.optimizer, learningRate: settings.learningRate),
                                            snapshots: SnapshotSchedule(at: [settings.steps]), logPoints: 0,
                                            divergenceFactor: .infinity)
            let trained = try train(model, on: data, settings: training, rng: &rng).final
            let h0 = try model.preactivations(data.trainInputs), h = try trained.preactivations(data.trainInputs)
            for l in 0..<layers {
                var d = h[l]
                for i in 0..<d.elements.count { d.elements[i] -= h0[l].elements[i] }
                sumSquares[l] += rootMeanSquare(h[l]) * rootMeanSquare(h[l])
                sumDeltaSquares[l] += rootMeanSquare(d) * rootMeanSquare(d)
            }
        }
        for l in 0..<layers {
            rms[l].append((sumSquares[l] / Double(settings.repeats)).squareRoot())
            delta[l].append((sumDeltaSquares[l] / Double(settings.repeats)).squareRoot())
        }
    }
    let x = settings.widths.map(Double.init)
    return CoordinateCheckResult(parametrization: parametrization, widths: settings.widths, rms: rms, rmsDelta: delta,
                                 rmsExponents: try rms.map { try fittedWidthExponent(widths: x, values: $0) },
                                 rmsDeltaExponents: try delta.map { try fittedWidthExponent(widths: x, values: $0) })
}
