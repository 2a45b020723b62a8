import ArgumentParser
import Foundation
import TangentCore

/// `tangent bench sha256`: SHA256Sum.hexOfFile against the system's `sha256sum` on the same file in the same run.
struct BenchSHA256Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sha256",
        abstract: "File hashing: SHA256Sum.hexOfFile (swift-crypto) vs the system sha256sum on the same file.",
        discussion: """
            Writes a temporary file of pseudo-random bytes, hashes it once with each tool to bring it into the page \
            cache, then times both (interleaved, best of --repeats), checks that the digests agree, and deletes the \
            file. MB/s counts 10^6 bytes per second.
            """
    )

    @Option(name: .customLong("size-mb"), help: "Size of the temporary file in MiB.") var sizeMB = 1024
    @Option(help: "Timed repetitions per tool (best is reported, after one warm-up run each).") var repeats = 3
    @Option(help: "Folder for the temporary file (default: the system's temporary folder).") var directory: String?
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        guard sizeMB > 0 else { throw ValidationError("--size-mb must be positive") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
    }

    func run() throws {
        guard let tool = Self.findExecutable("sha256sum") else {
            throw ValidationError("sha256sum was not found on PATH; it is the reference this benchmark compares with "
                                  + "(Debian: package coreutils)")
        }
        let folder = directory.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
        let file = folder.appendingPathComponent("tangent-sha256-bench-\(UUID().uuidString).bin")
        let bytes = sizeMB << 20
        FileHandle.standardError.write(Data("  writing \(sizeMB) MiB to \(file.path)\n".utf8))
        try Self.writeRandomFile(file, bytes: bytes)
        defer { try? FileManager.default.removeItem(at: file) }

        var ours = "", theirs = ""
        var failure: (any Error)?
        let times = Self.bestTimes(repeats: repeats, [
            {
                do { ours = try SHA256Sum.hexOfFile(at: file) } catch { failure = error }
            },
            {
                do { theirs = try Self.systemDigest(tool, file) } catch { failure = error }
            },
        ])
        if let failure { throw failure }
        guard ours == theirs else {
            throw ValidationError("the digests disagree: SHA256Sum \(ours), sha256sum \(theirs)")
        }
        let oursMBs = Double(bytes) / times[0] / 1e6
        let theirsMBs = Double(bytes) / times[1] / 1e6
        if json {
            let report: [String: Any] = [
                "benchmark": "sha256", "bytes": bytes, "repeats": repeats, "digest": ours,
                "sha256sum_path": tool,
                "tangent_seconds": Self.fourDigits(times[0]), "sha256sum_seconds": Self.fourDigits(times[1]),
                "tangent_mb_per_s": Self.fourDigits(oursMBs), "sha256sum_mb_per_s": Self.fourDigits(theirsMBs),
                "tangent_over_sha256sum": Self.fourDigits(oursMBs / theirsMBs),
            ]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        func row(_ label: String, _ seconds: Double, _ rate: Double) -> String {
            "  " + label.padding(toLength: 34, withPad: " ", startingAt: 0)
                + String(format: "%8.3f s %9.0f MB/s", seconds, rate)
        }
        print([
            "SHA-256 of a \(sizeMB) MiB file in the page cache (best of \(repeats), interleaved)",
            row("SHA256Sum.hexOfFile (swift-crypto)", times[0], oursMBs),
            row("sha256sum (\(tool))", times[1], theirsMBs),
            String(format: "  ratio SHA256Sum / sha256sum: %.2f", oursMBs / theirsMBs),
            "  digests agree: \(ours)",
        ].joined(separator: "\n"))
    }

    /// Best wall time of each body over `repeats` interleaved rounds (A, B, A, B, ...), after one warm-up call
    /// each (which also brings the file into the page cache). Kept in this file so that the command depends on
    /// nothing but TangentCore's `Machine.wallSeconds`.
    static func bestTimes(repeats: Int, _ bodies: [() -> Void]) -> [Double] {
        for body in bodies { body() }
        var best = [Double](repeating: .infinity, count: bodies.count)
        for _ in 0..<max(repeats, 1) {
            for (i, body) in bodies.enumerated() {
                let start = Machine.wallSeconds()
                body()
                best[i] = min(best[i], Machine.wallSeconds() - start)
            }
        }
        return best
    }

    /// `x` to 4 significant digits, for JSON.
    static func fourDigits(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x }
        let scale = pow(10.0, Double(4 - Int(log10(abs(x)).rounded(.up))))
        return (x * scale).rounded() / scale
    }

    /// Writes `bytes` pseudo-random bytes (xoshiro256**, seed 1) to `url` in 8 MiB pieces.
    static func writeRandomFile(_ url: URL, bytes: Int) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ValidationError("cannot create \(url.path) (does the folder exist and is it writable?)")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var rng = Xoshiro256StarStar(seed: 1)
        let piece = 8 << 20
        var words = [UInt64](repeating: 0, count: piece / 8)
        var left = bytes
        while left > 0 {
            for i in words.indices { words[i] = rng.next() }
            let count = min(left, piece)
            try handle.write(contentsOf: words.withUnsafeBytes { Data($0.prefix(count)) })
            left -= count
        }
    }

    /// The digest `sha256sum` prints for `url`.
    static func systemDigest(_ tool: String, _ url: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [url.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0, let digest = text.split(separator: " ").first, digest.count == 64 else {
            throw ValidationError("\(tool) failed (status \(process.terminationStatus)): \(text)")
        }
        return String(digest)
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
