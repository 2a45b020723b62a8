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

        `label_noise`: regression teachers add N(0, label_noise²) to every train target; class tasks move exactly \
        round(label_noise·P) train labels, chosen at random, to a different class. `noisy_test` does the same to \
        the test targets. Noiseless targets are kept as `train_y_clean`/`test_y_clean`.

        Random streams (of the run seed and the stage id): 1 rotation, 2 teacher, 3 train inputs, 4 test inputs, \
        5 train labels, 6 test labels, 7 train noise, 8 test noise. The train set never depends on `test` and the \
        test set never on `train`.
        """
    public static let outputKind = ArtifactKind.dataset

    static let teachers = ["linear", "mlp", "single_index", "multi_index", "mixture", "random_labels"]

    public static let parameters = [
        Parameter("train", .int, default: .int(256), minimum: 1, doc: "number of train samples P"),
        Parameter("test", .int, default: .int(256), minimum: 0, doc: "number of test samples (0: no test split)"),
        Parameter("input_dim", .int, default: .int(16), minimum: 1, doc: "input dimension D"),
        Parameter("covariance", .choice(["isotropic", "power_law", "given"]), default: .string("isotropic"),
                  doc: "spectrum of Σ: λ_k = 1; λ_k = D·k^(−alpha)/Σ_j j^(−alpha) (tr Σ = D); or `eigenvalues`"),
        Parameter("alpha", .float, default: .double(1), minimum: 0, doc: "power-law exponent α (covariance: power_law)"),
        Parameter("eigenvalues", .list(.float), minimum: 0, nullable: true,
                  doc: "the input_dim eigenvalues of Σ, used as given (covariance: given)"),
        Parameter("rotate", .bool, default: .bool(false),
                  doc: "rotate Σ's eigenbasis by a seeded Haar-random orthogonal matrix (false: Σ is diagonal)"),
        Parameter("teacher", .choice(teachers), default: .string("linear"), doc: "how targets are made (see above)"),
        Parameter("outputs", .int, default: .int(1), minimum: 1, doc: "number of outputs C (linear and mlp teachers)"),
        Parameter("teacher_scale", .float, default: .double(1), minimum: 0,
                  doc: "s: multiplies the linear, mlp, single_index and multi_index targets"),
        Parameter("singular_values", .list(.float), minimum: 0, nullable: true,
                  doc: "linear teacher: relative singular values σ of B = s·U·diag(σ)·Vᵀ, at most min(outputs, input_dim) (default: all ones)"),
        Parameter("teacher_depth", .int, default: .int(1), minimum: 1, doc: "mlp teacher: number of hidden layers"),
        Parameter("teacher_width", .int, default: .int(64), minimum: 1, doc: "mlp teacher: hidden width"),
        Parameter("teacher_activation", .choice(Activation.allCases.map(\.rawValue)), default: .string("relu"),
                  doc: "φ of the mlp teacher, g of the single_index and multi_index teachers"),
        Parameter("teacher_normalize", .bool, default: .bool(true),
                  doc: "mlp teacher: divide each output by its root mean square over 2048 reference inputs"),
        Parameter("indices", .int, default: .int(2), minimum: 1, doc: "multi_index: number K of directions (≤ input_dim)"),
        Parameter("classes", .int, default: .int(2), minimum: 2, doc: "mixture and random_labels: number of classes C"),
        Parameter("variance", .float, default: .double(0.01), minimum: 0,
                  doc: "mixture: noise variance v in x = μ_c + √v·ξ"),
        Parameter("label_noise", .float, default: .double(0), minimum: 0,
                  doc: "regression: std of added Gaussian noise; class tasks: fraction (≤ 1) of labels moved to another class"),
        Parameter("noisy_test", .bool, default: .bool(false), doc: "apply label_noise to the test targets too"),
        Parameter("encoding", .choice(TargetEncoding.allCases.map(\.rawValue)), default: .string("plusminus"),
                  doc: "class tasks: class ids to targets (two classes: one column for plusminus and zeroone)"),
    ]

    public static let outputs = [
        OutputFile("train_x.npy", doc: "(P, D) train inputs"),
        OutputFile("train_y.npy", doc: "(P, C) train targets (with label noise)"),
        OutputFile("test_x.npy", doc: "(P_test, D) test inputs"),
        OutputFile("test_y.npy", doc: "(P_test, C) test targets (noisy only with noisy_test)"),
        OutputFile("train_labels.npy", doc: "(P,) int64 class ids (class tasks)"),
        OutputFile("test_labels.npy", doc: "(P_test,) int64 class ids (class tasks)"),
        OutputFile("covariance_eigenvalues.npy", doc: "(D,) λ_k"),
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

    /// The `SyntheticDataSpec` of validated parameters; throws a `parameterError` for inconsistent combinations.
    static func spec(_ parameters: Parameters) throws -> SyntheticDataSpec {
        let d = parameters.int("input_dim")
        let teacher = parameters.string("teacher")
        let outputs = parameters.int("outputs")
        let eigenvalues = parameters["eigenvalues"].listValue?.compactMap(\.doubleValue)
        let sigma = parameters["singular_values"].listValue?.compactMap(\.doubleValue)

        let spectrum: CovarianceSpectrum
        switch parameters.string("covariance") {
        case "power_law": spectrum = .powerLaw(alpha: parameters.double("alpha"))
        case "given":
            guard let eigenvalues else {
                throw parameterError("eigenvalues", "covariance `given` needs the list of input_dim = \(d) eigenvalues")
            }
            guard eigenvalues.count == d else {
                throw parameterError("eigenvalues", "has \(eigenvalues.count) values but input_dim is \(d); give one per input dimension")
            }
            spectrum = .given(eigenvalues)
        default: spectrum = .isotropic
        }
        if eigenvalues != nil, parameters.string("covariance") != "given" {
            throw parameterError("eigenvalues", "is set but covariance is `\(parameters.string("covariance"))`; set covariance: given or remove it")
        }
        if sigma != nil, teacher != "linear" {
            throw parameterError("singular_values", "applies to the linear teacher only (teacher is `\(teacher)`)")
        }
        if let sigma, sigma.isEmpty || sigma.count > min(outputs, d) {
            throw parameterError("singular_values",
                                 "a \(outputs)×\(d) teacher has 1 … \(min(outputs, d)) singular values, got \(sigma.count)")
        }
        if outputs != 1, teacher != "linear", teacher != "mlp" {
            throw parameterError("outputs", teacher == "mixture" || teacher == "random_labels"
                                 ? "class tasks take their outputs from `classes` and `encoding`; leave outputs at 1"
                                 : "the \(teacher) teacher has one output; leave outputs at 1")
        }
        let activation = Activation(rawValue: parameters.string("teacher_activation")) ?? .relu
        let scale = parameters.double("teacher_scale")
        let task: SyntheticTask
        switch teacher {
        case "mlp":
            task = .mlp(outputs: outputs, depth: parameters.int("teacher_depth"), width: parameters.int("teacher_width"),
                        activation: activation, scale: scale, normalize: parameters.bool("teacher_normalize"))
        case "single_index":
            task = .index(indices: 1, activation: activation, scale: scale)
        case "multi_index":
            let k = parameters.int("indices")
            guard k <= d else { throw parameterError("indices", "K = \(k) orthonormal directions need K ≤ input_dim = \(d)") }
            task = .index(indices: k, activation: activation, scale: scale)
        case "mixture":
            task = .mixture(classes: parameters.int("classes"), variance: parameters.double("variance"))
        case "random_labels":
            task = .randomLabels(classes: parameters.int("classes"))
        default:
            task = .linear(outputs: outputs, scale: scale, singularValues: sigma)
        }
        let noise = parameters.double("label_noise")
        if task.isClassification, noise > 1 {
            throw parameterError("label_noise", "for class tasks it is the fraction of flipped labels, in [0, 1]; got \(noise)")
        }
        return SyntheticDataSpec(train: parameters.int("train"), test: parameters.int("test"), inputDimension: d,
                                 spectrum: spectrum, rotate: parameters.bool("rotate"), task: task, labelNoise: noise,
                                 noisyTest: parameters.bool("noisy_test"),
                                 encoding: TargetEncoding(rawValue: parameters.string("encoding")) ?? .plusminus)
    }

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let spec = try spec(parameters)
        let data = try SyntheticData.generate(spec) { context.rng(stream: $0.rawValue) }
        let ds = data.dataset

        var summary: [String: Value] = [
            "teacher": .string(parameters.string("teacher")),
            "covariance": .string(parameters.string("covariance")),
            "covariance_trace": .double(data.distribution.eigenvalues.reduce(0, +)),
            "rotate": .bool(spec.rotate),
            "label_noise": .double(spec.labelNoise),
        ]
        var arrays: [String: NPYArray] = ["covariance_eigenvalues": NPYArray(vector: data.distribution.eigenvalues)]
        var archives: [String: [Artifact.NamedArray]] = [:]
        if let q = data.distribution.rotation { arrays["covariance_rotation"] = NPYArray(q) }
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
            let classes = data.mixture?.classes ?? parameters.int("classes")
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
        var artifact = ds.artifact(summary: summary)
        artifact.arrays.merge(arrays) { current, _ in current }
        artifact.archives = archives
        context.log("\(ds.trainCount) train and \(ds.testCount) test samples, D = \(ds.inputDimension), teacher \(parameters.string("teacher"))")
        return artifact
    }
}
