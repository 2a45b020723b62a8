import Foundation
import TangentCore

/// Reads a pipeline file, applies a profile and overrides, and validates everything against the registry,
/// reporting every problem at once with its file:line:column, field and a remedy.
public enum PipelineLoader {
    /// Top-level fields of a pipeline file.
    static let topLevelKeys = ["pipeline", "description", "seed", "precision", "threads", "stages", "profiles", "sweep"]

    static let topLevelSchema: [Parameter] = [
        Parameter("pipeline", .string, doc: "the pipeline's name (names its run folder)"),
        Parameter("description", .string, nullable: true, doc: "what the pipeline is for"),
        Parameter("seed", .int, default: .int(0), doc: "seed of every random draw in the run"),
        Parameter("precision", .choice(Precision.allCases.map(\.rawValue)), default: .string("float64"),
                  doc: "floating-point precision of the numerics"),
        Parameter("threads", .int, minimum: 1, nullable: true, doc: "thread budget (default: all cores)"),
    ]

    /// Loads and validates the pipeline file at `path`: a regular file of at most 16 MB of UTF-8 text (see
    /// `PipelineFile`), then everything `load(text:…)` checks.
    public static func load(file path: String, overrides: [String] = [], profile: String? = nil,
                            registry: StageRegistry) throws(PipelineError) -> ResolvedPipeline {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let text = try PipelineFile.text(at: absolute)
        return try load(text: text, file: absolute, overrides: overrides, profile: profile, registry: registry)
    }

