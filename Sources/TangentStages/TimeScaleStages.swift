import TangentCore
import TangentNTK
import TangentPipeline

/// `analysis.timescales`: t_align, t_norm, t_half and the silent-alignment verdict (`TimeScales` in TangentNTK).
public struct TimescalesStage: Stage {
    public static let name = "analysis.timescales"
    public static let summary = "Silent-alignment time scales t_align, t_norm, t_half and a verdict (holds, fails, inconclusive) on t_align < t_norm ≤ t_half."
    public static let doc = """
        A(t): alignment of the trace kernel with the targets Y at each snapshot step; A(0) its first value, \
        rise = max A − A(0). t_align: first snapshot step with A(t) − A(0) ≥ `alignment_fraction`·rise; t_norm: \
        first snapshot step with ‖K(t)‖_F ≥ `norm_fraction`·‖K(T)‖_F (t_norm_10, t_norm_90: at 10% and 90%); \
        t_half: first logged step with train loss ≤ half its initial value. Times are recorded steps, known only to \
        within one snapshot interval, so the verdict counts snapshots: d(a, b) = #{snapshot steps ≤ b} − \
        #{snapshot steps ≤ a}. Silent alignment claims t_align < t_norm ≤ t_half. Verdict, with m = \
        `min_snapshots`: `inconclusive` when a time is missing or rise < `min_rise` (the alignment barely moved, \
        e.g. raw inputs whose A(0) is already high); else `holds` when d(t_align, t_norm) ≥ m, d(t_align, t_half) ≥ m \
        and d(t_norm, t_half) ≥ 0; else `fails` when d(t_align, t_norm) ≤ −m, d(t_align, t_half) ≤ −m or \
        d(t_norm, t_half) ≤ −m; else `inconclusive` (the times are within m snapshots). silent_alignment = \
        (verdict == holds). kernel_cosine_half_final: cosine ⟨K_h, K_T⟩_F/(‖K_h‖_F‖K_T‖_F) of the trace kernel at \
        the last snapshot with step ≤ t_half and the final one (near 1: the kernel only grew in scale after t_half).
        """
    @Inputs var source: KernelsWithTargets
    @Input("the training run (losses)") var trajectory: TrajectoryArtifact
    @Param("t_align: fraction of the alignment's rise max A − A(0)", minimum: 0, maximum: 1) var alignmentFraction = 0.9
    @Param("t_norm: fraction of the final kernel norm", minimum: 0, maximum: 1) var normFraction = 0.1
    @Param("verdict: smallest rise max A − A(0) worth timing (else inconclusive)", minimum: 0, maximum: 2) var minRise = 0.1
    @Param("verdict: m, the number of snapshots that separates two times", minimum: 1) var minSnapshots = 2

    public init() {}

