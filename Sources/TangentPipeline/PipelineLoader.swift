import Foundation
import TangentCore

/// Reads a pipeline file, applies a profile and overrides, and validates everything against the registry,
/// reporting every problem at once with its file:line:column, field and a remedy.
public enum PipelineLoader {
    /// Top-level fields of a pipeline file.
    static let topLevelKeys = ["pipeline", "description", "seed", "precision", "threads", "stages", "profiles", "sweep",
                               "claims"]

    static let topLevelSchema: [Parameter] = [
        Parameter("pipeline", .string, doc: "the pipeline's name (names its run folder)"),
        Parameter("description", .string, nullable: true, doc: "what the pipeline is for"),
        Parameter("seed", .int, default: .int(0), doc: "seed of every random draw in the run"),
        Parameter("precision", .choice(Precision.allCases.map(\.rawValue)), default: .string("float64"),
                  doc: "floating-point precision of the numerics"),
        Parameter("threads", .int, minimum: 1, nullable: true, doc: "thread budget (default: all cores)"),
    ]

    /// At most this many diagnostics are reported (in file order), then one saying how many more there are.
    static let maxDiagnostics = 1000

    /// Loads and validates the pipeline file at `path`: a regular file of at most 16 MB of UTF-8 text (see
    /// `PipelineFile`), then everything `load(text:…)` checks.
    public static func load(file path: String, overrides: [String] = [], profile: String? = nil,
                            sweep: [String] = [], sweepMode: SweepSpec.Mode = .grid,
                            registry: StageRegistry) throws(PipelineError) -> ResolvedPipeline {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let text = try PipelineFile.text(at: absolute)
        return try load(text: text, file: absolute, overrides: overrides, profile: profile, sweep: sweep,
                        sweepMode: sweepMode, registry: registry)
    }

    /// Loads and validates pipeline text; `file` names it in diagnostics and anchors relative paths. `sweep` are
    /// `--sweep` options (see `SweepOption`), combined by `sweepMode` and with the file's `sweep:` block.
    public static func load(text: String, file: String, overrides: [String] = [], profile: String? = nil,
                            sweep sweepOptions: [String] = [], sweepMode: SweepSpec.Mode = .grid,
                            registry: StageRegistry) throws(PipelineError) -> ResolvedPipeline {
        try load(text: text, file: file, overrides: overrides, profile: profile, sweep: sweepOptions, sweepMode: sweepMode,
                 registry: registry, claims: true)
    }

    /// Loads a point of a sweep (its overrides applied, without the sweep's `--sweep` axes): as `load`, except that
    /// claims are neither checked nor kept (the sweep's base pipeline checked them against every axis, and a sweep
    /// evaluates them on its aggregate, not at each point).
    static func loadPoint(file path: String, overrides: [String], profile: String?,
                          registry: StageRegistry) throws(PipelineError) -> ResolvedPipeline {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let text = try PipelineFile.text(at: absolute)
        return try loadPoint(text: text, file: absolute, overrides: overrides, profile: profile, registry: registry)
    }

    /// `loadPoint(file:…)` on the file's text.
    static func loadPoint(text: String, file: String, overrides: [String], profile: String?,
                          registry: StageRegistry) throws(PipelineError) -> ResolvedPipeline {
        try load(text: text, file: file, overrides: overrides, profile: profile, sweep: [], sweepMode: .grid,
                 registry: registry, claims: false)
    }

