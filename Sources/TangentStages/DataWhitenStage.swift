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
        `full`: X = √D·U_ρ·V_ρᵀ, every nonzero singular value equal to √D (the transform of the code of \
        Lauditi, Bordelon & Pehlevan 2025). \
        `partial`: X = D^((1−gamma)/2)·U_ρ·S_ρ^gamma·V_ρᵀ: gamma = 0 is exactly `full`, gamma = 1 returns X_c \
        unchanged. `pca`: X_c·V_k, the coordinates on the top `components` right singular vectors (default: all \
        ρ), uncorrelated columns. `none`: X_c only.

        `test_statistics: train` maps the test inputs with the train fit, x ↦ (x − μ_train)·M with \
        M = V_ρ·diag(c·s_i^(gamma−1))·V_ρᵀ (c = D^((1−gamma)/2)), or V_k for pca; this map takes the train set to \
        its whitened version. `separate` whitens the test inputs with their own mean and SVD (as the code of \
        Lauditi, Bordelon & Pehlevan 2025 does; not with pca). Targets, labels and every other array of the input \
        pass through unchanged.

        `preserve_scale: true` (partial only) multiplies X_γ, and the test inputs with the same factor, by \
        κ = √(ρ·D)/‖X_γ‖_F, so that ‖κ·X_γ‖_F = √(ρ·D), the norm of the fully whitened train inputs (γ = 0, where \
        κ = 1 exactly). Without it the norm ‖X_γ‖_F = D^((1−γ)/2)·(Σ s_i^(2γ))^(1/2) changes with γ, and with it the \
        NTK's scale and the largest stable learning rate; with it one learning rate serves a whole γ sweep.
        """

    public enum Method: String, CaseIterable, ParameterChoice { case full, partial, pca, none }

    @Input("the dataset whose inputs are transformed") var data: DatasetArtifact
    @Param("full: √D·U·Vᵀ; partial: D^((1−gamma)/2)·U·S^gamma·Vᵀ; pca: project on `components` axes; none: centre only")
    var method = Method.full
    @Param("partial: exponent γ of the singular values (0: full whitening, 1: unchanged)", minimum: 0, maximum: 1)
    var gamma = 0.0
    @Param("pca: number k of principal axes kept (default: the rank of the centred train inputs)", minimum: 1)
    var components: Int?
    @Param("subtract the train mean first") var center = true
    @Param("train: map the test set with the train fit; separate: whiten it with its own mean and SVD")
    var testStatistics = WhiteningStatistics.train
    @Param("partial: rescale X_γ (and the test set, by the same factor) to the Frobenius norm of the full whitening")
    var preserveScale = false

    public init() {}

    public static let outputs = [
        OutputFile("train_x.npy", doc: "(P, D′) transformed train inputs (D′ = components for pca, else D)"),
        OutputFile("test_x.npy", doc: "(P_test, D′) transformed test inputs"),
        OutputFile("singular_values_before.npy", doc: "(min(P, D),) singular values of the centred train inputs"),
        OutputFile("singular_values_after.npy", doc: "(min(P, D′),) singular values of the transformed train inputs"),
        OutputFile("test_singular_values_before.npy", doc: "test inputs after their centring, before the transform (when there is a test set)"),
        OutputFile("test_singular_values_after.npy", doc: "transformed test inputs (when there is a test set)"),
        OutputFile("summary.json", doc: "method, rank ρ, scale c, scale_factor κ (1 unless preserve_scale), condition numbers s_1/s_ρ before and after (train and test)"),
    ]

    public func validate(_ check: inout StageCheck) throws -> DatasetShape {
        let d = $data.shape
        if let components {
            check.require(method == .pca, $components, "applies to method `pca` only (method is `\(method.rawValue)`)",
                          remedy: "remove components or set method: pca")
            check.require(components <= min(d.train, d.inputDim), $components,
                          "PCA of \(d.train)×\(d.inputDim) train inputs keeps at most \(min(d.train, d.inputDim)) components, got \(components)")
        }
        if preserveScale, method != .partial {
            check.fail($preserveScale, "applies to method `partial` only (method is `\(method.rawValue)`); `full` already has the full whitening's norm",
                       remedy: "remove preserve_scale or set method: partial")
        }
        if method == .pca, testStatistics == .separate, d.test > 0 {
            check.fail($testStatistics, "`separate` with method pca would project train and test onto different axes",
                       remedy: "use test_statistics: train")
        }
        // The input, its centred copy, the thin SVD (U, V) and the output, for train and test.
        let (p, dd) = (Double(d.train + d.test), Double(d.inputDim))
        check.needsMemory(8 * (4 * p * dd + 2 * dd * dd), for: "the SVD of the inputs", remedy: "use fewer samples")
        var out = d
        if method == .pca { out.inputDim = components ?? min(center ? d.train - 1 : d.train, d.inputDim) }  // generic rank
        return out
    }

    var whitening: WhiteningMethod {
        switch method {
        case .partial: .partial(gamma: gamma)
        case .pca: .pca(components: components)
        case .none: .none
        case .full: .full
        }
    }

    public func run(_ context: StageContext) throws -> DatasetArtifact {
        let method = whitening, statistics = testStatistics
        let r = try whiten(data.trainInputs, test: data.hasTest ? data.testInputs : nil, method: method,
                           center: center, testStatistics: statistics, preserveScale: preserveScale)
        let out = try Dataset(trainInputs: r.train, trainTargets: data.trainTargets,
                              testInputs: r.test ?? Matrix(rows: 0, columns: r.train.columns),
                              testTargets: data.testTargets, trainLabels: data.trainLabels, testLabels: data.testLabels)

        let (p, d) = (data.trainCount, data.inputDimension)
        func condition(_ s: [Double], _ rows: Int, _ columns: Int) -> Value {
            Whitening.conditionNumber(s, rows: rows, columns: columns).map(Value.double) ?? .null
        }
        var summary: [String: Value] = [
            "method": .string(self.method.rawValue),
            "center": .bool(center),
            "test_statistics": .string(statistics.rawValue),
            "rank": .int(r.trainWhitening.rank),
            "scale": .double(r.trainWhitening.scale),
            "scale_factor": .double(r.scaleFactor),
            "preserve_scale": .bool(preserveScale),
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
        // Everything else of the input (teacher arrays, clean targets, archives) passes through.
        arrays.merge(data.extras) { current, _ in current }
        context.log("\(self.method.rawValue): rank \(r.trainWhitening.rank), condition number "
                    + "\(summary["condition_number_before"]?.yamlText ?? "-") → \(summary["condition_number_after"]?.yamlText ?? "-")")
        return DatasetArtifact(out, extras: arrays, archives: data.archives, summary: summary)
    }
}
