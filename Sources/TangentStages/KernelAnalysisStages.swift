import TangentCore
import TangentNTK
import TangentPipeline

/// The inputs of the stages that analyse kernels against targets: the kernels and the dataset they were computed
/// on. The kernels' samples are its first N train samples, with one target column per head.
public struct KernelsWithTargets: InputGroup {
    @Input("kernels from ntk.compute or ntk.snapshots") var kernels: KernelsArtifact
    @Input("the dataset the kernels were computed on (for the targets Y)") var data: DatasetArtifact

    public init() {}

    /// The kernels against the data, and the memory of one kernel and its working copies.
    func check(_ check: inout StageCheck) {
        let (k, d) = ($kernels.shape, $data.shape)
        check.require(k.n <= d.train, $kernels, "the kernels have \(k.n) samples but the dataset only \(d.train) train samples",
                      remedy: "connect the dataset the kernels were computed on")
        check.require(k.heads == d.outputs, $kernels,
                      "the kernels have \(k.heads) heads but the dataset has \(d.outputs) target columns",
                      remedy: "connect the dataset the kernels were computed on")
        check.needsMemory(8 * Double(k.n) * Double(k.n) * 4, for: "one kernel and its working copies",
                          remedy: "compute the kernels on fewer samples")
    }

    /// Y: the first N train targets (the samples the kernels were computed on).
    var targets: Matrix<Double> { data.trainTargets.rows(0..<kernels.n) }
}

/// Target column c as an N × 1 matrix.
func targetColumn(_ y: Matrix<Double>, _ c: Int) throws -> Matrix<Double> {
    try Matrix(rows: y.rows, columns: 1, elements: y.column(c))
}

/// The kernels' steps as a float axis for metrics (0 for a single kernel without steps).
func kernelSteps(_ kernels: KernelsArtifact) -> [Double] { kernels.steps.map { Double($0 ?? 0) } }

/// `steps.npy` (T,) int64 beside per-snapshot outputs.
func stepsArray(_ kernels: KernelsArtifact) throws -> NPYArray {
    try NPYArray(kernels.steps.map { Int64($0 ?? 0) }, shape: [kernels.count])
}

/// `analysis.alignment`: kernel–target alignment, kernel norm and kernel movement over training.
public struct AlignmentStage: Stage {
    public static let name = "analysis.alignment"
    public static let summary = "Kernel-target alignment (uncentered and centered), kernel norm, relative change and cosine to the final kernel."
    public static let doc = """
        For each time t: A(t) = ⟨K, YYᵀ⟩_F/(‖K‖_F‖YYᵀ‖_F) of the trace kernel K = Σ_c Θ^c with all targets Y (uncentered, \
        the papers' default) and its centered version (HKH, HY); per head A(Θ^c, y_c); ‖K(t)‖_F; \
        ‖K(t) − K(0)‖_F/‖K(0)‖_F; and cos(K(t), K(T)) = ⟨K(t), K(T)⟩_F/(‖K(t)‖_F‖K(T)‖_F). When the kernels were \
        computed with per_layer, also each layer's alignment and norm (its contribution summed over heads). \
        Alignments and cosines of an all-zero kernel are undefined: NaN, with a warning. Kernels are read one at a \
        time.
        """
    public static let outputs = [
        OutputFile("metrics.csv", doc: "step,key,value with keys alignment, alignment_centered, alignment_head<c>, kernel_norm, relative_change, cosine_to_final, and alignment_layer<l>, kernel_norm_layer<l> with per-layer kernels"),
        OutputFile("alignment.npy", doc: "(T,) uncentered alignment of the trace kernel"),
        OutputFile("kernel_norm.npy", doc: "(T,) ‖K(t)‖_F"),
        OutputFile("steps.npy", doc: "(T,) int64 training steps of the rows above"),
        OutputFile("summary.json", doc: "initial_alignment, final_alignment, final_kernel_norm, final_relative_change = ‖K(T) − K(0)‖_F/‖K(0)‖_F (trace kernels), snapshots"),
    ]

