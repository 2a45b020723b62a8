import TangentCore
import TangentNTK
import TangentPipeline

/// `data.synthetic`: a seeded synthetic dataset (Gaussian inputs, a teacher or class structure, label noise).
///
/// Formulas (see the TangentNTK types named): inputs x = Q·diag(√λ)·z, z ~ N(0, I_D) (`InputDistribution`) with
/// λ_k = 1, λ_k = D·k^(−α)/Σ_j j^(−α) or given, Q = I or Haar-random; targets from `LinearTeacher`
/// (y = B·x, B = s·U·diag(σ)·Vᵀ), `MLPTeacher` (y_c = s·f_c(x)/r_c), `IndexTeacher`
/// (y = s·Σ_k g(w_kᵀx)/√K), `GaussianMixture` (x = μ_c + √v·ξ) or uniform random labels, then `LabelNoise`.
/// Every draw comes from `context.rng(stream:)` with the stream numbers of `SyntheticStream`, so train and test
/// sets are independent: changing `test` leaves the train set bit-for-bit unchanged.
public struct DataSyntheticStage: Stage {
    public static let name = "data.synthetic"
    public static let summary = "Synthetic Gaussian inputs with a linear, MLP, single/multi-index, mixture or random-label target."
    public static let doc = """
        Inputs x ~ N(0, Σ), Σ = Q·diag(λ)·Qᵀ, sampled as x = Q·diag(√λ)·z with z ~ N(0, I_D). `covariance`: \
        `isotropic` λ_k = 1; `power_law` λ_k = D·k^(−alpha)/Σ_j j^(−alpha), normalized so that tr Σ = D; `given` \
        λ = `eigenvalues` as written. Q = I (Σ diagonal in the standard basis) unless `rotate: true`, which draws a \
        Haar-random orthogonal Q.

        Teachers (s = `teacher_scale`): `linear` y = B·x with B = s·U·diag(σ)·Vᵀ (outputs × input_dim), U and V \
        random with orthonormal columns, σ = `singular_values` (default all ones); one output gives y = s·βᵀx with \
        |β| = 1. `mlp`: `teacher_depth` hidden layers of `teacher_width` units, h^ℓ = φ(W^ℓ·h^(ℓ−1)), \
        f = W^(L+1)·h^L, weights N(0, 1/fan_in), y_c = s·f_c(x)/r_c with r_c the root mean square of f_c over 2048 \
        reference inputs (`teacher_normalize`, else r_c = 1). `single_index`: y = s·g(wᵀx), |w| = 1. \
        `multi_index`: y = s·Σ_k g(w_kᵀx)/√K with K = `indices` orthonormal w_k; g = `teacher_activation`. \
        `mixture`: `classes` unit centres μ_c = g_c/|g_c| (near-orthogonal when input_dim ≫ classes), balanced \
        classes, x = μ_c + √variance·ξ with ξ ~ N(0, Σ). `random_labels`: x ~ N(0, Σ) and labels uniform over \
        `classes`, independent of x. Class ids become targets by `encoding`.

        `center_inputs: true` (regression teachers) subtracts the train inputs' sample mean μ̂ from the train and the \
        test inputs before the teacher labels them: the train inputs then have mean zero, y = teacher(x) holds for \
        the stored inputs, and a later centring (data.whiten) changes nothing. Without it a linear teacher seen \
        through centred inputs is y = B·x_c + B·μ̂, a constant offset of order s/√P that a network without biases \
        cannot fit (its loss floors at ½·|B·μ̂|²). The test inputs are shifted by the train mean, so with it the test \
        set depends on the train inputs (the train set still never depends on `test`).

        `label_noise`: regression teachers add N(0, label_noise²) to every train target; class tasks move exactly \
        round(label_noise·P) train labels, chosen at random, to a different class. `noisy_test` does the same to \
        the test targets. Noiseless targets are kept as `train_y_clean`/`test_y_clean`.

        Random streams (of the run seed and the stage id): 1 rotation, 2 teacher, 3 train inputs, 4 test inputs, \
        5 train labels, 6 test labels, 7 train noise, 8 test noise. The train set never depends on `test` and the \
        test set never on `train`.
        """