    public static let outputs = [OutputFile("summary.json", doc: """
        t_align, t_norm, t_half, t_norm_10, t_norm_90 (steps; null when missing); alignment_initial, alignment_max, \
        alignment_final, alignment_rise; kernel_cosine_half_final; snapshots_align_to_norm, snapshots_align_to_half, \
        snapshots_norm_to_half (the d values) and margin_norm_minus_align, margin_half_minus_norm (in steps); \
        verdict, verdict_reason, silent_alignment; the thresholds used
        """)]

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        source.check(&check)
        if source.$kernels.shape.times == nil {
            check.fail(source.$kernels, "has a single kernel (ntk.compute); time scales need kernels over training",
                       remedy: "connect an ntk.snapshots stage")
        }
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        let kernels = source.kernels, y = source.targets
        var alignment: [Double] = [], norms: [Double] = []
        for t in 0..<kernels.count {
            let k = try kernels.trace(t)
            alignment.append(try kernelAlignment(k, y))
            norms.append(k.frobeniusNorm)
        }
        let t = TimeScales(steps: kernelSteps(kernels).map { Int($0) }, alignment: alignment, kernelNorms: norms,
                           lossSteps: trajectory.losses.map(\.step), losses: trajectory.losses.map(\.train),
                           alignmentFraction: alignmentFraction, normFraction: normFraction, minRise: minRise,
                           minSnapshots: minSnapshots)
        func int(_ x: Int?) -> Value { x.map(Value.int) ?? .null }
        func double(_ x: Double?) -> Value { x.flatMap { $0.isFinite ? Value.double($0) : nil } ?? .null }
        func difference(_ a: Int?, _ b: Int?) -> Value { int(a.flatMap { a in b.map { $0 - a } }) }
        var cosine: Double? = nil
        if let half = t.tHalf, let h = t.lastSnapshot(atOrBefore: half), kernels.count > 0 {
            cosine = kernelCosine(try kernels.trace(h), try kernels.trace(kernels.count - 1))
        }
        let summary: [String: Value] = [
            "t_align": int(t.tAlign), "t_norm": int(t.tNorm), "t_half": int(t.tHalf),
            "t_norm_10": int(t.tNorm10), "t_norm_90": int(t.tNorm90),
            "alignment_initial": double(t.alignmentInitial), "alignment_max": double(t.alignmentMax),
            "alignment_final": double(t.alignmentFinal), "alignment_rise": double(t.alignmentRise),
            "kernel_cosine_half_final": double(cosine),
            "snapshots_align_to_norm": int(t.snapshotsAlignToNorm), "snapshots_align_to_half": int(t.snapshotsAlignToHalf),
            "snapshots_norm_to_half": int(t.snapshotsNormToHalf),
            "margin_norm_minus_align": difference(t.tAlign, t.tNorm), "margin_half_minus_norm": difference(t.tNorm, t.tHalf),
            "verdict": .string(t.verdict.rawValue), "verdict_reason": .string(t.verdictReason),
            "silent_alignment": .bool(t.silentAlignment),
            "alignment_fraction": .double(alignmentFraction), "norm_fraction": .double(normFraction),
            "min_rise": .double(minRise), "min_snapshots": .int(minSnapshots), "snapshots": .int(kernels.count),
        ]
        context.log("silent alignment \(t.verdict.rawValue): \(t.verdictReason)")
        return Table(summary: summary)
    }
}

/// `analysis.loss_phases`: the power-law phase of the training loss and the end of the faster phase before it.
public struct LossPhasesStage: Stage {
    public static let name = "analysis.loss_phases"
    public static let summary = "Power-law fit L ∝ t^(−α) of the late training loss, its R², and the end of the faster-than-power-law phase."
    public static let doc = """
        Least squares of log L against log t over the window [window_start, window_end] of logged steps (default: the \
        last decade [T/10, T]); the fast phase ends at the first logged step from which the loss stays within a factor \
        `tolerance` of the fitted power law.
        """
    @Input("the training run (its logged losses)") var trajectory: TrajectoryArtifact
    @Param("first step of the fit window (default T/10)", minimum: 1) var windowStart: Int?
    @Param("last step of the fit window (default T)", minimum: 1) var windowEnd: Int?
    @Param("factor around the fit that counts as on the power law", minimum: 1) var tolerance = 2.0

    public init() {}

    public static let outputs = [OutputFile("summary.json", doc: "alpha, coefficient, r_squared, window, fast_phase_end")]

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        let steps = $trajectory.shape.training.steps
        if let windowStart, let windowEnd {
            check.require(windowStart < windowEnd, $windowStart, "is \(windowStart), not before window_end = \(windowEnd)")
        }
        if let windowStart, windowStart >= steps {
            check.fail($windowStart, "is \(windowStart) but the run has \(steps) steps", remedy: "choose a window inside [1, \(steps)]")
        }
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        let fit: PowerLawFit
        do {
            fit = try PowerLawFit(steps: trajectory.losses.map(\.step), losses: trajectory.losses.map(\.train),
                                  windowStart: windowStart, windowEnd: windowEnd, tolerance: tolerance)
        } catch {
            throw PipelineError(.stageFailed, "\(Self.name): \(error); set window_start/window_end or log more points (train.gd log_points)")
        }
        return Table(summary: [
            "alpha": .double(fit.alpha), "coefficient": .double(fit.coefficient), "r_squared": .double(fit.rSquared),
            "window_start": .int(fit.windowStart), "window_end": .int(fit.windowEnd),
            "fast_phase_end": fit.fastPhaseEnd.map(Value.int) ?? .null,
        ])
    }
}
