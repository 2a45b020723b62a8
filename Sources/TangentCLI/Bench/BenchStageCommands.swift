import ArgumentParser
import Foundation
import TangentBench
import TangentCore

struct BenchNTKStageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntk-stage",
        abstract: "The ntk.compute stage end to end vs the kernel computation alone (target: at most 1.15×).")

    @OptionGroup var network: ReferenceNetworkOptions
    @Option(help: "Timed runs of each (the best is reported).") var repeats = 3
    @Option(help: "float64 or float32.") var precision = Precision.float64
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        let report = try NTKStageBenchmark(network: network.network(), precision: precision, repeats: repeats)
            .run { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) }
        print(json ? report.json : report.table)
    }
}

struct BenchSnapshotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "Peak memory of ntk.snapshots for T = 10 and T = 60 snapshots (target: equal within 10%).")

    @Option(help: "Samples N.") var n = 1024
    @Option(help: "Input dimension d.") var d = 784
    @Option(help: "Hidden widths, comma-separated.") var hidden = "1024,1024"
    @Option(help: "Outputs (heads) C.") var outputs = 10
    @Option(help: "Snapshot counts to compare, comma-separated.") var snapshots = "10,60"
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        let counts = snapshots.split(separator: ",").compactMap { Int($0) }
        guard counts.count >= 2, counts.allSatisfy({ $0 >= 2 }) else {
            throw ValidationError("--snapshots lists two or more counts, each at least 2")
        }
    }

    func run() throws {
        let widths = hidden.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let benchmark = SnapshotMemoryBenchmark(
            network: ReferenceNetwork(n: n, d: d, widths: widths, outputs: outputs),
            counts: snapshots.split(separator: ",").compactMap { Int($0) },
            executable: URL(fileURLWithPath: "/proc/self/exe"))
        let report = try benchmark.run { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) }
        print(json ? report.json : report.table)
    }
}

extension Precision: ExpressibleByArgument {}