    public enum Covariance: String, CaseIterable, ParameterChoice { case isotropic, powerLaw = "power_law", given }
    public enum Teacher: String, CaseIterable, ParameterChoice {
        case linear, mlp, singleIndex = "single_index", multiIndex = "multi_index", mixture, randomLabels = "random_labels"
        var isClassification: Bool { self == .mixture || self == .randomLabels }
    }

    @Param("number of train samples P", minimum: 1) var train = 256
    @Param("number of test samples (0: no test split)", minimum: 0) var test = 256
    @Param("input dimension D", minimum: 1) var inputDim = 16
    @Param("spectrum of Σ: λ_k = 1; λ_k = D·k^(−alpha)/Σ_j j^(−alpha) (tr Σ = D); or `eigenvalues`")
    var covariance = Covariance.isotropic
    @Param("power-law exponent α (covariance: power_law)", minimum: 0) var alpha = 1.0
    @Param("the input_dim eigenvalues of Σ, used as given (covariance: given)", minimum: 0) var eigenvalues: [Double]?
    @Param("rotate Σ's eigenbasis by a seeded Haar-random orthogonal matrix (false: Σ is diagonal)") var rotate = false
    @Param("how targets are made (see above)") var teacher = Teacher.linear
    @Param("regression teachers: subtract the train inputs' mean from train and test inputs before labelling")
    var centerInputs = false
    @Param("number of outputs C (linear and mlp teachers)", minimum: 1) var outputs = 1
    @Param("s: multiplies the linear, mlp, single_index and multi_index targets", minimum: 0) var teacherScale = 1.0
    @Param("linear teacher: relative singular values σ of B = s·U·diag(σ)·Vᵀ, at most min(outputs, input_dim) (default: all ones)",
           minimum: 0) var singularValues: [Double]?
    @Param("mlp teacher: number of hidden layers", minimum: 1) var teacherDepth = 1
    @Param("mlp teacher: hidden width", minimum: 1) var teacherWidth = 64
    @Param("φ of the mlp teacher, g of the single_index and multi_index teachers") var teacherActivation = Activation.relu
    @Param("mlp teacher: divide each output by its root mean square over 2048 reference inputs") var teacherNormalize = true
    @Param("multi_index: number K of directions (≤ input_dim)", minimum: 1) var indices = 2
    @Param("mixture and random_labels: number of classes C", minimum: 2) var classes = 2
    @Param("mixture: noise variance v in x = μ_c + √v·ξ", minimum: 0) var variance = 0.01
    @Param("regression: std of added Gaussian noise; class tasks: fraction (≤ 1) of labels moved to another class", minimum: 0)
    var labelNoise = 0.0
    @Param("apply label_noise to the test targets too") var noisyTest = false
    @Param("class tasks: class ids to targets (two classes: one column for plusminus and zeroone)")
    var encoding = TargetEncoding.plusminus

    public init() {}

    public static let outputs = [
        OutputFile("train_x.npy", doc: "(P, D) train inputs"),
        OutputFile("train_y.npy", doc: "(P, C) train targets (with label noise)"),
        OutputFile("test_x.npy", doc: "(P_test, D) test inputs"),
        OutputFile("test_y.npy", doc: "(P_test, C) test targets (noisy only with noisy_test)"),
        OutputFile("train_labels.npy", doc: "(P,) int64 class ids (class tasks)"),
        OutputFile("test_labels.npy", doc: "(P_test,) int64 class ids (class tasks)"),
        OutputFile("covariance_eigenvalues.npy", doc: "(D,) λ_k"),
        OutputFile("input_shift.npy", doc: "(D,) μ̂, the train mean subtracted from the inputs (center_inputs: true)"),
        OutputFile("covariance_rotation.npy", doc: "(D, D) Q, Σ = Q·diag(λ)·Qᵀ (rotate: true)"),
        OutputFile("teacher_matrix.npy", doc: "(C, D) B of the linear teacher"),
        OutputFile("teacher_singular_values.npy", doc: "(r,) s·σ, the singular values of B"),
        OutputFile("teacher.npz", doc: "mlp teacher: w1 … w(L+1) (fan_out × fan_in) and output_norms r_c"),
        OutputFile("teacher_directions.npy", doc: "(K, D) w_k of the single_index (K = 1) and multi_index teachers"),
        OutputFile("centres.npy", doc: "(C, D) mixture centres μ_c"),
        OutputFile("train_y_clean.npy", doc: "noiseless train targets (label_noise > 0)"),
        OutputFile("test_y_clean.npy", doc: "noiseless test targets (label_noise > 0)"),
        OutputFile("train_labels_clean.npy", doc: "class ids before flipping (class tasks, label_noise > 0)"),
        OutputFile("test_labels_clean.npy", doc: "class ids before flipping (class tasks, label_noise > 0)"),
        OutputFile("summary.json", doc: "sizes, teacher, covariance, class counts, label noise"),
    ]

