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
    public static let outputKind = ArtifactKind.table
    public static let inputs = KernelAnalysisInputs.slots + [InputSlot("trajectory", kind: .trajectory, doc: "the training run (losses)")]
    public static let parameters = [
        Parameter("alignment_fraction", .float, default: .double(0.9), minimum: 0, maximum: 1, doc: "fraction of the final alignment"),
        Parameter("norm_fraction", .float, default: .double(0.1), minimum: 0, maximum: 1, doc: "fraction of the final kernel norm"),
    ]
    public static let outputs = [OutputFile("summary.json", doc: "t_align, t_norm, t_half, silent_alignment and the margins")]

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let a = try KernelAnalysisInputs(inputs)
        let trajectory = try TrainingTrajectory(artifact: try inputs.one("trajectory"), from: "trajectory")
        let steps = (0..<a.series.count).map { Int(a.step($0)) }
        let alignment = try a.series.trace.map { try kernelAlignment($0, a.targets) }
        let t = TimeScales(steps: steps, alignment: alignment, kernelNorms: a.series.trace.map(\.frobeniusNorm),
                           lossSteps: trajectory.losses.map(\.step), losses: trajectory.losses.map(\.train),
                           alignmentFraction: p.double("alignment_fraction"), normFraction: p.double("norm_fraction"))
        func value(_ x: Int?) -> Value { x.map(Value.int) ?? .null }
        var summary: [String: Value] = ["t_align": value(t.tAlign), "t_norm": value(t.tNorm), "t_half": value(t.tHalf),
                                        "silent_alignment": .bool(t.silentAlignment)]
        if let align = t.tAlign, let norm = t.tNorm { summary["margin_norm_minus_align"] = .int(norm - align) }
        if let norm = t.tNorm, let half = t.tHalf { summary["margin_half_minus_norm"] = .int(half - norm) }
        context.log("t_align = \(value(t.tAlign).yamlText), t_norm = \(value(t.tNorm).yamlText), t_half = \(value(t.tHalf).yamlText): silent alignment \(t.silentAlignment ? "holds" : "does not hold")")
        return Artifact(kind: .table, summary: summary)
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
    public static let outputKind = ArtifactKind.table
    public static let inputs = [InputSlot("trajectory", kind: .trajectory, doc: "the training run (its logged losses)")]
    public static let parameters = [
        Parameter("window_start", .int, minimum: 1, nullable: true, doc: "first step of the fit window (default T/10)"),
        Parameter("window_end", .int, minimum: 1, nullable: true, doc: "last step of the fit window (default T)"),
        Parameter("tolerance", .float, default: .double(2), minimum: 1, doc: "factor around the fit that counts as on the power law"),
    ]
    public static let outputs = [OutputFile("summary.json", doc: "alpha, coefficient, r_squared, window, fast_phase_end")]

    public static func run(inputs: StageInputs, parameters p: Parameters, context: StageContext) throws -> Artifact {
        let trajectory = try TrainingTrajectory(artifact: try inputs.one("trajectory"), from: "trajectory")
        let fit: PowerLawFit
        do {
            fit = try PowerLawFit(steps: trajectory.losses.map(\.step), losses: trajectory.losses.map(\.train),
                                  windowStart: p.optionalInt("window_start"), windowEnd: p.optionalInt("window_end"),
                                  tolerance: p.double("tolerance"))
        } catch {
            throw PipelineError(.stageFailed, "\(name): \(error); set window_start/window_end or log more points (train.gd log_points)")
        }
        return Artifact(kind: .table, summary: [
            "alpha": .double(fit.alpha), "coefficient": .double(fit.coefficient), "r_squared": .double(fit.rSquared),
            "window_start": .int(fit.windowStart), "window_end": .int(fit.windowEnd),
            "fast_phase_end": fit.fastPhaseEnd.map(Value.int) ?? .null,
        ])
    }
}