    @Inputs var source: KernelsWithTargets

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        source.check(&check)
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        let kernels = source.kernels, y = source.targets
        let steps = kernelSteps(kernels)
        let first = try kernels.trace(0), last = try kernels.trace(kernels.count - 1)
        var rows: [MetricRow] = []
        var alignment: [Double] = [], norms: [Double] = []
        context.progress.start("alignment", total: kernels.count)
        defer { context.progress.finish() }
        for t in 0..<kernels.count {
            let k = try kernels.trace(t), step = steps[t]
            let value = try kernelAlignment(k, y)
            if value.isNaN { context.warn("the trace kernel at step \(Int(step)) is all zero: its alignment is undefined (NaN)") }
            alignment.append(value)
            norms.append(k.frobeniusNorm)
            rows.append(MetricRow(step: step, key: "alignment", value: value))
            rows.append(MetricRow(step: step, key: "alignment_centered", value: try kernelAlignment(k, y, centered: true)))
            for c in 0..<kernels.heads {
                rows.append(MetricRow(step: step, key: "alignment_head\(c)",
                                      value: try kernelAlignment(try kernels.head(t, c), try targetColumn(y, c))))
            }
            rows.append(MetricRow(step: step, key: "kernel_norm", value: k.frobeniusNorm))
            rows.append(MetricRow(step: step, key: "relative_change", value: relativeKernelChange(k, from: first)))
            rows.append(MetricRow(step: step, key: "cosine_to_final", value: kernelCosine(k, last)))
            for l in 0..<kernels.shape.layers {
                let layer = try kernels.layerTrace(t, l)
                rows.append(MetricRow(step: step, key: "alignment_layer\(l)", value: try kernelAlignment(layer, y)))
                rows.append(MetricRow(step: step, key: "kernel_norm_layer\(l)", value: layer.frobeniusNorm))
            }
            context.progress.advance(by: 1)
        }
        return Table(arrays: ["alignment": NPYArray(vector: alignment), "kernel_norm": NPYArray(vector: norms),
                              "steps": try stepsArray(kernels)],
                     summary: ["final_alignment": .double(alignment.last ?? .nan),
                               "initial_alignment": .double(alignment.first ?? .nan),
                               "final_kernel_norm": .double(norms.last ?? 0),
                               "final_relative_change": .double(relativeKernelChange(last, from: first)),
                               "snapshots": .int(kernels.count)],
                     metrics: rows)
    }
}

/// `analysis.eigen`: eigenvalues and target power in the kernel eigenbasis.
public struct EigenStage: Stage {
    public static let name = "analysis.eigen"
    public static let summary = "Eigenvalues, cumulative target power, effective rank and smallest eigenvalue per snapshot and head."
    public static let doc = """
        For each time t and head c (kernel Θ^c with target y_c) and for the trace kernel (with all targets Y): \
        eigenvalues λ_1 ≥ λ_2 ≥ … (all, or the top `top_k` via LAPACK SYEVR), the cumulative target power \
        C(k) = Σ_{i≤k}(v_iᵀy)²/|y|² at the requested k, the effective rank (Σλ)²/Σλ² and the smallest eigenvalue \
        (of the computed ones). A smallest eigenvalue below −100·ε·tr K is reported as a warning (the kernel is not \
        positive semi-definite beyond rounding).
        """
    public static let outputs = [
        OutputFile("eigen.npz", doc: "`eigenvalues` (T, C, k) per head, `trace_eigenvalues` (T, k), `trace_vectors` (T, N, k) on request"),
        OutputFile("steps.npy", doc: "(T,) int64 training steps of the kernels"),
        OutputFile("metrics.csv", doc: "keys cumulative_power_k<k>[_head<c>], effective_rank[_head<c>], smallest_eigenvalue[_head<c>]"),
    ]

    @Inputs var source: KernelsWithTargets
    @Param("compute only the k largest eigenpairs (default: all)", minimum: 1) var topK: Int?
    @Param("k at which the cumulative target power C(k) is reported", minimum: 1) var ks = [1, 2, 5, 10, 20, 50]
    @Param("also save the trace kernel's eigenvectors") var vectors = false

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        let shape = source.$kernels.shape
        source.check(&check)
        if let topK, topK > shape.n {
            check.warn($topK, "is \(topK) but the kernels are \(shape.n)×\(shape.n); all \(shape.n) eigenpairs are computed")
        }
        if let k = ks.first(where: { $0 > min(topK ?? shape.n, shape.n) }) {
            check.warn($ks, "lists k = \(k), more than the \(min(topK ?? shape.n, shape.n)) eigenpairs computed; C(k) is reported up to that")
        }
        let width = Double(min(topK ?? shape.n, shape.n))
        if vectors {
            check.needsMemory(8 * Double(shape.count) * Double(shape.n) * width, for: "eigenvectors of every snapshot",
                              remedy: "set top_k or vectors: false")
        }
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        let kernels = source.kernels, y = source.targets
        let steps = kernelSteps(kernels)
        let top = topK.map { min($0, kernels.n) }
        var rows: [MetricRow] = []
        var headValues: [Double] = [], traceValues: [Double] = [], vectorValues: [Double] = []
        var width = 0
        func record(_ spectrum: KernelSpectrum, _ k: Matrix<Double>, step: Double, suffix: String, label: String) {
            for (k, value) in spectrum.cumulativePower { rows.append(MetricRow(step: step, key: "cumulative_power_k\(k)\(suffix)", value: value)) }
            rows.append(MetricRow(step: step, key: "effective_rank\(suffix)", value: spectrum.effectiveRank))
            rows.append(MetricRow(step: step, key: "smallest_eigenvalue\(suffix)", value: spectrum.smallest))
            if isNegativeBeyondRounding(spectrum.smallest, of: k) {
                context.warn("\(label) at step \(Int(step)): smallest eigenvalue \(spectrum.smallest) is negative beyond rounding")
            }
        }
        context.progress.start("eigen", total: kernels.count)
        defer { context.progress.finish() }
        for t in 0..<kernels.count {
            for c in 0..<kernels.heads {
                let k = try kernels.head(t, c)
                let spectrum = try kernelSpectrum(k, targets: try targetColumn(y, c), top: top, ks: ks)
                headValues += spectrum.eigenvalues
                width = spectrum.eigenvalues.count
                record(spectrum, k, step: steps[t], suffix: "_head\(c)", label: "head \(c)")
            }
            let k = try kernels.trace(t)
            let spectrum = try kernelSpectrum(k, targets: y, top: top, ks: ks, keepVectors: vectors)
            traceValues += spectrum.eigenvalues
            if let v = spectrum.vectors { vectorValues += v.elements }
            record(spectrum, k, step: steps[t], suffix: "", label: "the trace kernel")
            context.progress.advance(by: 1)
        }
        var members = [Table.NamedArray("eigenvalues", try NPYArray(headValues, shape: [kernels.count, kernels.heads, width])),
                       Table.NamedArray("trace_eigenvalues", try NPYArray(traceValues, shape: [kernels.count, width]))]
        if vectors { members.append(.init("trace_vectors", try NPYArray(vectorValues, shape: [kernels.count, kernels.n, width]))) }
        return Table(arrays: ["steps": try stepsArray(kernels)], archives: ["eigen.npz": members],
                     summary: ["snapshots": .int(kernels.count), "eigenpairs": .int(width)], metrics: rows)
    }
}