    public func validate(_ check: inout StageCheck) throws -> DatasetShape {
        switch covariance {
        case .given:
            if let eigenvalues {
                check.require(eigenvalues.count == inputDim, $eigenvalues,
                              "has \(eigenvalues.count) values but input_dim is \(inputDim)", remedy: "give one per input dimension")
            } else {
                check.fail($eigenvalues, "covariance `given` needs the list of input_dim = \(inputDim) eigenvalues",
                           remedy: "set eigenvalues: [λ_1, …, λ_D]")
            }
        case .isotropic, .powerLaw:
            check.require(eigenvalues == nil, $eigenvalues, "is set but covariance is `\(covariance.rawValue)`",
                          remedy: "set covariance: given or remove eigenvalues")
        }
        if let singularValues {
            check.require(teacher == .linear, $singularValues, "applies to the linear teacher only (teacher is `\(teacher.rawValue)`)",
                          remedy: "remove singular_values or use teacher: linear")
            check.require(!singularValues.isEmpty && singularValues.count <= min(outputs, inputDim), $singularValues,
                          "a \(outputs)×\(inputDim) teacher has 1 … \(min(outputs, inputDim)) singular values, got \(singularValues.count)")
        }
        if outputs != 1, teacher != .linear, teacher != .mlp {
            check.fail($outputs, teacher.isClassification
                       ? "class tasks take their outputs from `classes` and `encoding`"
                       : "the \(teacher.rawValue) teacher has one output", remedy: "leave outputs at 1")
        }
        if centerInputs, teacher.isClassification {
            check.fail($centerInputs, "applies to regression teachers; the `\(teacher.rawValue)` targets do not depend on x",
                       remedy: "remove center_inputs (data.whiten centres the inputs)")
        }
        if teacher == .multiIndex {
            check.require(indices <= inputDim, $indices, "K = \(indices) orthonormal directions need K ≤ input_dim = \(inputDim)")
        }
        if teacher.isClassification {
            check.require(labelNoise <= 1, $labelNoise, "for class tasks it is the fraction of flipped labels, in [0, 1]; got \(labelNoise)")
        }
        let columns = teacher.isClassification ? encoding.columns(classCount: classes)
            : (teacher == .linear || teacher == .mlp ? outputs : 1)
        let shape = DatasetShape(train: train, test: test, inputDim: inputDim, outputs: columns,
                                 labels: teacher.isClassification)
        // Inputs and targets (twice with label noise: the clean copies), Q and the teacher's weights.
        let d = Double(inputDim)
        check.needsMemory(shape.bytes * (labelNoise > 0 ? 3 : 2), for: "inputs and targets",
                          remedy: "use fewer samples (train, test) or a smaller input_dim")
        check.needsMemory(8 * d * d * (rotate ? 2 : 0) + 8 * d * Double(max(columns, teacherWidth)) * 2,
                          for: "covariance rotation and teacher weights")
        return shape
    }

