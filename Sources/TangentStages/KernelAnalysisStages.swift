import TangentCore
import TangentNTK
import TangentPipeline

/// Inputs shared by the kernel analysis stages: the kernel series and the train targets of its samples.
struct KernelAnalysisInputs {
    var series: KernelSeries
    /// Y restricted to the kernels' N samples (the first N train samples, as ntk.* `samples` takes them).
    var targets: Matrix<Double>

    static let slots = [
        InputSlot("kernels", kind: .kernels, doc: "kernels from ntk.compute or ntk.snapshots"),
        InputSlot("data", kind: .dataset, doc: "the dataset the kernels were computed on (for the targets Y)"),
    ]

    init(_ inputs: StageInputs) throws {
        series = try KernelSeries(artifact: try inputs.one("kernels"), from: "kernels")
        let data = try Dataset(artifact: try inputs.one("data"), from: "data")
        let n = series.trace.first?.rows ?? 0
        guard n <= data.trainCount else {
            throw PipelineError(.stageFailed, "the kernels have \(n) samples but the dataset only \(data.trainCount)")
        }
        targets = data.trainTargets.rows(0..<n)
    }

    /// Step of time index t (0 for a single ntk.compute kernel).
    func step(_ t: Int) -> Double { Double(series.steps[t] ?? 0) }

    func column(_ c: Int) -> Matrix<Double> { try! Matrix(rows: targets.rows, columns: 1, elements: targets.column(c)) }
}