/// `analysis.specialization`: the kernel specialization matrix per snapshot.
public struct SpecializationStage: Stage {
    public static let name = "analysis.specialization"
    public static let summary = "Kernel specialization matrix KSM(c, d) of the per-head kernels per snapshot, and a specialization index."
    public static let doc = """
        KSM(c, d) = A(Θ^c, y_d)/normalizer with the uncentered alignment A(K, y) = yᵀKy/(‖K‖_F|y|²): \
        `mean_diagonal` divides by C⁻¹Σ_{d'} A(Θ^{d'}, y_{d'}), `per_target` by C⁻¹Σ_{d'} A(Θ^{d'}, y_d) (the two \
        readings of Shan & Bordelon's Eq. 9). KSM ≈ 1 means no specialization. The index is the mean diagonal minus the \
        mean off-diagonal entry.
        """
    public static let outputs = [
        OutputFile("ksm.npy", doc: "(T, C, C) the specialization matrices"),
        OutputFile("steps.npy", doc: "(T,) int64 training steps of the matrices"),
        OutputFile("metrics.csv", doc: "keys specialization_index and ksm_<c>_<d>"),
        OutputFile("summary.json", doc: "at the last snapshot: final_ksm, final_specialization_index, final_diagonal_mean, "
                   + "final_off_diagonal_mean (mean of the C(C−1) entries c ≠ d), final_max_deviation = max |KSM(c, d) − 1|"),
    ]

    @Inputs var source: KernelsWithTargets
    @Param("mean_diagonal (variant A) or per_target (variant B)") var normalization = SpecializationNormalization.meanDiagonal

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        source.check(&check)
        let k = source.$kernels.shape
        check.needsMemory(8 * Double(k.heads) * Double(k.n) * Double(k.n),
                          for: "every head's kernel at one time", remedy: "compute the kernels on fewer samples")
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        let kernels = source.kernels, y = source.targets
        let steps = kernelSteps(kernels)
        var all: [Double] = [], rows: [MetricRow] = []
        var last = Matrix<Double>(rows: 0, columns: 0)
        for t in 0..<kernels.count {
            let ksm = try specializationMatrix(heads: try kernels.heads(t), targets: y, normalization: normalization)
            all += ksm.elements
            last = ksm
            rows.append(MetricRow(step: steps[t], key: "specialization_index", value: specializationIndex(ksm)))
            for c in 0..<ksm.rows { for d in 0..<ksm.columns { rows.append(MetricRow(step: steps[t], key: "ksm_\(c)_\(d)", value: ksm[c, d])) } }
        }
        let c = kernels.heads
        return Table(arrays: ["ksm": try NPYArray(all, shape: [kernels.count, c, c]), "steps": try stepsArray(kernels)],
                     summary: ["final_specialization_index": .double(specializationIndex(last)),
                               "final_diagonal_mean": .double(specializationDiagonalMean(last)),
                               "final_off_diagonal_mean": c > 1 ? .double(specializationOffDiagonalMean(last)) : .null,
                               "final_max_deviation": .double(specializationMaxDeviation(last)),
                               "final_ksm": .list((0..<c).map { i in .list((0..<c).map { .double(last[i, $0]) }) })],
                     metrics: rows)
    }
}
