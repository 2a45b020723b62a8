import Foundation
import TangentCore

/// What a running stage may use besides its inputs and parameters.
public struct StageContext {
    /// The stage's id in the pipeline file.
    public let stageID: String
    /// The run's seed (`seed:` in the pipeline file).
    public let seed: Int
    public let precision: Precision
    /// Threads this stage may use (OpenMP kernels and BLAS are set to this budget before `run`).
    public let threads: Int
    public let progress: any ProgressReporter
    /// The stage's output folder: stream large arrays into it, or return an artifact that the engine writes there.
    public let output: ArtifactWriter
    /// The folder of the pipeline file, against which relative paths resolve.
    public let pipelineDirectory: URL

    public init(stageID: String, seed: Int, precision: Precision, threads: Int, progress: any ProgressReporter,
                output: ArtifactWriter, pipelineDirectory: URL) {
        self.stageID = stageID
        self.seed = seed
        self.precision = precision
        self.threads = threads
        self.progress = progress
        self.output = output
        self.pipelineDirectory = pipelineDirectory
    }

    /// A random generator for this stage: stream `stream` of the run's seed mixed with the stage id, so every
    /// stage draws independent, reproducible numbers, and renaming nothing else changes them.
    public func rng(stream: UInt64 = 0) -> Xoshiro256StarStar {
        let digest = SHA256Sum.hex(of: "\(stageID)#\(stream)")
        let mixed = digest.prefix(16).reduce(UInt64(0)) { $0 << 4 | UInt64($1.hexDigitValue ?? 0) }
        return Xoshiro256StarStar(seed: UInt64(bitPattern: Int64(seed)), stream: mixed | 1)
    }

    /// Writes a line to the run log.
    public func log(_ message: String) { progress.log("[\(stageID)] \(message)") }

    /// Writes a warning to the run log.
    public func warn(_ message: String) { progress.log("[\(stageID)] warning: \(message)") }
}
