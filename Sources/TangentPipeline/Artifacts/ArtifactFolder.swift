import Foundation
import TangentCore

/// `artifact.json`: the kind of a stage's artifact and the files it wrote, so the artifact can be read back.
public struct ArtifactIndex: Sendable, Equatable {
    public static let fileName = "artifact.json"
    public var kind: ArtifactKind
    /// `<name>.npy` files, by name.
    public var arrays: [String]
    /// `.npz` archives, by file name.
    public var archives: [String]
    /// Other files the stage wrote (besides summary.json and metrics.csv), by file name.
    public var files: [String]

    var value: Value {
        .object(["kind": .string(kind.rawValue), "arrays": .list(arrays.map(Value.string)),
                 "archives": .list(archives.map(Value.string)), "files": .list(files.map(Value.string))])
    }

    init(kind: ArtifactKind, arrays: [String], archives: [String], files: [String]) {
        self.kind = kind
        self.arrays = arrays
        self.archives = archives
        self.files = files
    }

    init(_ value: Value, source: String) throws {
        func names(_ key: String) throws -> [String] {
            guard let list = value[key]?.listValue else { throw invalid("has no `\(key)` list") }
            return try list.map { item in
                guard let name = item.stringValue, !name.isEmpty, !name.contains("/"), name != "..", name != "." else {
                    throw invalid("lists `\(item.yamlText)`, which is not a file name in the folder")
                }
                return name
            }
        }
        func invalid(_ problem: String) -> PipelineError {
            PipelineError(.artifact, "\(source) \(problem): the stage folder is damaged; re-run with --rerun for that stage")
        }
        guard let kind = value["kind"]?.stringValue else { throw invalid("has no kind") }
        self.init(kind: ArtifactKind(rawValue: kind), arrays: try names("arrays"), archives: try names("archives"),
                  files: try names("files"))
    }
}

/// A finished stage's folder, read by the artifact types (`ArtifactValue.init(reading:)`). Every read checks what
/// it reads: a missing, truncated or malformed file is an error naming it, never an empty value.
public struct ArtifactFolder: Sendable {
    public let url: URL
    /// The stage that wrote it, for messages.
    public let stageID: String
    public let index: ArtifactIndex

    /// Opens the folder of stage `stageID`, reading its `artifact.json`.
    public init(url: URL, stageID: String) throws {
        self.url = url
        self.stageID = stageID
        let indexURL = url.appendingPathComponent(ArtifactIndex.fileName)
        let text = try Self.readText(indexURL, stageID: stageID)
        let parsed: Value
        do { parsed = try JSONReader.parse(text) } catch {
            throw PipelineError(.artifact, "\(indexURL.path) is not valid JSON (\(error)); re-run stage `\(stageID)`")
        }
        index = try ArtifactIndex(parsed, source: indexURL.path)
    }

    /// The path of a file in the folder.
    public func path(_ file: String) -> URL { url.appendingPathComponent(file) }

    /// Every file of the artifact, sorted.
    public var fileNames: [String] {
        var names = index.arrays.map { "\($0).npy" } + index.archives + index.files + [ArtifactIndex.fileName]
        for extra in ["summary.json", "metrics.csv"] where contains(extra) { names.append(extra) }
        return names.sorted()
    }

    /// True when the folder holds `file`.
    public func contains(_ file: String) -> Bool { FileManager.default.fileExists(atPath: path(file).path) }

    /// True when the stage wrote the array `<name>.npy`.
    public func hasArray(_ name: String) -> Bool { index.arrays.contains(name) }

    /// The whole array `<name>.npy`.
    public func array(_ name: String) throws -> NPYArray {
        guard hasArray(name) else {
            throw PipelineError(.artifact, "stage `\(stageID)` wrote no array `\(name)` (it has: "
                                + index.arrays.sorted().joined(separator: ", ") + ")")
        }
        do { return try NPY.read(contentsOf: path("\(name).npy")) } catch {
            throw PipelineError(.artifact, "cannot read \(name).npy of stage `\(stageID)`", cause: error)
        }
    }

    /// The members of the archive `file` (an `.npz`), in order.
    public func archive(_ file: String) throws -> [(name: String, array: NPYArray)] {
        guard index.archives.contains(file) else {
            throw PipelineError(.artifact, "stage `\(stageID)` wrote no archive `\(file)`")
        }
        do { return try NPZ.readOrdered(contentsOf: path(file)) } catch {
            throw PipelineError(.artifact, "cannot read \(file) of stage `\(stageID)`", cause: error)
        }
    }

    /// The members of the archive `file`, each mapped rather than read (`MappedNPY`: slices are copied out on
    /// demand and their pages released), in archive order.
    public func mappedArchive(_ file: String) throws -> [(name: String, array: MappedNPY)] {
        guard index.archives.contains(file) else {
            throw PipelineError(.artifact, "stage `\(stageID)` wrote no archive `\(file)`")
        }
        do {
            return try NPZ.memberNames(contentsOf: path(file)).map { ($0, try NPZ.mappedMember($0, contentsOf: path(file))) }
        } catch {
            throw PipelineError(.artifact, "cannot read \(file) of stage `\(stageID)`", cause: error)
        }
    }

    /// The bytes of a file the stage wrote.
    public func data(_ file: String) throws -> Data {
        do { return try Data(contentsOf: path(file)) } catch {
            throw PipelineError(.artifact, "cannot read \(file) of stage `\(stageID)`: the stage folder is damaged; re-run it")
        }
    }

    /// summary.json ([:] when the stage wrote none); malformed JSON is an error.
    public func summary() throws -> [String: Value] {
        let file = path("summary.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return [:] }
        let text = try Self.readText(file, stageID: stageID)
        guard let object = (try? JSONReader.parse(text))?.objectValue else {
            throw PipelineError(.artifact, "\(file.path) is not a valid JSON object (truncated or edited?); re-run stage `\(stageID)`")
        }
        return object
    }

    /// metrics.csv rows ([] when the stage wrote none); a malformed row is an error.
    public func metrics() throws -> [MetricRow] {
        let file = path("metrics.csv")
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        let lines = try Self.readText(file, stageID: stageID).split(separator: "\n")
        guard lines.first == "step,key,value" else {
            throw PipelineError(.artifact, "\(file.path) does not start with the header step,key,value; re-run stage `\(stageID)`")
        }
        return try lines.dropFirst().map { line in
            let parts = splitCSVRow(String(line))
            guard parts.count == 3, let step = parseNumber(parts[0]), let value = parseNumber(parts[2]) else {
                throw PipelineError(.artifact, "\(file.path): bad row `\(line)`; re-run stage `\(stageID)`")
            }
            return MetricRow(step: step, key: parts[1], value: value)
        }
    }

    static func readText(_ url: URL, stageID: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PipelineError(.artifact, "cannot read \(url.path): the folder of stage `\(stageID)` is damaged; re-run it")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError(.artifact, "\(url.path) is not UTF-8 text; re-run stage `\(stageID)`")
        }
        return text
    }
}

/// numpy's text for special values (`nan`, `inf`, `-inf`) and plain numbers.
func parseNumber(_ text: String) -> Double? {
    switch text {
    case "nan": return .nan
    case "inf": return .infinity
    case "-inf": return -.infinity
    default: return Double(text)
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