    /// Loads and validates pipeline text; `file` names it in diagnostics and anchors relative paths.
    public static func load(text: String, file: String, overrides: [String] = [], profile: String? = nil,
                            registry: StageRegistry) throws(PipelineError) -> ResolvedPipeline {
        var document = try ConfigParser.parse(text, file: file)
        var diagnostics: [Diagnostic] = []
        let top = SourceLocation(file: file, line: 1, column: 1)
        guard case .map(let topEntries) = document.value else {
            let empty = document.value == .null && isBlank(text)
            throw PipelineError.invalid([Diagnostic(
                .wrongType, empty ? "the pipeline file is empty" : "a pipeline file is a mapping with `pipeline:` and `stages:`",
                at: document.location, field: "",
                suggestion: empty ? "a pipeline file is a mapping with `pipeline:` and `stages:` (see docs/pipeline-format.md)" : nil)])
        }
        let stageIDs: [String] = {
            if case .map(let entries)? = topEntries.first(where: { $0.key == "stages" })?.value.value {
                return entries.map(\.key)
            }
            return []
        }()

        // Profile, then command-line overrides.
        var applied: [Override] = []
        if let profile {
            let (profiles, profileDiagnostics) = parseProfiles(document["profiles"]?.value, stageIDs: stageIDs)
            diagnostics += profileDiagnostics
            if let chosen = profiles[profile] {
                applied += chosen
            } else if !profileDiagnostics.contains(where: { $0.field == "profiles.\(profile)" }) {
                diagnostics.append(Diagnostic(.unknownProfile, "no profile `\(profile)` in \(file)",
                                              at: SourceLocation(file: "<command line>", line: 1, column: 1),
                                              field: "profiles",
                                              suggestion: suggestion(for: profile, among: profiles.keys.sorted())
                                                  ?? (profiles.isEmpty ? "the file defines no profiles"
                                                                       : "profiles: " + profiles.keys.sorted().joined(separator: ", "))))
            }
        }
        for (i, text) in overrides.enumerated() {
            do { applied.append(try Override.parse(text, source: "<override \(i + 1)>")) } catch {
                diagnostics += error.diagnostics
            }
        }
        for override in applied {
            switch override.documentPath(stageIDs: stageIDs) {
            case .success(let path): document.set(path[...], to: override.value, keyLocation: override.keyLocation)
            case .failure(let d): diagnostics.append(d)
            }
        }

        // Top-level fields.
        guard case .map(let entries) = document.value else { throw PipelineError.invalid(diagnostics) }
        for entry in entries where !topLevelKeys.contains(entry.key) {
            diagnostics.append(Diagnostic(.unknownKey, "unknown top-level field `\(entry.key)`", at: entry.keyLocation,
                                          field: entry.key,
                                          suggestion: suggestion(for: entry.key, among: topLevelKeys)
                                              ?? "fields are: \(topLevelKeys.joined(separator: ", "))"))
        }
        var checker = ParameterChecker(baseDirectory: URL(fileURLWithPath: file).deletingLastPathComponent())
        let scalarFields = ConfigValue.Located(.map(entries.filter { topLevelKeys.contains($0.key) && !["stages", "profiles", "sweep"].contains($0.key) }),
                                               at: top)
        let header = checker.check(scalarFields, schema: topLevelSchema, field: "", owner: "the pipeline", ownerLocation: top)
        diagnostics += checker.diagnostics.map { d in
            var d = d
            if d.field.hasPrefix(".") { d.field.removeFirst() }
            if d.code == .missingParameter {
                d.code = .missingKey
                d.message = "missing required field `\(d.field)`"
                d.location = top
                d.suggestion = "add `\(d.field): <name>` at the top of the file"
            }
            return d
        }
        checker.diagnostics = []

        // Stages.
        var stages: [ResolvedStage] = []
        var kindChecks: [(stage: String, slot: InputSlot, upstream: String, location: SourceLocation)] = []
        if let stagesEntry = document["stages"] {
            guard case .map(let stageEntries) = stagesEntry.value.value, !stageEntries.isEmpty else {
                diagnostics.append(Diagnostic(.wrongType, "`stages` must be a non-empty mapping of stage id → stage",
                                              at: stagesEntry.value.location, field: "stages"))
                throw PipelineError.invalid(diagnostics)
            }
            let ids = stageEntries.map(\.key)
            for entry in stageEntries {
                if let stage = checkStage(entry, ids: ids, registry: registry, checker: &checker,
                                          diagnostics: &diagnostics, kindChecks: &kindChecks) {
                    stages.append(stage)
                }
            }
        } else {
            diagnostics.append(Diagnostic(.missingKey, "missing required field `stages`", at: top, field: "stages",
                                          suggestion: "add a `stages:` mapping of stage id → {use, from, with}"))
        }
        diagnostics += checker.diagnostics
        checker.diagnostics = []
        for check in kindChecks {
            guard let upstream = stages.first(where: { $0.id == check.upstream }) else { continue }
            if !check.slot.kind.accepts(upstream.type.outputKind) {
                diagnostics.append(Diagnostic(
                    .slotKindMismatch,
                    "slot `\(check.slot.name)` takes a \(check.slot.kind) artifact but `\(check.upstream)` (\(upstream.type.name)) produces a \(upstream.type.outputKind)",
                    at: check.location, field: "stages.\(check.stage).from.\(check.slot.name)",
                    suggestion: "connect a stage that produces a \(check.slot.kind)"))
            }
        }

        // Sweep grid.
        let sweep = checkSweep(document["sweep"]?.value, stageIDs: stageIDs, stages: stages, header: header,
                               checker: &checker, diagnostics: &diagnostics)
        diagnostics += checker.diagnostics

        // Order (and cycles) only once everything else is sound.
        var ordered: [ResolvedStage] = []
        if diagnostics.isEmpty {
            switch order(stages) {
            case .success(let o): ordered = o
            case .failure(let d): diagnostics.append(d)
            }
        }
        if !diagnostics.isEmpty { throw PipelineError.invalid(sortedByLocation(diagnostics)) }
        return ResolvedPipeline(
            name: header["pipeline"]?.stringValue ?? "pipeline", description: header["description"]?.stringValue,
            seed: header["seed"]?.intValue ?? 0,
            precision: Precision(rawValue: header["precision"]?.stringValue ?? "float64") ?? .float64,
            threads: header["threads"]?.intValue, stages: ordered, file: file, profile: profile,
            overrides: applied.map(\.text), sweepGrid: sweep)
    }

    /// True when the text holds no YAML content (only blanks and comments).
    static func isBlank(_ text: String) -> Bool {
        text.split(whereSeparator: \.isNewline).allSatisfy { line in
            let t = line.drop { $0 == " " || $0 == "\t" }
            return t.isEmpty || t.hasPrefix("#")
        }
    }

