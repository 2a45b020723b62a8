import Foundation
import TangentCore

/// The kind of artifact a stage produces or consumes; input slots accept only the kind they declare (or `any`).
public struct ArtifactKind: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let dataset: ArtifactKind = "dataset"
    public static let model: ArtifactKind = "model"
    public static let trajectory: ArtifactKind = "trajectory"
    public static let kernels: ArtifactKind = "kernels"
    public static let table: ArtifactKind = "table"
    public static let report: ArtifactKind = "report"
    /// In an input slot: accepts every kind.
    public static let any: ArtifactKind = "any"

    func accepts(_ other: ArtifactKind) -> Bool { self == .any || self == other }
}

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

/// What a stage produces: arrays, archives of arrays, a summary, a tidy metrics table and other files.
///
/// Artifacts pass between stages in memory and persist to the stage's folder:
/// - `arrays[name]` → `<name>.npy`
/// - `archives[file]` → `<file>` (an `.npz` of named arrays, e.g. `kernels.npz` with key `ntk`)
/// - `summary` → `summary.json`, `metrics` → `metrics.csv`, `files[name]` → `<name>` as given
/// - `artifact.json` lists the kind and the files, so a later run can load the artifact back exactly.
public struct Artifact: Sendable, Equatable {
    public var kind: ArtifactKind
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

    public init(kind: ArtifactKind, arrays: [String: NPYArray] = [:], archives: [String: [NamedArray]] = [:],
                summary: [String: Value] = [:], metrics: [MetricRow] = [], files: [String: Data] = [:]) {
        self.kind = kind
        self.arrays = arrays
        self.archives = archives
        self.summary = summary
        self.metrics = metrics
        self.files = files
    }

    /// The array `name`, or an `artifact` error naming the stage that should have produced it.
    public func array(_ name: String, from stage: String = "upstream stage") throws -> NPYArray {
        guard let array = arrays[name] else {
            throw PipelineError(.artifact, "\(stage) produced no array `\(name)` (it has: "
                                + arrays.keys.sorted().joined(separator: ", ") + ")")
        }
        return array
    }

    /// The file names this artifact writes, sorted.
    public var fileNames: [String] {
        var names = arrays.keys.map { "\($0).npy" } + archives.keys + files.keys + ["artifact.json"]
        if !summary.isEmpty { names.append("summary.json") }
        if !metrics.isEmpty { names.append("metrics.csv") }
        return names.sorted()
    }
}

// MARK: - Persistence

extension Artifact {
    static let indexFile = "artifact.json"

    /// Writes every part into `directory` (which must exist).
    public func write(to directory: URL) throws {
        for (name, array) in arrays {
            try NPY.write(array, to: directory.appendingPathComponent("\(name).npy"))
        }
        for (file, members) in archives {
            try NPZ.write(members.map { ($0.name, $0.array) }, to: directory.appendingPathComponent(file))
        }
        for (name, data) in files { try AtomicFile.write(data, to: directory.appendingPathComponent(name)) }
        if !summary.isEmpty {
            try AtomicFile.write(Data((Value.object(summary).prettyJSON() + "\n").utf8),
                                 to: directory.appendingPathComponent("summary.json"))
        }
        if !metrics.isEmpty {
            var csv = "step,key,value\n"
            for row in metrics { csv += "\(formatNumber(row.step)),\(csvField(row.key)),\(formatNumber(row.value))\n" }
            try AtomicFile.write(Data(csv.utf8), to: directory.appendingPathComponent("metrics.csv"))
        }
        let index: Value = .object([
            "kind": .string(kind.rawValue),
            "arrays": .list(arrays.keys.sorted().map(Value.string)),
            "archives": .object(archives.mapValues { .list($0.map { .string($0.name) }) }),
            "files": .list(files.keys.sorted().map(Value.string)),
        ])
        try AtomicFile.write(Data((index.prettyJSON() + "\n").utf8), to: directory.appendingPathComponent(Self.indexFile))
    }

    /// Loads an artifact written by `write(to:)`.
    static func read(from directory: URL) throws -> Artifact {
        func load(_ name: String) throws -> Data {
            do { return try Data(contentsOf: directory.appendingPathComponent(name)) } catch {
                throw PipelineError(.artifact, "cannot read \(directory.appendingPathComponent(name).path)", cause: error)
            }
        }
        let index: Value
        do { index = try JSONReader.parse(String(decoding: try load(indexFile), as: UTF8.self)) } catch {
            throw PipelineError(.artifact, "\(directory.path)/\(indexFile) is not valid", cause: error)
        }
        guard let kind = index["kind"]?.stringValue else {
            throw PipelineError(.artifact, "\(directory.path)/\(indexFile) has no kind")
        }
        var artifact = Artifact(kind: ArtifactKind(rawValue: kind))
        for name in index["arrays"]?.listValue?.compactMap(\.stringValue) ?? [] {
            artifact.arrays[name] = try NPY.read(contentsOf: directory.appendingPathComponent("\(name).npy"))
        }
        for (file, _) in index["archives"]?.objectValue ?? [:] {
            let members = try NPZ.readOrdered(contentsOf: directory.appendingPathComponent(file))
            artifact.archives[file] = members.map { NamedArray($0.name, $0.array) }
        }
        for name in index["files"]?.listValue?.compactMap(\.stringValue) ?? [] {
            artifact.files[name] = try load(name)
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: directory.appendingPathComponent("summary.json").path) {
            let text = String(decoding: try load("summary.json"), as: UTF8.self)
            artifact.summary = (try? JSONReader.parse(text))?.objectValue ?? [:]
        }
        if fm.fileExists(atPath: directory.appendingPathComponent("metrics.csv").path) {
            let lines = String(decoding: try load("metrics.csv"), as: UTF8.self).split(separator: "\n").dropFirst()
            artifact.metrics = try lines.map { line in
                let parts = splitCSVRow(String(line))
                guard parts.count == 3, let step = Double(parts[0]), let value = Double(parts[2]) else {
                    throw PipelineError(.artifact, "\(directory.path)/metrics.csv: bad row `\(line)`")
                }
                return MetricRow(step: step, key: parts[1], value: value)
            }
        }
        return artifact
    }
}

/// Integers without a decimal point, other numbers in shortest round-trip form (`nan`, `inf` as numpy writes them).
func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"
}

func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

func splitCSVRow(_ line: String) -> [String] {
    var fields: [String] = [], current = "", quoted = false
    var chars = Array(line)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { current.append("\""); chars = chars.dropFirst() } else { quoted = false }
            } else { current.append(c) }
        } else if c == "\"" { quoted = true } else if c == "," { fields.append(current); current = "" } else { current.append(c) }
    }
    fields.append(current)
    return fields
}
