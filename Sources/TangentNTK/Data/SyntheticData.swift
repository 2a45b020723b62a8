import TangentCore

/// The target of a synthetic dataset.
///
/// Regression teachers (targets are `LinearTeacher`, `MLPTeacher` or `IndexTeacher` outputs, inputs
/// x ~ N(0, Σ) from the `InputDistribution`):
/// - `linear`: y = B·x, B = s·U·diag(σ)·Vᵀ (C × D); one output: y = s·βᵀx, |β| = 1.
/// - `mlp`: y_c = s·f_c(x)/r_c for a random MLP f.
/// - `index`: y = s·(1/√K)·Σ_k g(w_kᵀx); `indices: 1` is the single-index model.
///
/// Class tasks (targets are the class ids encoded by a `TargetEncoding`):
/// - `mixture`: balanced classes, x = μ_c + √v·ξ with ξ ~ N(0, Σ) (`GaussianMixture`).
/// - `randomLabels`: x ~ N(0, Σ) and labels uniform over C classes, independent of x (C = 2 with `plusminus`:
///   y ∈ {−1, +1}).
public enum SyntheticTask: Sendable, Equatable {
    case linear(outputs: Int, scale: Double, singularValues: [Double]?)
    case mlp(outputs: Int, depth: Int, width: Int, activation: Activation, scale: Double, normalize: Bool)
    case index(indices: Int, activation: Activation, scale: Double)
    case mixture(classes: Int, variance: Double)
    case randomLabels(classes: Int)

    /// True for class tasks (targets from labels).
    public var isClassification: Bool {
        switch self {
        case .mixture, .randomLabels: true
        default: false
        }
    }
}

/// Everything that defines a synthetic dataset besides the random streams.
public struct SyntheticDataSpec: Sendable, Equatable {
    /// P and P_test
    public var train: Int
    public var test: Int
    /// D
    public var inputDimension: Int
    public var spectrum: CovarianceSpectrum
    /// Rotate Σ's eigenbasis by a Haar-random orthogonal matrix.
    public var rotate: Bool
    public var task: SyntheticTask
    /// Regression: the standard deviation σ of additive Gaussian noise. Class tasks: the fraction ρ ∈ [0, 1] of
    /// labels moved to another class. See `LabelNoise`.
    public var labelNoise: Double
    /// Whether the test targets get the same noise (default: clean test targets).
    public var noisyTest: Bool
    /// How class ids become targets (class tasks only).
    public var encoding: TargetEncoding
    /// Regression tasks: subtract the train inputs' sample mean μ̂ from the train and the test inputs before the
    /// teacher labels them, so the train inputs have mean zero (to rounding) and y = teacher(x) holds for the inputs as
    /// stored. A later centring (`whiten` with centring) then changes nothing, and a teacher that is linear in x
    /// stays linear in the whitened inputs: without it, a linear teacher y = B·x seen through centred inputs is
    /// y = B·x_c + B·μ̂, an offset of order |B|/√P that a network without biases cannot fit.
    public var centerInputs: Bool

    public init(train: Int, test: Int, inputDimension: Int, spectrum: CovarianceSpectrum = .isotropic,
                rotate: Bool = false, task: SyntheticTask, labelNoise: Double = 0, noisyTest: Bool = false,
                encoding: TargetEncoding = .plusminus, centerInputs: Bool = false) {
        self.train = train
        self.test = test
        self.inputDimension = inputDimension
        self.spectrum = spectrum
        self.rotate = rotate
        self.task = task
        self.labelNoise = labelNoise
        self.noisyTest = noisyTest
        self.encoding = encoding
        self.centerInputs = centerInputs
    }
}

/// The independent random streams of a synthetic dataset. Each draw comes from exactly one stream, so the train
/// set depends only on `distribution`, `teacher`, `trainInputs`, `trainLabels` and `trainNoise`: changing the
/// test size (or anything else about the test set) leaves the train set bit-for-bit unchanged, and vice versa.
public enum SyntheticStream: UInt64, Sendable, CaseIterable {
    /// The rotation Q of Σ (when `rotate`).
    case distribution = 1
    /// Teacher parameters: β / U, V; MLP weights then its normalization sample; index directions; mixture centres.
    case teacher = 2
    case trainInputs = 3
    case testInputs = 4
    /// Class ids (class tasks).
    case trainLabels = 5
    case testLabels = 6
    /// Label noise.
    case trainNoise = 7
    case testNoise = 8
}

