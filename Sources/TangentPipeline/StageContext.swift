import Foundation
import TangentCore

/// What a running stage may use besides its inputs and parameters.
public struct StageContext: Sendable {
    /// The stage's id in the pipeline file.
    public let stageID: String
    /// The run's seed (`seed:` in the pipeline file).
    public let seed: Int
    public let precision: Precision
    /// Threads this stage may use (OpenMP kernels and BLAS are set to this budget before `run`).
    public let threads: Int
    public let progress: any ProgressReporter
    /// A fresh folder the stage may write extra files into; it becomes part of the stage's output folder.
    public let workDirectory: URL
    /// The folder of the pipeline file, against which relative paths resolve.
    public let pipelineDirectory: URL

    public init(stageID: String, seed: Int, precision: Precision, threads: Int, progress: any ProgressReporter,
                workDirectory: URL, pipelineDirectory: URL) {
        self.stageID = stageID
        self.seed = seed
        self.precision = precision
        self.threads = threads
        self.progress = progress
        self.workDirectory = workDirectory
        self.pipelineDirectory = pipelineDirectory
    }

    /// A random generator for this stage: stream `stream` of the run's seed mixed with the stage id, so every
    /// stage draws independent, reproducible numbers, and renaming nothing else changes them.
    public func rng(stream: UInt64 = 0) -> Xoshiro256StarStar {
        let digest = SHA256Sum.hex(of: "\(stageID)#\(stream)")
        let mixed = UInt64(digest.prefix(16), radix: 16)!
        return Xoshiro256StarStar(seed: UInt64(bitPattern: Int64(seed)), stream: mixed | 1)
    }

    /// Writes a line to the run log.
    public func log(_ message: String) { progress.log("[\(stageID)] \(message)") }
}