    /// Diagnostics in file order (command-line ones last), so messages read top to bottom.
    static func sortedByLocation(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let (la, lb) = (a.element.location, b.element.location)
            let ka = (la?.file.hasPrefix("<") ?? true ? 1 : 0, la?.line ?? 0, la?.column ?? 0, a.offset)
            let kb = (lb?.file.hasPrefix("<") ?? true ? 1 : 0, lb?.line ?? 0, lb?.column ?? 0, b.offset)
            return ka < kb
        }.map(\.element)
    }

    // MARK: - Stages

    static func isValidID(_ id: String) -> Bool {
        guard let first = id.first, first.isLetter || first == "_" else { return false }
        return id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }

    private static func checkStage(_ entry: ConfigValue.Entry, ids: [String], registry: StageRegistry,
                                   checker: inout ParameterChecker, diagnostics: inout [Diagnostic],
                                   kindChecks: inout [(stage: String, slot: InputSlot, upstream: String, location: SourceLocation)])
        -> ResolvedStage?
    {
        let id = entry.key
        let field = "stages.\(id)"
        if !isValidID(id) {
            diagnostics.append(Diagnostic(.invalidValue, "stage id `\(id)` must start with a letter and use only letters, digits, _ and -",
                                          at: entry.keyLocation, field: field))
        }
        guard case .map(let keys) = entry.value.value else {
            diagnostics.append(Diagnostic(.wrongType, "a stage is a mapping with `use:` (and optional `from:`, `with:`), got \(entry.value.value.typeName)",
                                          at: entry.value.location, field: field))
            return nil
        }
        for key in keys where !["use", "from", "with"].contains(key.key) {
            diagnostics.append(Diagnostic(.unknownKey, "unknown field `\(key.key)` in stage `\(id)`", at: key.keyLocation,
                                          field: "\(field).\(key.key)",
                                          suggestion: suggestion(for: key.key, among: ["use", "from", "with"])
                                              ?? "a stage has `use`, `from` and `with`"))
        }
        guard let useEntry = keys.first(where: { $0.key == "use" }) else {
            diagnostics.append(Diagnostic(.missingKey, "stage `\(id)` has no `use:`", at: entry.keyLocation, field: "\(field).use",
                                          suggestion: "name a registered stage, e.g. `use: data.synthetic` (see `tangent stages`)"))
            return nil
        }
        guard case .string(let name) = useEntry.value.value else {
            diagnostics.append(Diagnostic(.wrongType, "`use` must be a stage name, got \(useEntry.value.value.typeName)",
                                          at: useEntry.value.location, field: "\(field).use"))
            return nil
        }
        guard let type = registry.stage(named: name) else {
            diagnostics.append(Diagnostic(.unknownStage, "unknown stage `\(name)`", at: useEntry.value.location,
                                          field: "\(field).use",
                                          suggestion: suggestion(for: name, among: registry.names)
                                              ?? "run `tangent stages` to list the registered stages"))
            return nil
        }
        let withEntry = keys.first(where: { $0.key == "with" })
        let before = checker.diagnostics.count
        let values = checker.check(withEntry?.value, schema: type.parameters, field: "\(field).with",
                                   owner: "stage `\(name)`", ownerLocation: entry.keyLocation)
        let parametersOK = checker.diagnostics.count == before

        // Inputs.
        var connections: [String: (upstream: [String], location: SourceLocation)] = [:]
        let fromEntry = keys.first(where: { $0.key == "from" })
        let diagnosticsBeforeInputs = diagnostics.count
        if let fromEntry {
            switch fromEntry.value.value {
            case .map(let slots):
                for slot in slots {
                    let slotField = "\(field).from.\(slot.key)"
                    guard let declared = type.inputs.first(where: { $0.name == slot.key }) else {
                        let names = type.inputs.map(\.name)
                        diagnostics.append(Diagnostic(.unknownSlot, "stage `\(name)` has no input slot `\(slot.key)`",
                                                      at: slot.keyLocation, field: slotField,
                                                      suggestion: suggestion(for: slot.key, among: names)
                                                          ?? (names.isEmpty ? "\(name) takes no inputs" : "its slots are: \(names.joined(separator: ", "))")))
                        continue
                    }
                    var upstream: [(String, SourceLocation)] = []
                    switch slot.value.value {
                    case .string(let s): upstream = [(s, slot.value.location)]
                    case .list(let items):
                        for item in items {
                            if case .string(let s) = item.value { upstream.append((s, item.location)) } else {
                                diagnostics.append(Diagnostic(.wrongType, "expected a stage id, got \(item.value.typeName)",
                                                              at: item.location, field: slotField))
                            }
                        }
                    default:
                        diagnostics.append(Diagnostic(.wrongType, "expected a stage id or a list of stage ids, got \(slot.value.value.typeName)",
                                                      at: slot.value.location, field: slotField))
                        continue
                    }
                    if upstream.count > 1 && !declared.many {
                        diagnostics.append(Diagnostic(.tooManyInputs, "slot `\(slot.key)` of \(name) takes one stage, got \(upstream.count)",
                                                      at: slot.value.location, field: slotField,
                                                      suggestion: "connect a single stage id"))
                    }
                    var valid: [String] = []
                    for (up, location) in upstream {
                        if up == id {
                            diagnostics.append(Diagnostic(.cycle, "stage `\(id)` reads from itself", at: location, field: slotField))
                        } else if !ids.contains(up) {
                            diagnostics.append(Diagnostic(.unknownUpstream, "no stage `\(up)` in this pipeline", at: location,
                                                          field: slotField,
                                                          suggestion: suggestion(for: up, among: ids.filter { $0 != id })
                                                              ?? "stage ids are: \(ids.joined(separator: ", "))"))
                        } else {
                            valid.append(up)
                            kindChecks.append((id, declared, up, location))
                        }
                    }
                    connections[slot.key] = (valid, slot.value.location)
                }
            case .null: break
            default:
                diagnostics.append(Diagnostic(.wrongType, "`from` maps input slots to stage ids, got \(fromEntry.value.value.typeName)",
                                              at: fromEntry.value.location, field: "\(field).from"))
            }
        }
        // A missing slot is only reported when `from:` itself was sound (a misspelled slot already explains it).
        let inputsSound = diagnostics.count == diagnosticsBeforeInputs
        for slot in type.inputs where inputsSound && slot.required && connections[slot.name] == nil {
            diagnostics.append(Diagnostic(.missingInput, "stage `\(id)` (\(name)) needs input `\(slot.name)` (a \(slot.kind))",
                                          at: fromEntry?.keyLocation ?? entry.keyLocation, field: "\(field).from.\(slot.name)",
                                          suggestion: "add `from: { \(slot.name): <stage id> }`"))
        }
        guard parametersOK else { return nil }
        let inputs = type.inputs.compactMap { slot -> (slot: String, upstream: [String], many: Bool)? in
            guard let c = connections[slot.name], !c.upstream.isEmpty else { return nil }
            return (slot.name, c.upstream, slot.many)
        }
        return ResolvedStage(id: id, type: type, parameters: Parameters(values), inputs: inputs, location: entry.keyLocation)
    }

    /// Topological order, keeping file order among independent stages; a cycle is a diagnostic.
    static func order(_ stages: [ResolvedStage]) -> Result<[ResolvedStage], Diagnostic> {
        var remaining = stages
        var done = Set<String>()
        var ordered: [ResolvedStage] = []
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { $0.dependencies.allSatisfy(done.contains) }) else {
                let cycle = findCycle(remaining)
                let first = remaining.first { $0.id == cycle.first }!
                return .failure(Diagnostic(.cycle, "stages form a cycle: " + (cycle + [cycle[0]]).joined(separator: " → "),
                                           at: first.location, field: "stages.\(first.id).from",
                                           suggestion: "a stage can only read from stages that do not depend on it"))
            }
            let stage = remaining.remove(at: next)
            done.insert(stage.id)
            ordered.append(stage)
        }
        return .success(ordered)
    }

    private static func findCycle(_ stages: [ResolvedStage]) -> [String] {
        let byID = Dictionary(uniqueKeysWithValues: stages.map { ($0.id, $0) })
        var path: [String] = []
        var current = stages[0].id
        while !path.contains(current) {
            path.append(current)
            guard let next = byID[current]?.dependencies.first(where: { byID[$0] != nil }) else { break }
            current = next
        }
        if let start = path.firstIndex(of: current) { return Array(path[start...]) }
        return path
    }

    // MARK: - Profiles and sweeps

    static func parseProfiles(_ value: ConfigValue.Located?, stageIDs: [String]) -> ([String: [Override]], [Diagnostic]) {
        guard let value else { return ([:], []) }
        guard case .map(let profiles) = value.value else {
            return ([:], [Diagnostic(.wrongType, "`profiles` maps profile names to overrides", at: value.location, field: "profiles")])
        }
        var result: [String: [Override]] = [:]
        var diagnostics: [Diagnostic] = []
        for profile in profiles {
            guard case .map(let settings) = profile.value.value else {
                diagnostics.append(Diagnostic(.wrongType, "profile `\(profile.key)` must map dotted keys to values",
                                              at: profile.value.location, field: "profiles.\(profile.key)"))
                continue
            }
            result[profile.key] = settings.map { s in
                Override(key: s.key.split(separator: ".").map(String.init), value: s.value,
                         text: "\(s.key)=\(s.value.value.yamlText)", keyLocation: s.keyLocation)
            }
        }
        return (result, diagnostics)
    }

    private static func checkSweep(_ value: ConfigValue.Located?, stageIDs: [String], stages: [ResolvedStage],
                                   header: [String: Value], checker: inout ParameterChecker,
                                   diagnostics: inout [Diagnostic]) -> [(key: String, values: [ConfigValue.Located])] {
        guard let value else { return [] }
        guard case .map(let entries) = value.value else {
            diagnostics.append(Diagnostic(.wrongType, "`sweep` is a mapping with `grid:`", at: value.location, field: "sweep"))
            return []
        }
        var grid: [(key: String, values: [ConfigValue.Located])] = []
        for entry in entries {
            guard entry.key == "grid" else {
                diagnostics.append(Diagnostic(.unknownKey, "unknown sweep field `\(entry.key)`", at: entry.keyLocation,
                                              field: "sweep.\(entry.key)", suggestion: suggestion(for: entry.key, among: ["grid"])
                                                  ?? "a sweep has `grid: { dotted.key: [values] }`"))
                continue
            }
            guard case .map(let axes) = entry.value.value else {
                diagnostics.append(Diagnostic(.wrongType, "`sweep.grid` maps dotted keys to lists of values",
                                              at: entry.value.location, field: "sweep.grid"))
                continue
            }
            for axis in axes {
                let field = "sweep.grid.\(axis.key)"
                let key = axis.key.split(separator: ".").map(String.init)
                let probe = Override(key: key, value: axis.value, text: axis.key, keyLocation: axis.keyLocation)
                guard case .success(let path) = probe.documentPath(stageIDs: stageIDs) else {
                    if case .failure(var d) = probe.documentPath(stageIDs: stageIDs) {
                        d.field = field
                        diagnostics.append(d)
                    }
                    continue
                }
                guard case .list(let values) = axis.value.value, !values.isEmpty else {
                    diagnostics.append(Diagnostic(.wrongType, "a sweep axis needs a non-empty list of values",
                                                  at: axis.value.location, field: field))
                    continue
                }
                // Type-check each value against the parameter it sets.
                let parameter: Parameter? = {
                    if path.count == 1 { return topLevelSchema.first { $0.name == path[0] } }
                    guard path.count == 4, path[0] == "stages", path[2] == "with",
                          let stage = stages.first(where: { $0.id == path[1] }) else { return nil }
                    return stage.type.parameters.first { $0.name == path[3] }
                }()
                if path.count == 4, parameter == nil, let stage = stages.first(where: { $0.id == path[1] }) {
                    diagnostics.append(Diagnostic(.unknownParameter, "unknown parameter `\(path[3])` of stage `\(stage.type.name)`",
                                                  at: axis.keyLocation, field: field,
                                                  suggestion: suggestion(for: path[3], among: stage.type.parameters.map(\.name))))
                    continue
                }
                if let parameter {
                    for (i, v) in values.enumerated() { _ = checker.check(v, parameter, field: "\(field)[\(i)]") }
                }
                grid.append((axis.key, values))
            }
        }
        return grid
    }
}
