/// Text and Markdown descriptions of stages, generated from their static metadata (used by `tangent describe`,
/// `tangent stages --markdown` and docs/stages.md, which a test keeps in sync).
public enum StageDocumentation {
    /// `tangent describe NAME`.
    public static func text(for stage: any Stage.Type) -> String {
        var lines = ["\(stage.name) (version \(stage.version)) — \(stage.summary)"]
        if stage.doc != stage.summary { lines += ["", stage.doc] }
        lines += ["", "Inputs:"]
        if stage.inputs.isEmpty { lines.append("  (none)") }
        for slot in stage.inputs {
            let card = (slot.required ? "required" : "optional") + (slot.many ? ", one or more" : "")
            lines.append("  \(slot.name): \(slot.kind) (\(card)) — \(slot.doc)")
        }
        lines += ["", "Parameters:"]
        if stage.parameters.isEmpty { lines.append("  (none)") }
        for p in stage.parameters { lines += parameterLines(p, indent: "  ") }
        lines += ["", "Output: a \(stage.outputKind) artifact"]
        for file in stage.outputs { lines.append("  \(file.name) — \(file.doc)") }
        return lines.joined(separator: "\n")
    }

    private static func parameterLines(_ p: Parameter, indent: String) -> [String] {
        var facts = [p.type.description]
        if let d = p.defaultValue { facts.append("default \(d.yamlText)") } else if p.nullable { facts.append("optional") } else { facts.append("required") }
        if !p.rangeDescription.isEmpty { facts.append(p.rangeDescription) }
        var lines = ["\(indent)\(p.name): \(facts.joined(separator: ", ")) — \(p.doc)"]
        if case .object(let fields) = p.type { for f in fields { lines += parameterLines(f, indent: indent + "  ") } }
        return lines
    }

    /// docs/stages.md: every registered stage with its slots, parameters and outputs.
    public static func markdown(for registry: StageRegistry) -> String {
        var out = """
        # Stage reference

        Generated from the stages' own schemas by `tangent stages --markdown`; a test fails when this file is stale.
        Each stage is used in a pipeline file as `<id>: { use: NAME, from: { slot: stage-id }, with: { param: value } }`.

        """
        if registry.stages.isEmpty { out += "\nNo stages are registered yet.\n" }
        for stage in registry.stages {
            out += "\n## `\(stage.name)`\n\n\(stage.summary)"
            if stage.doc != stage.summary { out += "\n\n\(stage.doc)" }
            out += "\n\nVersion \(stage.version). Produces a `\(stage.outputKind)` artifact.\n"
            if !stage.inputs.isEmpty {
                out += "\n| input slot | kind | | doc |\n|---|---|---|---|\n"
                for s in stage.inputs {
                    out += "| `\(s.name)` | \(s.kind) | \(s.required ? "required" : "optional")\(s.many ? ", many" : "") | \(s.doc) |\n"
                }
            }
            if !stage.parameters.isEmpty {
                out += "\n| parameter | type | default | range | doc |\n|---|---|---|---|---|\n"
                for p in flattened(stage.parameters, prefix: "") {
                    let d = p.0.defaultValue.map { "`\($0.yamlText)`" } ?? (p.0.nullable ? "—" : "**required**")
                    out += "| `\(p.1)` | \(p.0.type.description.replacingOccurrences(of: "|", with: "\\|")) | \(d) | \(p.0.rangeDescription) | \(p.0.doc) |\n"
                }
            }
            if !stage.outputs.isEmpty {
                out += "\n| output file | contents |\n|---|---|\n"
                for f in stage.outputs { out += "| `\(f.name)` | \(f.doc) |\n" }
            }
        }
        return out
    }

    private static func flattened(_ parameters: [Parameter], prefix: String) -> [(Parameter, String)] {
        parameters.flatMap { p -> [(Parameter, String)] in
            let name = prefix + p.name
            if case .object(let fields) = p.type { return [(p, name)] + flattened(fields, prefix: name + ".") }
            return [(p, name)]
        }
    }
}
