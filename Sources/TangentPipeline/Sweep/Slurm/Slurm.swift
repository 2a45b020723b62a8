import Foundation

/// The few Slurm commands a sweep uses: `scontrol show config` (MaxArraySize), `sbatch --parsable`, and `squeue`
/// for `tangent sweep status`. Each is looked up on PATH; a missing one is a clear error (or skipped, for status).
public enum Slurm {
    /// The cluster's `MaxArraySize`, or 1001 (Slurm's default) when `scontrol` is missing or does not say.
    public static func maxArraySize() -> (value: Int, known: Bool) {
        guard let output = try? run("scontrol", ["show", "config"]), output.status == 0,
              let n = SlurmArray.maxArraySize(fromConfig: output.stdout) else { return (1001, false) }
        return (n, true)
    }

    /// Runs `sbatch arguments` and returns the job id.
    public static func submit(_ arguments: [String]) throws -> String {
        let output: (status: Int32, stdout: String, stderr: String)
        do { output = try run("sbatch", arguments) } catch {
            throw PipelineError(.sweep, "cannot run sbatch: \(userMessage(error)); is Slurm installed here (is sbatch on "
                                + "PATH)? Use --dry-run to write the scripts only")
        }
        guard output.status == 0, let id = SlurmArray.jobID(fromParsable: output.stdout) else {
            let reason = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw PipelineError(.sweep, "sbatch \(arguments.map(shellQuoted).joined(separator: " ")) failed (status "
                                + "\(output.status))" + (reason.isEmpty ? "" : ": \(reason)"))
        }
        return id
    }

    /// Lines on the sweep's Slurm jobs, when it was submitted: their states in the queue (`squeue`) and, when
    /// the cluster keeps accounting, how the finished ones ended (`sacct`). A missing command is said, not fatal.
    public static func jobs(in folder: SweepFolder) -> String? {
        guard let text = FileSystem.readSmallFile(folder.slurmURL.appendingPathComponent("jobs.json").path),
              let jobs = try? JSONReader.parse(text) else { return nil }
        let ids = (jobs["arrays"]?.listValue?.compactMap(\.stringValue) ?? []) + [jobs["aggregate"]?.stringValue].compactMap { $0 }
        guard !ids.isEmpty else { return nil }
        var lines: [String] = []
        if let output = try? run("squeue", ["-h", "-j", ids.joined(separator: ","), "-o", "%i %T"]), output.status == 0 {
            lines.append("slurm jobs \(ids.joined(separator: ", ")) in the queue: " + counted(output.stdout))
        } else {
            lines.append("slurm jobs \(ids.joined(separator: ", ")) (squeue unavailable)")
        }
        if let output = try? run("sacct", ["-n", "-P", "-X", "-j", ids.joined(separator: ","), "-o", "JobID,State"]),
           output.status == 0, !output.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            lines.append("slurm accounting: " + counted(output.stdout.replacingOccurrences(of: "|", with: " ")))
        }
        return lines.joined(separator: "\n")
    }

    /// "2 running, 1 pending" from lines whose last word is a state.
    static func counted(_ text: String) -> String {
        var states: [String: Int] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            if let state = line.split(separator: " ").last { states[String(state).lowercased(), default: 0] += 1 }
        }
        return states.isEmpty ? "none" : states.keys.sorted().map { "\(states[$0]!) \($0)" }.joined(separator: ", ")
    }

    /// Runs a program found on PATH and collects its output.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else {
            throw PipelineError(.sweep, "`\(program)` is not on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently so that neither fills up.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: errData.value, as: UTF8.self))
    }

    private final class LockedData: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        func set(_ d: Data) { lock.withLock { data = d } }
        var isSet: Bool { lock.withLock { data != nil } }
        var value: Data { lock.withLock { data ?? Data() } }
    }
}

/// Small text files of the sweep commands (scripts, job lists), written atomically, parents created.
public enum AtomicText {
    public static func write(_ text: String, to url: URL) throws {
        try makeFolder(url.deletingLastPathComponent())
        try AtomicFileWriter.write(Data(text.utf8), to: url)
    }

    public static func makeFolder(_ url: URL) throws {
        do { try FileSystem.makeDirectories(url.path) } catch {
            throw PipelineError(.io, "cannot create the folder \(url.path); check that you may write there", cause: error)
        }
    }
}