/// `analysis.alignment`: kernel–target alignment, kernel norm and kernel movement over training.
public struct AlignmentStage: Stage {
    public static let name = "analysis.alignment"
    public static let summary = "Kernel-target alignment (uncentered and centered), kernel norm, relative change and cosine to the final kernel."
    public static let doc = """
        For each time t: A(t) = ⟨K, YYᵀ⟩_F/(‖K‖_F‖YYᵀ‖_F) of the trace kernel K = Σ_c Θ^c with all targets Y (uncentered, \
        the papers' default) and its centered version (HKH, HY); per head A(Θ^c, y_c); ‖K(t)‖_F; \
        ‖K(t) − K(0)‖_F/‖K(0)‖_F; and cos(K(t), K(T)) = ⟨K(t), K(T)⟩_F/(‖K(t)‖_F‖K(T)‖_F). When the kernels were \
        computed with per_layer, also each layer's alignment and norm (its contribution summed over heads).
        """
    public static let outputKind = ArtifactKind.table
    public static let inputs = KernelAnalysisInputs.slots
    public static let outputs = [
        OutputFile("metrics.csv", doc: "step,key,value with keys alignment, alignment_centered, alignment_head<c>, kernel_norm, relative_change, cosine_to_final, and alignment_layer<l>, kernel_norm_layer<l> with per-layer kernels"),
        OutputFile("alignment.npy", doc: "(T,) uncentered alignment of the trace kernel"),
        OutputFile("kernel_norm.npy", doc: "(T,) ‖K(t)‖_F"),
        OutputFile("summary.json", doc: "the final values"),
    ]

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let a = try KernelAnalysisInputs(inputs)
        let s = a.series
        guard let first = s.trace.first, let last = s.trace.last else { throw PipelineError(.stageFailed, "no kernels") }
        var rows: [MetricRow] = []
        var alignment: [Double] = [], norms: [Double] = []
        for t in 0..<s.count {
            let k = s.trace[t], step = a.step(t)
            let value = try kernelAlignment(k, a.targets)
            alignment.append(value)
            norms.append(k.frobeniusNorm)
            rows.append(MetricRow(step: step, key: "alignment", value: value))
            rows.append(MetricRow(step: step, key: "alignment_centered", value: try kernelAlignment(k, a.targets, centered: true)))
            for c in 0..<s.headCount {
                rows.append(MetricRow(step: step, key: "alignment_head\(c)", value: try kernelAlignment(s.heads[t][c], a.column(c))))
            }
            rows.append(MetricRow(step: step, key: "kernel_norm", value: k.frobeniusNorm))
            rows.append(MetricRow(step: step, key: "relative_change", value: (k - first).frobeniusNorm / max(first.frobeniusNorm, .leastNormalMagnitude)))
            rows.append(MetricRow(step: step, key: "cosine_to_final", value: kernelCosine(k, last)))
            if t < s.layers.count {
                for (l, layer) in s.layers[t].enumerated() {
                    rows.append(MetricRow(step: step, key: "alignment_layer\(l)", value: try kernelAlignment(layer, a.targets)))
                    rows.append(MetricRow(step: step, key: "kernel_norm_layer\(l)", value: layer.frobeniusNorm))
                }
            }
        }
        return Artifact(kind: .table,
                        arrays: ["alignment": NPYArray(vector: alignment), "kernel_norm": NPYArray(vector: norms)],
                        summary: ["final_alignment": .double(alignment.last ?? 0), "initial_alignment": .double(alignment.first ?? 0),
                                  "final_kernel_norm": .double(norms.last ?? 0), "snapshots": .int(s.count)],
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
        C(k) = Σ_{i≤k}(v_iᵀy)²/|y|² at the requested k, the effective rank (Σλ)²/Σλ² and the smallest eigenvalue.
        """
    public static let outputKind = ArtifactKind.table
    public static let inputs = KernelAnalysisInputs.slots
    public static let parameters = [
        Parameter("top_k", .int, minimum: 1, nullable: true, doc: "compute only the k largest eigenpairs (default: all)"),
        Parameter("ks", .list(.int), default: .list([1, 2, 5, 10, 20, 50].map(Value.int)), minimum: 1,
                  doc: "k at which the cumulative target power C(k) is reported"),
        Parameter("vectors", .bool, default: .bool(false), doc: "also save the trace kernel's eigenvectors"),
    ]
    public static let outputs = [
        OutputFile("eigen.npz", doc: "`eigenvalues` (T, C, k) per head, `trace_eigenvalues` (T, k), `trace_vectors` (T, N, k) on request"),
        OutputFile("metrics.csv", doc: "keys cumulative_power_k<k>[_head<c>], effective_rank[_head<c>], smallest_eigenvalue[_head<c>]"),
    ]

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let a = try KernelAnalysisInputs(inputs)
        let s = a.series
        let top = p.optionalInt("top_k"), ks = p.ints("ks"), keepVectors = p.bool("vectors")
        var rows: [MetricRow] = []
        var headValues: [Double] = [], traceValues: [Double] = [], vectors: [Double] = []
        var width = 0
        func record(_ spectrum: KernelSpectrum, step: Double, suffix: String) {
            for (k, value) in spectrum.cumulativePower { rows.append(MetricRow(step: step, key: "cumulative_power_k\(k)\(suffix)", value: value)) }
            rows.append(MetricRow(step: step, key: "effective_rank\(suffix)", value: spectrum.effectiveRank))
            rows.append(MetricRow(step: step, key: "smallest_eigenvalue\(suffix)", value: spectrum.smallest))
        }
        context.progress.start("eigen", total: s.count)
        for t in 0..<s.count {
            for c in 0..<s.headCount {
                let spectrum = try kernelSpectrum(s.heads[t][c], targets: a.column(c), top: top, ks: ks)
                headValues += spectrum.eigenvalues
                width = spectrum.eigenvalues.count
                record(spectrum, step: a.step(t), suffix: "_head\(c)")
            }
            let spectrum = try kernelSpectrum(s.trace[t], targets: a.targets, top: top, ks: ks, keepVectors: keepVectors)
            traceValues += spectrum.eigenvalues
            if let v = spectrum.vectors { vectors += v.elements }
            record(spectrum, step: a.step(t), suffix: "")
            context.progress.advance(by: 1)
        }
        context.progress.finish()
        let n = s.trace.first?.rows ?? 0
        var members = [Artifact.NamedArray("eigenvalues", try NPYArray(headValues, shape: [s.count, s.headCount, width])),
                       Artifact.NamedArray("trace_eigenvalues", try NPYArray(traceValues, shape: [s.count, width]))]
        if keepVectors { members.append(.init("trace_vectors", try NPYArray(vectors, shape: [s.count, n, width]))) }
        return Artifact(kind: .table, archives: ["eigen.npz": members],
                        summary: ["snapshots": .int(s.count), "eigenpairs": .int(width)], metrics: rows)
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
    public static let outputKind = ArtifactKind.table
    public static let inputs = KernelAnalysisInputs.slots
    public static let parameters = [
        Parameter("normalization", .choice(SpecializationNormalization.allCases.map(\.rawValue)), default: .string("mean_diagonal"),
                  doc: "mean_diagonal (variant A) or per_target (variant B)"),
    ]
    public static let outputs = [
        OutputFile("ksm.npy", doc: "(T, C, C) the specialization matrices"),
        OutputFile("metrics.csv", doc: "keys specialization_index and ksm_<c>_<d>"),
    ]

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let a = try KernelAnalysisInputs(inputs)
        let s = a.series
        let normalization = SpecializationNormalization(rawValue: p.string("normalization"))!
        var all: [Double] = [], rows: [MetricRow] = []
        var last = Matrix<Double>(rows: 0, columns: 0)
        for t in 0..<s.count {
            let ksm = try specializationMatrix(heads: s.heads[t], targets: a.targets, normalization: normalization)
            all += ksm.elements
            last = ksm
            rows.append(MetricRow(step: a.step(t), key: "specialization_index", value: specializationIndex(ksm)))
            for c in 0..<ksm.rows { for d in 0..<ksm.columns { rows.append(MetricRow(step: a.step(t), key: "ksm_\(c)_\(d)", value: ksm[c, d])) } }
        }
        let c = s.headCount
        return Artifact(kind: .table, arrays: ["ksm": try NPYArray(all, shape: [s.count, c, c])],
                        summary: ["final_specialization_index": .double(specializationIndex(last)),
                                  "final_ksm": .list((0..<c).map { i in .list((0..<c).map { .double(last[i, $0]) }) })],
                        metrics: rows)
    }
}