/// A generated synthetic dataset with its generating objects and noiseless targets.
public struct SyntheticData: Sendable {
    /// Samples used to normalize an MLP teacher's outputs (`MLPTeacher`, normalization on).
    public static let mlpReferenceSamples = 2048

    public let dataset: Dataset
    public let distribution: InputDistribution
    public let linearTeacher: LinearTeacher?
    public let mlpTeacher: MLPTeacher?
    public let indexTeacher: IndexTeacher?
    public let mixture: GaussianMixture?
    /// Targets before label noise (equal to the dataset's when there is none).
    public let cleanTrainTargets: Matrix<Double>
    public let cleanTestTargets: Matrix<Double>
    /// Class ids before flipping (class tasks).
    public let cleanTrainLabels: [Int]?
    public let cleanTestLabels: [Int]?
    /// μ̂, the train inputs' sample mean subtracted from train and test inputs (`centerInputs`), else nil.
    public let inputShift: [Double]?

    /// Generates the dataset of `spec`, drawing stream `s` from `rng(s)` (in a stage: `context.rng(stream:)`).
    public static func generate(_ spec: SyntheticDataSpec,
                                rng: (SyntheticStream) -> Xoshiro256StarStar) throws -> SyntheticData {
        let d = spec.inputDimension
        guard spec.train >= 1, spec.test >= 0, d >= 1 else {
            throw NumericsError(.invalidArgument,
                                "need train ≥ 1, test ≥ 0 and input dimension ≥ 1, got \(spec.train), \(spec.test), \(d)")
        }
        guard spec.labelNoise.isFinite, spec.labelNoise >= 0 else {
            throw NumericsError(.invalidArgument, "label noise must be finite and ≥ 0, got \(spec.labelNoise)")
        }
        if spec.centerInputs, spec.task.isClassification {
            throw NumericsError(.invalidArgument,
                                "centring the inputs before labelling applies to regression teachers; class targets do not depend on x")
        }
        if spec.task.isClassification, spec.labelNoise > 1 {
            throw NumericsError(.invalidArgument,
                                "for class tasks label noise is the fraction of flipped labels, in [0, 1]; got \(spec.labelNoise)")
        }
        var distributionRNG = rng(.distribution)
        var teacherRNG = rng(.teacher)
        var inputRNG = (train: rng(.trainInputs), test: rng(.testInputs))
        var labelRNG = (train: rng(.trainLabels), test: rng(.testLabels))
        var noiseRNG = (train: rng(.trainNoise), test: rng(.testNoise))
        let distribution = try InputDistribution(dimension: d, spectrum: spec.spectrum, rotate: spec.rotate,
                                                 using: &distributionRNG)
        var linear: LinearTeacher?, mlp: MLPTeacher?, index: IndexTeacher?, mixture: GaussianMixture?
        var trainX: Matrix<Double>, testX: Matrix<Double>
        var inputShift: [Double]? = nil
        /// Regression tasks: train then test inputs from their streams (shifted by the train mean with
        /// `centerInputs`), labelled by the teacher.
        func labelled(by teacher: (Matrix<Double>) throws -> Matrix<Double>)
            throws -> (Matrix<Double>, Matrix<Double>, Matrix<Double>, Matrix<Double>)
        {
            var x = distribution.sample(spec.train, using: &inputRNG.train)
            var xt = distribution.sample(spec.test, using: &inputRNG.test)
            if spec.centerInputs {
                let mean = x.columnSums.map { $0 / Double(x.rows) }
                for i in 0..<x.rows { for j in 0..<d { x[i, j] -= mean[j] } }
                for i in 0..<xt.rows { for j in 0..<d { xt[i, j] -= mean[j] } }
                inputShift = mean
            }
            return (x, xt, try teacher(x), try teacher(xt))
        }
        var trainY: Matrix<Double>, testY: Matrix<Double>
        var trainLabels: [Int]?, testLabels: [Int]?
        var classes = 0

        switch spec.task {
        case .linear(let outputs, let scale, let sigma):
            let t = try LinearTeacher.random(inputDimension: d, outputs: outputs, scale: scale, singularValues: sigma,
                                             using: &teacherRNG)
            linear = t
            (trainX, testX, trainY, testY) = try labelled { try t($0) }
        case .mlp(let outputs, let depth, let width, let activation, let scale, let normalize):
            var t = try MLPTeacher.random(inputDimension: d, outputs: outputs, depth: depth, width: width,
                                          activation: activation, scale: scale, using: &teacherRNG)
            if normalize {
                t = try t.normalized(on: distribution.sample(mlpReferenceSamples, using: &teacherRNG))
            }
            mlp = t
            (trainX, testX, trainY, testY) = try labelled { try t($0) }
        case .index(let k, let activation, let scale):
            let t = try IndexTeacher.random(inputDimension: d, indices: k, activation: activation, scale: scale,
                                            using: &teacherRNG)
            index = t
            (trainX, testX, trainY, testY) = try labelled { try t($0) }
        case .mixture(let c, let variance):
            guard c >= 2 else { throw NumericsError(.invalidArgument, "a mixture task needs at least 2 classes, got \(c)") }
            classes = c
            let m = try GaussianMixture.random(classes: c, variance: variance, noise: distribution, using: &teacherRNG)
            mixture = m
            let trainL = try ClassLabels.balanced(count: spec.train, classes: c, using: &labelRNG.train)
            let testL = try ClassLabels.balanced(count: spec.test, classes: c, using: &labelRNG.test)
            trainX = try m.sample(labels: trainL, using: &inputRNG.train)
            testX = try m.sample(labels: testL, using: &inputRNG.test)
            trainLabels = trainL
            testLabels = testL
            trainY = try spec.encoding.encode(trainL, classCount: c)
            testY = try spec.encoding.encode(testL, classCount: c)
        case .randomLabels(let c):
            guard c >= 2 else { throw NumericsError(.invalidArgument, "random labels need at least 2 classes, got \(c)") }
            classes = c
            trainX = distribution.sample(spec.train, using: &inputRNG.train)
            testX = distribution.sample(spec.test, using: &inputRNG.test)
            let trainL = try ClassLabels.uniform(count: spec.train, classes: c, using: &labelRNG.train)
            let testL = try ClassLabels.uniform(count: spec.test, classes: c, using: &labelRNG.test)
            trainLabels = trainL
            testLabels = testL
            trainY = try spec.encoding.encode(trainL, classCount: c)
            testY = try spec.encoding.encode(testL, classCount: c)
        }

        let cleanTrainY = trainY, cleanTestY = testY
        let cleanTrainL = trainLabels, cleanTestL = testLabels
        if spec.labelNoise > 0 {
            if spec.task.isClassification, let l = trainLabels, let lt = testLabels {
                trainLabels = try LabelNoise.flip(l, fraction: spec.labelNoise, classes: classes, using: &noiseRNG.train).labels
                trainY = try spec.encoding.encode(trainLabels ?? l, classCount: classes)
                if spec.noisyTest {
                    testLabels = try LabelNoise.flip(lt, fraction: spec.labelNoise, classes: classes, using: &noiseRNG.test).labels
                    testY = try spec.encoding.encode(testLabels ?? lt, classCount: classes)
                }
            } else {
                trainY = try LabelNoise.addGaussian(to: trainY, std: spec.labelNoise, using: &noiseRNG.train)
                if spec.noisyTest { testY = try LabelNoise.addGaussian(to: testY, std: spec.labelNoise, using: &noiseRNG.test) }
            }
        }

        let dataset = try Dataset(trainInputs: trainX, trainTargets: trainY, testInputs: testX, testTargets: testY,
                                  trainLabels: trainLabels, testLabels: testLabels)
        return SyntheticData(dataset: dataset, distribution: distribution, linearTeacher: linear, mlpTeacher: mlp,
                             indexTeacher: index, mixture: mixture, cleanTrainTargets: cleanTrainY,
                             cleanTestTargets: cleanTestY, cleanTrainLabels: cleanTrainL, cleanTestLabels: cleanTestL,
                             inputShift: inputShift)
    }
}
