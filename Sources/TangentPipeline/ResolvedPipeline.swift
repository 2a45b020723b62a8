import Foundation
import TangentCore

/// A pipeline after parsing, overrides and validation: every stage's type found, parameters typed and defaulted,
/// inputs wired, stages in dependency order.
public struct ResolvedPipeline: @unchecked Sendable {
    public var name: String
    public var description: String?
    public var seed: Int
    public var precision: Precision
    /// Thread budget (nil: all cores).
    public var threads: Int?
    /// Dependency order: every stage comes after the stages it reads from (file order among independent ones).
    public var stages: [ResolvedStage]
    /// The pipeline file (absolute path).
    public var file: String
    public var profile: String?
    /// The overrides applied, as written (profile first, then command line).
    public var overrides: [String]
    /// The sweep: the file's `sweep:` block with the command line's `--sweep` axes (empty: a single run).
    public var sweep: SweepSpec
    /// The file's claims, checks parsed and validated (evaluated after the run or sweep; never part of a cache key).
    /// Empty for the points of a sweep: the sweep evaluates them on its aggregate.
    public var claims: [Claim] = []
    /// Warnings found while validating (a valid pipeline has no errors, but may have warnings).
    public var warnings: [Diagnostic] = []

    public var pipelineDirectory: URL { URL(fileURLWithPath: file).deletingLastPathComponent() }

    public func stage(_ id: String) -> ResolvedStage? { stages.first { $0.id == id } }

    /// The resolved configuration as a value (for manifest.json and config.resolved.yaml).
    public var configValue: Value {
        var stageValues: [String: Value] = [:]
        for stage in stages {
            var entry: [String: Value] = ["use": .string(stage.type.name), "with": .object(stage.parameters.values)]
            if !stage.inputs.isEmpty {
                entry["from"] = .object(Dictionary(uniqueKeysWithValues: stage.inputs.map { input in
                    (input.slot, input.many ? .list(input.upstream.map(Value.string)) : .string(input.upstream[0]))
                }))
            }
            stageValues[stage.id] = .object(entry)
        }
        var top: [String: Value] = [
            "pipeline": .string(name), "seed": .int(seed), "precision": .string(precision.rawValue),
            "stages": .object(stageValues),
        ]
        if let description { top["description"] = .string(description) }
        if let threads { top["threads"] = .int(threads) }
        return .object(top)
    }

    /// config.resolved.yaml: the resolved configuration in file order, defaults filled in.
    public var resolvedYAML: String {
        var lines = ["pipeline: \(yamlScalar(.string(name)))"]
        if let description { lines.append("description: \(yamlScalar(.string(description)))") }
        lines.append("seed: \(seed)")
        lines.append("precision: \(precision.rawValue)")
        if let threads { lines.append("threads: \(threads)") }
        if let profile { lines.append("# profile: \(profile)") }
        for o in overrides { lines.append("# override: \(o)") }
        lines.append("stages:")
        for stage in stages {
            lines.append("  \(stage.id):")
            lines.append("    use: \(stage.type.name)")
            if !stage.inputs.isEmpty {
                lines.append("    from:")
                for input in stage.inputs {
                    let v = input.many ? "[" + input.upstream.joined(separator: ", ") + "]" : input.upstream[0]
                    lines.append("      \(input.slot): \(v)")
                }
            }
            if !stage.parameters.values.isEmpty {
                lines.append("    with:")
                for key in stage.parameters.values.keys.sorted() {
                    lines.append("      \(key): \(yamlScalar(stage.parameters.values[key]!))")
                }
            }
        }
        if !claims.isEmpty {
            lines.append("claims:")
            for claim in claims {
                lines.append("  - that: \(jsonQuoted(claim.that))")
                lines.append("    check: \(jsonQuoted(claim.check))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// YAML flow text for a value (strings quoted when YAML would read them as something else).
func yamlScalar(_ v: Value) -> String {
    switch v {
    case .string(let s):
        let plainSafe = !s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber || "_-./".contains($0) }
            && Double(s) == nil && !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(s.lowercased())
        return plainSafe ? s : jsonQuoted(s)
    case .list(let items): return "[" + items.map(yamlScalar).joined(separator: ", ") + "]"
    case .object(let fields):
        return "{" + fields.keys.sorted().map { "\($0): \(yamlScalar(fields[$0]!))" }.joined(separator: ", ") + "}"
    default: return v.yamlText
    }
}

/// One stage of a resolved pipeline.
public struct ResolvedStage: @unchecked Sendable {
    public var id: String
    public var type: any Stage.Type
    public var parameters: Parameters
    /// Connected input slots in the order the stage declares them.
    public var inputs: [(slot: String, upstream: [String], many: Bool)]
    public var location: SourceLocation
    /// Where each parameter set in the stage's `with:` got its value: the value node in the file, or the profile
    /// entry's or command-line override's value when one of those set it. Parameters left at their defaults have
    /// no entry.
    public var parameterLocations: [String: SourceLocation] = [:]
    /// Where each connected input slot is wired: the value node of `from.<slot>`.
    public var inputLocations: [String: SourceLocation] = [:]
    /// The `with:` key of the stage, if it has one.
    public var withLocation: SourceLocation? = nil

    /// Every upstream stage id this stage reads from.
    public var dependencies: [String] { inputs.flatMap(\.upstream) }
}
