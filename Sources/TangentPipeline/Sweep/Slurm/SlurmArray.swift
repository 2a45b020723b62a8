import Foundation

/// A sweep as Slurm job arrays: `OUT/slurm/array.sbatch` runs line `SLURM_ARRAY_TASK_ID + TANGENT_ARRAY_OFFSET`
/// (times `pack`) of `OUT/slurm/tasks.jsonl`; `aggregate.sbatch` writes the sweep's results once every array
/// element succeeded (`--dependency=afterok:<array ids>`).
///
/// A cluster accepts array indices below its `MaxArraySize` only, so a sweep of more elements is submitted as
/// several arrays of the same script, each with `--array=0-(n-1)` and its offset in `TANGENT_ARRAY_OFFSET`.
public struct SlurmArray: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// Tasks per array element, run one after another (`--pack`).
        public var pack = 1
        /// Array elements running at once (`%K`), nil for the cluster's limit.
        public var maxParallel: Int?
        public var cpusPerTask = 1
        /// `--time` (Slurm's formats, e.g. `30`, `2:00:00`, `1-00:00:00`), partition and account, when given.
        public var time: String?
        public var partition: String?
        public var account: String?

        public init() {}
    }

    /// One `sbatch` of the array script: `--array=0-(count-1)` with `offset` in the environment.
    public struct Chunk: Sendable, Equatable {
        public var offset: Int
        public var count: Int
    }

    public var tasks: Int
    public var settings: Settings
    /// The cluster's `MaxArraySize` (array indices must be below it).
    public var maxArraySize: Int

    public init(tasks: Int, settings: Settings, maxArraySize: Int) {
        self.tasks = tasks
        self.settings = settings
        self.maxArraySize = max(1, maxArraySize)
    }

    /// Array elements: tasks / pack, rounded up.
    public var elements: Int { (tasks + settings.pack - 1) / settings.pack }

    /// The arrays to submit, each at most `maxArraySize` elements.
    public var chunks: [Chunk] {
        stride(from: 0, to: elements, by: maxArraySize).map { Chunk(offset: $0, count: min(maxArraySize, elements - $0)) }
    }

    /// `0-(n-1)` with `%K` when a limit is set.
    public func arraySpec(_ chunk: Chunk) -> String {
        "0-\(chunk.count - 1)" + (settings.maxParallel.map { "%\($0)" } ?? "")
    }

    /// The array script: its `#SBATCH` lines carry the first chunk's `--array`; later chunks override it on the
    /// `sbatch` command line.
    public func script(tangent: String, tasksFile: String, logs: String, jobName: String, directory: String) -> String {
        var lines = ["#!/bin/bash", "# Written by `tangent sweep submit --slurm`: one sweep point (or --pack points) per array element.",
                     "#SBATCH --job-name=\(jobName)"]
        if let first = chunks.first { lines.append("#SBATCH --array=\(arraySpec(first))") }
        lines += sbatchOptions(logs: logs, output: "%A_%a.out", directory: directory)
        lines += [
            "set -euo pipefail",
            "index=$((SLURM_ARRAY_TASK_ID + ${TANGENT_ARRAY_OFFSET:-0}))",
            "exec \(shellQuoted(tangent)) run --tasks \(shellQuoted(tasksFile)) --index \"$index\" --pack \(settings.pack) --wait",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The aggregation script: `tangent sweep aggregate OUT`.
    public func aggregationScript(tangent: String, sweepFolder: String, logs: String, jobName: String,
                                  directory: String) -> String {
        var lines = ["#!/bin/bash", "# Written by `tangent sweep submit --slurm`: collects the sweep's results once every point finished.",
                     "#SBATCH --job-name=\(jobName)-aggregate"]
        var settings = self.settings
        settings.cpusPerTask = 1
        lines += SlurmArray(tasks: tasks, settings: settings, maxArraySize: maxArraySize)
            .sbatchOptions(logs: logs, output: "aggregate-%j.out", directory: directory)
        lines += ["set -euo pipefail", "exec \(shellQuoted(tangent)) sweep aggregate \(shellQuoted(sweepFolder))"]
        return lines.joined(separator: "\n") + "\n"
    }

    func sbatchOptions(logs: String, output: String, directory: String) -> [String] {
        var lines = ["#SBATCH --cpus-per-task=\(settings.cpusPerTask)",
                     "#SBATCH --output=\(logs)/\(output)", "#SBATCH --chdir=\(directory)"]
        if let time = settings.time { lines.append("#SBATCH --time=\(time)") }
        if let partition = settings.partition { lines.append("#SBATCH --partition=\(partition)") }
        if let account = settings.account { lines.append("#SBATCH --account=\(account)") }
        return lines
    }

    /// `MaxArraySize` from `scontrol show config` output (`MaxArraySize = 1001`); nil when absent.
    public static func maxArraySize(fromConfig text: String) -> Int? {
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "MaxArraySize", let n = Int(parts[1]), n > 0 { return n }
        }
        return nil
    }

    /// The job id in `sbatch --parsable` output (`123` or `123;cluster`).
    public static func jobID(fromParsable text: String) -> String? {
        let first = text.split(whereSeparator: \.isNewline).last.map(String.init)?.split(separator: ";").first
        return first.flatMap { $0.allSatisfy(\.isNumber) && !$0.isEmpty ? String($0) : nil }
    }
}

/// A word quoted for a POSIX shell (plain words as they are).
public func shellQuoted(_ word: String) -> String {
    let plain = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=,:@%+".contains($0)) }
    return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