    /// The `SyntheticDataSpec` of the (validated) parameters.
    var spec: SyntheticDataSpec {
        let spectrum: CovarianceSpectrum = switch covariance {
        case .powerLaw: .powerLaw(alpha: alpha)
        case .given: .given(eigenvalues ?? [])
        case .isotropic: .isotropic
        }
        let task: SyntheticTask = switch teacher {
        case .mlp: .mlp(outputs: outputs, depth: teacherDepth, width: teacherWidth, activation: teacherActivation,
                        scale: teacherScale, normalize: teacherNormalize)
        case .singleIndex: .index(indices: 1, activation: teacherActivation, scale: teacherScale)
        case .multiIndex: .index(indices: indices, activation: teacherActivation, scale: teacherScale)
        case .mixture: .mixture(classes: classes, variance: variance)
        case .randomLabels: .randomLabels(classes: classes)
        case .linear: .linear(outputs: outputs, scale: teacherScale, singularValues: singularValues)
        }
        return SyntheticDataSpec(train: train, test: test, inputDimension: inputDim, spectrum: spectrum, rotate: rotate,
                                 task: task, labelNoise: labelNoise, noisyTest: noisyTest, encoding: encoding,
                                 centerInputs: centerInputs)
    }

    public func run(_ context: StageContext) throws -> DatasetArtifact {
        let spec = spec
        let data = try SyntheticData.generate(spec) { context.rng(stream: $0.rawValue) }
        let ds = data.dataset

        var summary: [String: Value] = [
            "teacher": .string(teacher.rawValue),
            "covariance": .string(covariance.rawValue),
            "covariance_trace": .double(data.distribution.eigenvalues.reduce(0, +)),
            "rotate": .bool(spec.rotate),
            "label_noise": .double(spec.labelNoise),
            "center_inputs": .bool(spec.centerInputs),
        ]
        var arrays: [String: NPYArray] = ["covariance_eigenvalues": NPYArray(vector: data.distribution.eigenvalues)]
        var archives: [String: [Table.NamedArray]] = [:]
        if let q = data.distribution.rotation { arrays["covariance_rotation"] = NPYArray(q) }
        if let shift = data.inputShift { arrays["input_shift"] = NPYArray(vector: shift) }
        if let t = data.linearTeacher {
            arrays["teacher_matrix"] = NPYArray(t.matrix)
            arrays["teacher_singular_values"] = NPYArray(vector: t.singularValues)
            summary["teacher_singular_values"] = .list(t.singularValues.map(Value.double))
        }
        if let t = data.mlpTeacher {
            archives["teacher.npz"] = t.weights.enumerated().map { .init("w\($0.offset + 1)", NPYArray($0.element)) }
                + [.init("output_norms", NPYArray(vector: t.outputNorms))]
            summary["teacher_output_norms"] = .list(t.outputNorms.map(Value.double))
        }
        if let t = data.indexTeacher { arrays["teacher_directions"] = NPYArray(t.directions) }
        if let m = data.mixture { arrays["centres"] = NPYArray(m.centres) }
        if spec.task.isClassification {
            let classes = data.mixture?.classes ?? self.classes
            summary["classes"] = .int(classes)
            summary["encoding"] = .string(spec.encoding.rawValue)
            summary["train_class_counts"] = .list(ClassLabels.counts(ds.trainLabels ?? [], classes: classes).map(Value.int))
            if ds.hasTest {
                summary["test_class_counts"] = .list(ClassLabels.counts(ds.testLabels ?? [], classes: classes).map(Value.int))
            }
        }
        if spec.labelNoise > 0 {
            arrays["train_y_clean"] = NPYArray(data.cleanTrainTargets)
            arrays["test_y_clean"] = NPYArray(data.cleanTestTargets)
            if let l = data.cleanTrainLabels { arrays["train_labels_clean"] = try NPYArray(l.map(Int64.init), shape: [l.count]) }
            if let l = data.cleanTestLabels { arrays["test_labels_clean"] = try NPYArray(l.map(Int64.init), shape: [l.count]) }
            if let clean = data.cleanTrainLabels, let noisy = ds.trainLabels {
                summary["train_flipped"] = .int(zip(clean, noisy).filter { $0 != $1 }.count)
            }
        }
        context.log("\(ds.trainCount) train and \(ds.testCount) test samples, D = \(ds.inputDimension), teacher \(teacher.rawValue)")
        return DatasetArtifact(ds, extras: arrays, archives: archives, summary: summary)
    }
}