    /// `claims`: check and keep the file's claims (false for the points of a sweep).
    private static func load(text: String, file: String, overrides: [String], profile: String?,
                             sweep sweepOptions: [String], sweepMode: SweepSpec.Mode,
                             registry: StageRegistry, claims checkingClaims: Bool) throws(PipelineError) -> ResolvedPipeline {
        var document = try ConfigParser.parse(text, file: file)
        var diagnostics: [Diagnostic] = []
        var hints = SuggestionBudget()
        let top = SourceLocation(file: file, line: 1, column: 1)
        guard case .map(let topEntries) = document.value else {
            let empty = document.value == .null && isBlank(text)
            throw PipelineError.invalid([Diagnostic(
                .wrongType, empty ? "the pipeline file is empty" : "a pipeline file is a mapping with `pipeline:` and `stages:`",
                at: document.location, field: "",
                suggestion: empty ? "a pipeline file is a mapping with `pipeline:` and `stages:` (see docs/pipeline-format.md)" : nil)])
        }
        // Stage ids and types as the file names them: profiles and sweeps are checked against these.
        let registered = RegisteredStages(registry)
        var stageIDs = StageIDs([])
        var typeByID: [String: any Stage.Type] = [:]
        if case .map(let entries)? = topEntries.first(where: { $0.key == "stages" })?.value.value {
            stageIDs = StageIDs(entries.map(\.key))
            for entry in entries {
                if case .map(let keys) = entry.value.value, case .string(let name)? = keys.first(where: { $0.key == "use" })?.value.value,
                   let type = registered[name] {
                    typeByID[entry.key] = type
                }
            }
        }
        var checker = ParameterChecker(baseDirectory: URL(fileURLWithPath: file).deletingLastPathComponent())

        // Every profile is checked, selected or not; the selected one's sound settings apply first.
        var applied: [Override] = []
        let profiles = checkProfiles(document["profiles"]?.value, ids: stageIDs, types: typeByID, checker: &checker,
                                     diagnostics: &diagnostics, hints: &hints)
        diagnostics += checker.diagnostics
        checker.diagnostics = []
        if let profile {
            if let chosen = profiles.sound[profile] {
                applied += chosen
            } else if !profiles.malformed.contains(profile) {
                diagnostics.append(Diagnostic(.unknownProfile, "no profile `\(shown(profile))` in \(file)",
                                              at: SourceLocation(file: "<command line>", line: 1, column: 1),
                                              field: "profiles",
                                              suggestion: hints.suggestion(for: profile, among: profiles.names)
                                                  ?? (profiles.names.isEmpty ? "the file defines no profiles"
                                                                             : "profiles: " + listed(profiles.names))))
            }
        }
        // Then the command line's, left to right; one that is set again later has no effect (a warning).
        var fromCommandLine: [[String]: Override] = [:]
        for (i, text) in overrides.enumerated() {
            do throws(PipelineError) {
                let override = try Override.parse(text, source: "<override \(i + 1)>")
                if case .success(let path) = override.documentPath(stageIDs: stageIDs, hints: &hints) {
                    if let earlier = fromCommandLine[path] {
                        diagnostics.append(Diagnostic(
                            .badOverride, "`\(shown(earlier.text))` has no effect: `\(shown(override.text))` (\(override.keyLocation.file)) sets `\(path.joined(separator: "."))` again",
                            at: earlier.keyLocation, field: path.joined(separator: "."),
                            suggestion: "drop one of them; the last one wins", severity: .warning))
                    }
                    fromCommandLine[path] = override
                }
                applied.append(override)
            } catch {
                diagnostics += error.diagnostics
            }
        }
        for override in applied {
            switch override.documentPath(stageIDs: stageIDs, hints: &hints) {
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
        let scalarFields = ConfigValue.Located(.map(entries.filter { topLevelKeys.contains($0.key) && !["stages", "profiles", "sweep", "claims"].contains($0.key) }),
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
        if case .string(let name)? = header["pipeline"], let entry = document["pipeline"], !isValidName(name) {
            diagnostics.append(Diagnostic(.invalidValue, "pipeline name `\(shown(name))` \(nameRule)", at: entry.value.location,
                                          field: "pipeline", suggestion: "rename it, e.g. `\(validName(from: name, prefix: "p"))`"))
        }

        // Stages.
        var stages: [ResolvedStage] = []
        var kindChecks: [(stage: String, slot: InputSlot, upstream: String, location: SourceLocation)] = []
        if let stagesEntry = document["stages"] {
            guard case .map(let stageEntries) = stagesEntry.value.value, !stageEntries.isEmpty else {
                diagnostics.append(Diagnostic(.wrongType, "`stages` must be a non-empty mapping of stage id → stage",
                                              at: stagesEntry.value.location, field: "stages"))
                throw PipelineError.invalid(diagnostics)
            }
            let ids = StageIDs(stageEntries.map(\.key))
            for entry in stageEntries {
                if let stage = checkStage(entry, ids: ids, registry: registered, checker: &checker,
                                          diagnostics: &diagnostics, kindChecks: &kindChecks, hints: &hints) {
                    stages.append(stage)
                }
            }
        } else {
            diagnostics.append(Diagnostic(.missingKey, "missing required field `stages`", at: top, field: "stages",
                                          suggestion: "add a `stages:` mapping of stage id → {use, from, with}"))
        }
        diagnostics += checker.diagnostics
        checker.diagnostics = []
        let resolvedTypes = Dictionary(stages.map { ($0.id, $0.type) }) { a, _ in a }
        for check in kindChecks {
            guard let upstream = resolvedTypes[check.upstream] else { continue }
            if !check.slot.kind.accepts(upstream.outputKind) {
                diagnostics.append(Diagnostic(
                    .slotKindMismatch,
                    "slot `\(check.slot.name)` takes a \(check.slot.kind) artifact but `\(check.upstream)` (\(upstream.name)) produces a \(upstream.outputKind)",
                    at: check.location, field: "stages.\(check.stage).from.\(check.slot.name)",
                    suggestion: "connect a stage that produces a \(check.slot.kind)"))
            }
        }

        // Sweep: the file's block, then the command line's axes.
        var sweep = checkSweep(document["sweep"]?.value, ids: stageIDs, types: typeByID, checker: &checker,
                               diagnostics: &diagnostics, hints: &hints)
        var optionAxes: [SweepAxis] = []
        for (i, text) in sweepOptions.enumerated() {
            do throws(PipelineError) {
                let axis = try SweepOption.parse(text, number: i + 1)
                let key = dottedKey(axis.key) ?? [axis.key]
                if checkTarget(key, values: axis.values, indexed: true, field: axis.key, keyLocation: axis.keyLocation,
                               ids: stageIDs, types: typeByID, checker: &checker, diagnostics: &diagnostics, hints: &hints) {
                    optionAxes.append(axis)
                }
            } catch {
                diagnostics += error.diagnostics
            }
        }
        let options = sweepMode == .grid ? SweepSpec(grid: optionAxes) : SweepSpec(zip: optionAxes)
        if sweepMode == .zip { checkZipLengths(optionAxes, field: "--sweep", diagnostics: &diagnostics) }
        sweep = sweep.merging(options)
        if sweep.count > SweepSpec.maxPoints {
            diagnostics.append(Diagnostic(.limitExceeded, "the sweep has \(sweep.count == .max ? "too many" : String(sweep.count)) points; the limit is \(SweepSpec.maxPoints)",
                                          at: (sweep.grid.first ?? sweep.zip.first)?.keyLocation, field: "sweep",
                                          suggestion: "sweep fewer values, or split the sweep into several"))
        }
        diagnostics += checker.diagnostics

        // Claims: checked against the stage ids and the sweep's axes (never part of a cache key).
        let claims = checkingClaims
            ? checkClaims(document["claims"]?.value, text: text, ids: stageIDs, axes: sweep.keys, diagnostics: &diagnostics,
                          hints: &hints)
            : []

        // Order (and cycles) only once everything else is sound.
        var ordered: [ResolvedStage] = []
        if !diagnostics.contains(where: { $0.severity == .error }) {
            switch order(stages) {
            case .success(let o): ordered = o
            case .failure(let d): diagnostics.append(d)
            }
        }
        diagnostics = capped(sortedByLocation(diagnostics))
        if diagnostics.contains(where: { $0.severity == .error }) { throw PipelineError.invalid(diagnostics) }
        var pipeline = ResolvedPipeline(
            name: header["pipeline"]?.stringValue ?? "pipeline", description: header["description"]?.stringValue,
            seed: header["seed"]?.intValue ?? 0,
            precision: Precision(rawValue: header["precision"]?.stringValue ?? "float64") ?? .float64,
            threads: header["threads"]?.intValue, stages: ordered, file: file, profile: profile,
            overrides: applied.map(\.text), sweep: sweep)
        pipeline.claims = claims
        pipeline.warnings = diagnostics
        return pipeline
    }

    /// True when the text holds no YAML content (only blanks and comments).
    static func isBlank(_ text: String) -> Bool {
        text.split(whereSeparator: \.isNewline).allSatisfy { line in
            let t = line.drop { $0 == " " || $0 == "\t" }
            return t.isEmpty || t.hasPrefix("#")
        }
    }

    /// The first `maxDiagnostics` diagnostics, then one that counts the rest.
    static func capped(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        guard diagnostics.count > maxDiagnostics else { return diagnostics }
        let rest = diagnostics[maxDiagnostics...]
        let errors = rest.filter { $0.severity == .error }.count
        return Array(diagnostics.prefix(maxDiagnostics)) + [Diagnostic(
            .limitExceeded, "\(rest.count.formatted) more problems are not shown", at: nil, field: "",
            suggestion: "fix the ones above first", severity: errors > 0 ? .error : .warning)]
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

    /// Pipeline names and stage ids become folder names: one safe path component each.
    static let nameRule = "must start with an ASCII letter and use only ASCII letters, digits, `_` and `-` (at most 100 bytes)"

    /// A single safe path component: an ASCII letter, then ASCII letters, digits, `_` and `-`; at most 100 bytes.
    /// (So never `..`, `/`, `\\`, a dot or a space.)
    static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, bytes.count <= 100, isASCIILetter(first) else { return false }
        return bytes.allSatisfy { isASCIILetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D }
    }

    static func isValidID(_ id: String) -> Bool { isValidName(id) }

    private static func isASCIILetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }

    /// A valid name close to `name`, for remedies: other characters become `_`, and `prefix` comes first when
    /// the name does not start with a letter.
    static func validName(from name: String, prefix: String) -> String {
        var out = String(name.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-") ? c : "_"
        }.prefix(100))
        if !(out.utf8.first.map(isASCIILetter) ?? false) { out = String((prefix + "_" + out).prefix(100)) }
        return out
    }

    /// A user-written string in a message: cut to 80 characters.
    static func shown(_ s: String) -> String {
        s.count <= 80 ? s : String(s.prefix(60)) + "…"
    }

    private static func checkStage(_ entry: ConfigValue.Entry, ids: StageIDs, registry: RegisteredStages,
                                   checker: inout ParameterChecker, diagnostics: inout [Diagnostic],
                                   kindChecks: inout [(stage: String, slot: InputSlot, upstream: String, location: SourceLocation)],
                                   hints: inout SuggestionBudget)
        -> ResolvedStage?
    {
        let id = entry.key
        let field = "stages.\(id)"
        if !isValidID(id) {
            diagnostics.append(Diagnostic(.invalidValue, "stage id `\(shown(id))` \(nameRule)",
                                          at: entry.keyLocation, field: field,
                                          suggestion: "rename it, e.g. `\(validName(from: id, prefix: "s"))` (and the `from:` that name it)"))
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
        guard let type = registry[name] else {
            diagnostics.append(Diagnostic(.unknownStage, "unknown stage `\(shown(name))`", at: useEntry.value.location,
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
        var inputLocations: [String: SourceLocation] = [:]
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
                        } else if !ids.set.contains(up) {
                            diagnostics.append(Diagnostic(.unknownUpstream, "no stage `\(shown(up))` in this pipeline", at: location,
                                                          field: slotField,
                                                          suggestion: hints.suggestion(for: up, among: ids.ordered, excluding: id)
                                                              ?? "stage ids are: \(listed(ids.ordered))"))
                        } else {
                            valid.append(up)
                            kindChecks.append((id, declared, up, location))
                        }
                    }
                    connections[slot.key] = (valid, slot.value.location)
                    inputLocations[slot.key] = slot.value.location
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
        var parameterLocations: [String: SourceLocation] = [:]
        if case .map(let settings)? = withEntry?.value.value {
            let names = Set(type.parameters.map(\.name))
            for setting in settings where names.contains(setting.key) { parameterLocations[setting.key] = setting.value.location }
        }
        return ResolvedStage(id: id, type: type, parameters: Parameters(values), inputs: inputs, location: entry.keyLocation,
                             parameterLocations: parameterLocations, inputLocations: inputLocations,
                             withLocation: withEntry?.keyLocation)
    }

    /// Topological order, keeping file order among independent stages; a cycle is a diagnostic.
    ///
    /// Kahn's algorithm with the ready stages in a min-heap of file positions: at every step the earliest ready
    /// stage in the file comes next, which is the file order among independent stages. O((V + E) log V).
    static func order(_ stages: [ResolvedStage]) -> Result<[ResolvedStage], Diagnostic> {
        var position = [String: Int](minimumCapacity: stages.count)
        for (i, stage) in stages.enumerated() where position[stage.id] == nil { position[stage.id] = i }
        var waiting = [Int](repeating: 0, count: stages.count)
        var dependents = [[Int]](repeating: [], count: stages.count)
        for (i, stage) in stages.enumerated() {
            for dependency in stage.dependencies {
                waiting[i] += 1  // a dependency that is not a stage here is never satisfied
                if let j = position[dependency] { dependents[j].append(i) }
            }
        }
        var ready = MinHeap(stages.indices.filter { waiting[$0] == 0 })
        var ordered: [ResolvedStage] = []
        ordered.reserveCapacity(stages.count)
        while let i = ready.pop() {
            ordered.append(stages[i])
            for j in dependents[i] {
                waiting[j] -= 1
                if waiting[j] == 0 { ready.push(j) }
            }
        }
        guard ordered.count < stages.count else { return .success(ordered) }
        let remaining = stages.indices.filter { waiting[$0] > 0 }.map { stages[$0] }
        let cycle = findCycle(remaining)
        let first = remaining.first { $0.id == cycle.first }!
        return .failure(Diagnostic(.cycle, "stages form a cycle: " + (cycle + [cycle[0]]).joined(separator: " → "),
                                   at: first.location, field: "stages.\(first.id).from",
                                   suggestion: "a stage can only read from stages that do not depend on it"))
    }

    /// Follows first dependencies from the first remaining stage until a stage repeats: that loop is the cycle.
    private static func findCycle(_ stages: [ResolvedStage]) -> [String] {
        let byID = Dictionary(stages.map { ($0.id, $0) }) { a, _ in a }
        var path: [String] = []
        var onPath: [String: Int] = [:]
        var current = stages[0].id
        while onPath[current] == nil {
            onPath[current] = path.count
            path.append(current)
            guard let next = byID[current]?.dependencies.first(where: { byID[$0] != nil }) else { break }
            current = next
        }
        if let start = onPath[current], start < path.count, path[start] == current { return Array(path[start...]) }
        return path
    }

    // MARK: - Profiles and sweeps

    /// Every profile, selected or not: each key must resolve (a top-level field, or a parameter of a stage of
    /// this file, deeper into object parameters) and each value must fit it; problems are reported at the profile
    /// entry. Returns each well-formed profile's sound settings, the profiles that are not mappings, and the names.
    static func checkProfiles(_ value: ConfigValue.Located?, ids: StageIDs, types: [String: any Stage.Type],
                              checker: inout ParameterChecker, diagnostics: inout [Diagnostic],
                              hints: inout SuggestionBudget)
        -> (sound: [String: [Override]], malformed: Set<String>, names: [String])
    {
        guard let value else { return ([:], [], []) }
        guard case .map(let profiles) = value.value else {
            diagnostics.append(Diagnostic(.wrongType, "`profiles` maps profile names to overrides", at: value.location,
                                          field: "profiles"))
            return ([:], [], [])
        }
        var sound: [String: [Override]] = [:]
        var malformed = Set<String>()
        for profile in profiles {
            guard case .map(let settings) = profile.value.value else {
                diagnostics.append(Diagnostic(.wrongType, "profile `\(profile.key)` must map dotted keys to values",
                                              at: profile.value.location, field: "profiles.\(profile.key)"))
                malformed.insert(profile.key)
                continue
            }
            var overrides: [Override] = []
            for setting in settings {
                let field = "profiles.\(profile.key).\(setting.key)"
                guard let key = dottedKey(setting.key, of: "profile", at: setting.keyLocation, field: field,
                                          diagnostics: &diagnostics) else { continue }
                // The text as it will appear in the run's overrides (and so its folder name): typed, unambiguous.
                let override = Override(key: key, value: setting.value,
                                        text: "\(setting.key)=\(yamlScalar(setting.value.value.plainValue))",
                                        keyLocation: setting.keyLocation)
                if checkTarget(key, values: [setting.value], field: field, keyLocation: setting.keyLocation, ids: ids,
                               types: types, checker: &checker, diagnostics: &diagnostics, hints: &hints) {
                    overrides.append(override)
                }
            }
            sound[profile.key] = overrides
        }
        return (sound, malformed, profiles.map(\.key).sorted())
    }

    /// The components of a dotted key (`train.snapshots.every`), or nil when it is not one.
    static func dottedKey(_ text: String) -> [String]? {
        let key = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let valid = key.allSatisfy { c in !c.isEmpty && c.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }
        return valid ? key : nil
    }

    /// The components of the dotted key `text` of a profile or sweep (`what`), or nil with a diagnostic at `location`.
    static func dottedKey(_ text: String, of what: String, at location: SourceLocation, field: String,
                          diagnostics: inout [Diagnostic]) -> [String]? {
        if let key = dottedKey(text) { return key }
        diagnostics.append(Diagnostic(.badOverride, "\(what) key `\(text)` is not a dotted name", at: location, field: field,
                                      suggestion: "use names joined by dots, e.g. model.init_scale"))
        return nil
    }

    /// Resolves what the dotted `key` of a profile or sweep sets and checks each of `values` against it.
    /// False, with a diagnostic, when the key does not resolve or a value does not fit. A key aimed at a stage
    /// whose `use:` is itself wrong is not checked further (that stage has its own diagnostic).
    static func checkTarget(_ key: [String], values: [ConfigValue.Located], indexed: Bool = false, field: String,
                            keyLocation: SourceLocation, ids: StageIDs, types: [String: any Stage.Type], checker: inout ParameterChecker,
                            diagnostics: inout [Diagnostic], hints: inout SuggestionBudget) -> Bool {
        let probe = Override(key: key, value: values.first ?? .init(.null, at: keyLocation), text: key.joined(separator: "."),
                             keyLocation: keyLocation)
        let path: [String]
        switch probe.documentPath(stageIDs: ids, hints: &hints) {
        case .success(let p): path = p
        case .failure(var d):
            d.field = field
            diagnostics.append(d)
            return false
        }
        var parameter: Parameter
        if path.count == 1 {
            guard let p = topLevelSchema.first(where: { $0.name == path[0] }) else { return true }
            parameter = p
        } else {
            guard path.count >= 4, path[2] == "with" else {
                diagnostics.append(Diagnostic(.badOverride, "`\(shown(key.joined(separator: ".")))` does not name a parameter",
                                              at: keyLocation, field: field,
                                              suggestion: "write <stage id>.<parameter> (or stages.<id>.with.<parameter>) or a top-level field"))
                return false
            }
            let id = path[1]
            guard ids.set.contains(id) else {
                diagnostics.append(Diagnostic(.badOverride, "no stage `\(shown(id))` in this pipeline", at: keyLocation, field: field,
                                              suggestion: hints.suggestion(for: id, among: ids.ordered)
                                                  ?? "stage ids are: \(listed(ids.ordered))"))
                return false
            }
            guard let type = types[id] else { return true }
            let names = type.parameters.map(\.name)
            guard let p = type.parameters.first(where: { $0.name == path[3] }) else {
                diagnostics.append(Diagnostic(.unknownParameter, "unknown parameter `\(shown(path[3]))` of stage `\(type.name)`",
                                              at: keyLocation, field: field,
                                              suggestion: suggestion(for: path[3], among: names)
                                                  ?? (names.isEmpty ? "\(type.name) takes no parameters" : "\(type.name) takes: \(names.joined(separator: ", "))")))
                return false
            }
            parameter = p
            for component in path.dropFirst(4) {
                guard case .object(let fields) = parameter.type else {
                    diagnostics.append(Diagnostic(.badOverride, "parameter `\(parameter.name)` of stage `\(type.name)` takes \(parameter.type.description), not an object with fields",
                                                  at: keyLocation, field: field,
                                                  suggestion: "set `\(path[1]).\(path[3])` itself"))
                    return false
                }
                guard let f = fields.first(where: { $0.name == component }) else {
                    let fieldNames = fields.map(\.name)
                    diagnostics.append(Diagnostic(.unknownParameter, "unknown field `\(shown(component))` of parameter `\(parameter.name)` of stage `\(type.name)`",
                                                  at: keyLocation, field: field,
                                                  suggestion: suggestion(for: component, among: fieldNames)
                                                      ?? "its fields are: \(fieldNames.joined(separator: ", "))"))
                    return false
                }
                parameter = f
            }
        }
        let before = checker.diagnostics.count
        for (i, v) in values.enumerated() {
            _ = checker.check(v, parameter, field: indexed ? "\(field)[\(i)]" : field)
        }
        return checker.diagnostics.count == before
    }

    /// The file's `sweep:` block: `grid:` and/or `zip:`, each a mapping of dotted keys to non-empty lists of
    /// values; the lists under `zip:` have one length.
    private static func checkSweep(_ value: ConfigValue.Located?, ids: StageIDs, types: [String: any Stage.Type],
                                   checker: inout ParameterChecker, diagnostics: inout [Diagnostic],
                                   hints: inout SuggestionBudget) -> SweepSpec {
        guard let value else { return SweepSpec() }
        guard case .map(let entries) = value.value else {
            diagnostics.append(Diagnostic(.wrongType, "`sweep` is a mapping with `grid:` and/or `zip:`", at: value.location,
                                          field: "sweep"))
            return SweepSpec()
        }
        var spec = SweepSpec()
        for entry in entries {
            guard let mode = SweepSpec.Mode(rawValue: entry.key) else {
                diagnostics.append(Diagnostic(.unknownKey, "unknown sweep field `\(entry.key)`", at: entry.keyLocation,
                                              field: "sweep.\(entry.key)", suggestion: suggestion(for: entry.key, among: ["grid", "zip"])
                                                  ?? "a sweep has `grid: { dotted.key: [values] }` and/or `zip: { … }`"))
                continue
            }
            guard case .map(let axes) = entry.value.value else {
                diagnostics.append(Diagnostic(.wrongType, "`sweep.\(mode.rawValue)` maps dotted keys to lists of values",
                                              at: entry.value.location, field: "sweep.\(mode.rawValue)"))
                continue
            }
            var sound: [SweepAxis] = []
            for axis in axes {
                let field = "sweep.\(mode.rawValue).\(axis.key)"
                guard let key = dottedKey(axis.key, of: "sweep", at: axis.keyLocation, field: field,
                                          diagnostics: &diagnostics) else { continue }
                guard case .list(let values) = axis.value.value, !values.isEmpty else {
                    // The key is still checked, so that a misspelled one is named too.
                    _ = checkTarget(key, values: [], field: field, keyLocation: axis.keyLocation, ids: ids, types: types,
                                    checker: &checker, diagnostics: &diagnostics, hints: &hints)
                    diagnostics.append(Diagnostic(.wrongType, "a sweep axis needs a non-empty list of values",
                                                  at: axis.value.location, field: field))
                    continue
                }
                if spec.keys.contains(axis.key) || sound.contains(where: { $0.key == axis.key }) {
                    diagnostics.append(Diagnostic(.duplicateID, "sweep key `\(axis.key)` appears twice", at: axis.keyLocation,
                                                  field: field, suggestion: "sweep each key once"))
                    continue
                }
                if checkTarget(key, values: values, indexed: true, field: field, keyLocation: axis.keyLocation, ids: ids, types: types,
                               checker: &checker, diagnostics: &diagnostics, hints: &hints) {
                    sound.append(SweepAxis(key: axis.key, values: values, keyLocation: axis.keyLocation))
                }
            }
            if mode == .zip { checkZipLengths(sound, field: "sweep.zip", diagnostics: &diagnostics) }
            if mode == .grid { spec.grid += sound } else { spec.zip += sound }
        }
        return spec
    }

    /// Zipped axes take their values in step, so their lists have one length.
    static func checkZipLengths(_ axes: [SweepAxis], field: String, diagnostics: inout [Diagnostic]) {
        guard let first = axes.first else { return }
        for axis in axes.dropFirst() where axis.values.count != first.values.count {
            diagnostics.append(Diagnostic(.invalidValue, "zipped sweep axes take their values in step, but `\(axis.key)` has \(axis.values.count) values and `\(first.key)` has \(first.values.count)",
                                          at: axis.keyLocation, field: field == "--sweep" ? axis.key : "\(field).\(axis.key)",
                                          suggestion: "give every zipped key the same number of values, or sweep them as a grid"))
        }
    }
}

/// The registry's stages by name (a registry looks names up by a scan).
struct RegisteredStages {
    let byName: [String: any Stage.Type]
    let names: [String]

    init(_ registry: StageRegistry) {
        byName = Dictionary(registry.stages.map { ($0.name, $0) }) { a, _ in a }
        names = registry.names
    }

    subscript(name: String) -> (any Stage.Type)? { byName[name] }
}

/// Stage ids in file order, and as a set for lookups.
struct StageIDs {
    let ordered: [String]
    let set: Set<String>

    init(_ ordered: [String]) {
        self.ordered = ordered
        set = Set(ordered)
    }
}

/// A binary min-heap of stage positions (the ready stages of `PipelineLoader.order`).
struct MinHeap {
    private var items: [Int]

    init(_ items: [Int]) {  // already sorted ascending: a valid heap
        self.items = items
    }

    mutating func push(_ x: Int) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[parent] > items[i] else { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return top }
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            guard m != i else { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
