import Foundation
import TangentCore

/// One row of a tidy metrics table (`metrics.csv`: `step,key,value`).
public struct MetricRow: Sendable, Equatable {
    public var step: Double
    public var key: String
    public var value: Double

    public init(step: Double, key: String, value: Double) {
        self.step = step
        self.key = key
        self.value = value
    }
}

/// The generic artifact of analysis stages: named arrays, `.npz` archives, a summary, a tidy metrics table and
/// other files.
///
/// On disk: `arrays[name]` → `<name>.npy`; `archives[file]` → `<file>` (an `.npz` of named arrays);
/// `summary` → `summary.json`; `metrics` → `metrics.csv` (`step,key,value`); `files[name]` → `<name>` as given.
public struct Table: ArtifactValue, Equatable {
    public typealias Shape = TableShape
    public static var kind: ArtifactKind { .table }
    public var shape: TableShape { TableShape() }

    public var arrays: [String: NPYArray]
    public var archives: [String: [NamedArray]]
    public var summary: [String: Value]
    public var metrics: [MetricRow]
    public var files: [String: Data]

    public struct NamedArray: Sendable, Equatable {
        public var name: String
        public var array: NPYArray
        public init(_ name: String, _ array: NPYArray) {
            self.name = name
            self.array = array
        }
    }

    public init(arrays: [String: NPYArray] = [:], archives: [String: [NamedArray]] = [:],
                summary: [String: Value] = [:], metrics: [MetricRow] = [], files: [String: Data] = [:]) {
        self.arrays = arrays
        self.archives = archives
        self.summary = summary
        self.metrics = metrics
        self.files = files
    }

    /// The array `name`, or an error listing the arrays there are.
    public func array(_ name: String) throws -> NPYArray {
        guard let array = arrays[name] else {
            throw PipelineError(.artifact, "no array `\(name)` (there are: \(arrays.keys.sorted().joined(separator: ", ")))")
        }
        return array
    }

    public init(reading folder: ArtifactFolder) throws {
        self.init()
        for name in folder.index.arrays { arrays[name] = try folder.array(name) }
        for file in folder.index.archives {
            archives[file] = try folder.archive(file).map { NamedArray($0.name, $0.array) }
        }
        for name in folder.index.files { files[name] = try folder.data(name) }
        summary = try folder.summary()
        metrics = try folder.metrics()
    }

    public func write(to writer: ArtifactWriter) throws {
        for (name, array) in arrays.sorted(by: { $0.key < $1.key }) { try writer.write(array, as: name) }
        for (file, members) in archives.sorted(by: { $0.key < $1.key }) {
            try writer.writeArchive(members.map { ($0.name, $0.array) }, as: file)
        }
        for (name, data) in files.sorted(by: { $0.key < $1.key }) { try writer.write(data, as: name) }
        try writer.writeSummary(summary)
        try writer.writeMetrics(metrics)
    }
}
