import TangentCore
import TangentNTK
import TangentPipeline

/// `data.whiten`: full or partial whitening, PCA projection or plain centring of a dataset's inputs
/// (`whiten` in TangentNTK; formulas in `WhiteningMethod` and `WhiteningStatistics`).
public struct DataWhitenStage: Stage {
    public static let name = "data.whiten"
    public static let summary = "Whitens the inputs (full, partial X_γ = U·S^γ·Vᵀ, PCA); saves the singular spectrum before and after."
    public static let doc = """
        With X_c = X − 1·μᵀ (μ the train column means; μ = 0 with `center: false`) and the thin SVD \
        X_c = U·S·Vᵀ, only the ρ singular values s_i > max(P, D)·ε·s_1 count as nonzero (zero ones stay zero). \
        `full`: X = √D·U_ρ·V_ρᵀ, every nonzero singular value equal to √D (the paper-3 code's transform). \
        `partial`: X = D^((1−gamma)/2)·U_ρ·S_ρ^gamma·V_ρᵀ: gamma = 0 is exactly `full`, gamma = 1 returns X_c \
        unchanged. `pca`: X_c·V_k, the coordinates on the top `components` right singular vectors (default: all \
        ρ), uncorrelated columns. `none`: X_c only.

        `test_statistics: train` maps the test inputs with the train fit, x ↦ (x − μ_train)·M with \
        M = V_ρ·diag(c·s_i^(gamma−1))·V_ρᵀ (c = D^((1−gamma)/2)), or V_k for pca; this map takes the train set to \
        its whitened version. `separate` whitens the test inputs with their own mean and SVD (as the paper-3 code \
        does; not with pca). Targets, labels and every other array of the input pass through unchanged.
        """
    public static let outputKind = ArtifactKind.dataset
    public static let inputs = [InputSlot("data", kind: .dataset, doc: "the dataset whose inputs are transformed")]
    public static let parameters = [
        Parameter("method", .choice(["full", "partial", "pca", "none"]), default: .string("full"),
                  doc: "full: √D·U·Vᵀ; partial: D^((1−gamma)/2)·U·S^gamma·Vᵀ; pca: project on `components` axes; none: centre only"),
        Parameter("gamma", .float, default: .double(0), minimum: 0, maximum: 1,
                  doc: "partial: exponent γ of the singular values (0: full whitening, 1: unchanged)"),
        Parameter("components", .int, minimum: 1, nullable: true,
                  doc: "pca: number k of principal axes kept (default: the rank of the centred train inputs)"),
        Parameter("center", .bool, default: .bool(true), doc: "subtract the train mean first"),
        Parameter("test_statistics", .choice(WhiteningStatistics.allCases.map(\.rawValue)), default: .string("train"),
                  doc: "train: map the test set with the train fit; separate: whiten it with its own mean and SVD"),
    ]
    public static let outputs = [
        OutputFile("train_x.npy", doc: "(P, D′) transformed train inputs (D′ = components for pca, else D)"),
        OutputFile("test_x.npy", doc: "(P_test, D′) transformed test inputs"),
        OutputFile("singular_values_before.npy", doc: "(min(P, D),) singular values of the centred train inputs"),
        OutputFile("singular_values_after.npy", doc: "(min(P, D′),) singular values of the transformed train inputs"),
        OutputFile("test_singular_values_before.npy", doc: "test inputs after their centring, before the transform (when there is a test set)"),
        OutputFile("test_singular_values_after.npy", doc: "transformed test inputs (when there is a test set)"),
        OutputFile("summary.json", doc: "method, rank ρ, scale c, condition numbers s_1/s_ρ before and after (train and test)"),
    ]

    static func method(_ parameters: Parameters) throws -> WhiteningMethod {
        let name = parameters.string("method")
        let components = parameters.optionalInt("components")
        if components != nil, name != "pca" {
            throw parameterError("components", "applies to method `pca` only (method is `\(name)`)")
        }
        switch name {
        case "partial": return .partial(gamma: parameters.double("gamma"))
        case "pca": return .pca(components: components)
        case "none": return .none
        default: return .full
        }
    }

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let input = try inputs.one("data")
        let data = try Dataset(artifact: input, from: "the stage feeding `\(inputs.stageID)`")
        let method = try method(parameters)
        let statistics = WhiteningStatistics(rawValue: parameters.string("test_statistics")) ?? .train
        if case .pca(let k?) = method, k > min(data.trainCount, data.inputDimension) {
            throw parameterError("components", "PCA of \(data.trainCount)×\(data.inputDimension) train inputs keeps at most \(min(data.trainCount, data.inputDimension)) components, got \(k)")
        }
        if case .pca = method, statistics == .separate, data.hasTest {
            throw parameterError("test_statistics", "`separate` with method pca would project train and test onto different axes; use `train`")
        }
        let r = try whiten(data.trainInputs, test: data.hasTest ? data.testInputs : nil, method: method,
                           center: parameters.bool("center"), testStatistics: statistics)
        let out = try Dataset(trainInputs: r.train, trainTargets: data.trainTargets,
                              testInputs: r.test ?? Matrix(rows: 0, columns: r.train.columns),
                              testTargets: data.testTargets, trainLabels: data.trainLabels, testLabels: data.testLabels)

        let (p, d) = (data.trainCount, data.inputDimension)
        func condition(_ s: [Double], _ rows: Int, _ columns: Int) -> Value {
            Whitening.conditionNumber(s, rows: rows, columns: columns).map(Value.double) ?? .null
        }
        var summary: [String: Value] = [
            "method": .string(parameters.string("method")),
            "center": .bool(parameters.bool("center")),
            "test_statistics": .string(statistics.rawValue),
            "rank": .int(r.trainWhitening.rank),
            "scale": .double(r.trainWhitening.scale),
            "condition_number_before": condition(r.trainSingularValuesBefore, p, d),
            "condition_number_after": condition(r.trainSingularValuesAfter, p, r.train.columns),
        ]
        if case .partial(let gamma) = method { summary["gamma"] = .double(gamma) }
        if case .pca = method { summary["components"] = .int(r.train.columns) }
        var arrays: [String: NPYArray] = [
            "singular_values_before": NPYArray(vector: r.trainSingularValuesBefore),
            "singular_values_after": NPYArray(vector: r.trainSingularValuesAfter),
        ]
        if let before = r.testSingularValuesBefore, let after = r.testSingularValuesAfter, let test = r.test {
            arrays["test_singular_values_before"] = NPYArray(vector: before)
            arrays["test_singular_values_after"] = NPYArray(vector: after)
            summary["test_condition_number_before"] = condition(before, test.rows, d)
            summary["test_condition_number_after"] = condition(after, test.rows, test.columns)
            if let tw = r.testWhitening { summary["test_rank"] = .int(tw.rank) }
        }
        var artifact = out.artifact(summary: summary)
        artifact.arrays.merge(arrays) { _, new in new }
        // Everything else of the input (teacher arrays, clean targets, archives) passes through.
        artifact.arrays.merge(input.arrays) { current, _ in current }
        artifact.archives.merge(input.archives) { current, _ in current }
        context.log("\(parameters.string("method")): rank \(r.trainWhitening.rank), condition number "
                    + "\(summary["condition_number_before"]?.yamlText ?? "-") → \(summary["condition_number_after"]?.yamlText ?? "-")")
        return artifact
    }
}
