import TangentCore
import TangentNTK
import TangentPipeline

/// `analysis.timescales`: t_align, t_norm, t_half and the silent-alignment verdict.
public struct TimescalesStage: Stage {
    public static let name = "analysis.timescales"
    public static let summary = "Silent-alignment time scales t_align, t_norm, t_half and the verdict t_align < t_norm ≤ t_half."
    public static let doc = """
        t_align: first snapshot step where the trace kernel's alignment A(t) with Y reaches `alignment_fraction` of its \
        final value; t_norm: first snapshot step where ‖K(t)‖_F reaches `norm_fraction` of its final value; t_half: \
        first logged step where the train loss is at most half its initial value. silent_alignment = t_align < t_norm ≤ \
        t_half. Times are recorded steps (resolution: the snapshot and logging grids).
        """
    @Inputs var source: KernelsWithTargets
    @Input("the training run (losses)") var trajectory: TrajectoryArtifact
    @Param("fraction of the final alignment", minimum: 0, maximum: 1) var alignmentFraction = 0.9
    @Param("fraction of the final kernel norm", minimum: 0, maximum: 1) var normFraction = 0.1

    public init() {}

    public static let outputs = [OutputFile("summary.json", doc: "t_align, t_norm, t_half, silent_alignment and the margins")]

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
                           alignmentFraction: alignmentFraction, normFraction: normFraction)
        func value(_ x: Int?) -> Value { x.map(Value.int) ?? .null }
        var summary: [String: Value] = ["t_align": value(t.tAlign), "t_norm": value(t.tNorm), "t_half": value(t.tHalf),
                                        "silent_alignment": .bool(t.silentAlignment)]
        if let align = t.tAlign, let norm = t.tNorm { summary["margin_norm_minus_align"] = .int(norm - align) }
        if let norm = t.tNorm, let half = t.tHalf { summary["margin_half_minus_norm"] = .int(half - norm) }
        context.log("t_align = \(value(t.tAlign).yamlText), t_norm = \(value(t.tNorm).yamlText), t_half = \(value(t.tHalf).yamlText): silent alignment \(t.silentAlignment ? "holds" : "does not hold")")
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
