import Foundation

/// Runs one task of a sweep (a point) in this process: `tangent run --tasks FILE --index I`.
public enum SweepTaskRunner {
    /// Loads the task's pipeline with its profile and overrides and runs it into its run folder, sharing stages
    /// through the sweep's store; the point evaluates no claims (the sweep does, on its aggregate). Threads: the
    /// task's, else `SLURM_CPUS_PER_TASK`, else the pipeline's.
    public static func run(_ task: SweepTask, registry: StageRegistry, options: RunOptions) throws -> RunResult {
        var pipeline = try PipelineLoader.loadPoint(file: task.file, overrides: task.overrides, profile: task.profile,
                                                    registry: registry)
        pipeline.sweep = SweepSpec()
        if let threads = task.threads {
            pipeline.threads = threads
        } else if let slurm = ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init), slurm > 0 {
            pipeline.threads = slurm
        }
        var options = options
        options.outputDirectory = URL(fileURLWithPath: task.runFolder)
        options.store = task.store.map { URL(fileURLWithPath: $0) }
        options.evaluateClaims = false
        return try PipelineRunner(options: options).run(pipeline)
    }
}
