import TangentCore
import CYaml
import Yams

/// The limits of the YAML reader (docs/pipeline-format.md, "Limits"). A pipeline file is small and shallow; these
/// keep a hostile one from taking unbounded time, memory or stack.
public enum YAMLLimits {
    /// Nodes (scalars, lists, mappings) after alias expansion: a billion-laughs file is refused after this many.
    public static let maxNodes = 1_000_000
    /// Bytes of scalar text after alias expansion.
    public static let maxScalarBytes = 64 << 20
    /// Lists and mappings nested inside one another (also counted through aliases).
    public static let maxDepth = 128
    /// Bytes of one mapping key.
    public static let maxKeyBytes = 256
    /// Bytes of a pipeline file.
    public static let maxFileBytes = 16 << 20
}

/// Composes located values straight from libyaml's event stream (the C library under Yams), iteratively.
///
/// Yams' own composer shares anchored nodes, which is fine until something walks the tree: converting or hashing
/// the 9-level "billion laughs" touches 9⁹ nodes, and its recursion follows the nesting depth. Here every alias is
/// charged the expanded size of its anchored node, so the budget is exceeded — and reading stops — as soon as the
/// expansion would pass `YAMLLimits.maxNodes`, whatever the file does. An expanded alias shares its anchored value
/// (copying a `ConfigValue` is O(1)), keeps the anchored value's inner locations and takes the alias's location for
/// its root. Merge keys (`<<: *base`, `<<: [*a, *b]`) follow YAML 1.1: the merged mappings' entries are inserted
/// where the `<<` stands, unless the mapping itself sets that key; among merged mappings the first one wins.
struct YAMLComposer {
    let file: String
    var diagnostics: [Diagnostic] = []

    /// A finished node with what aliases and keys need to know about it.
    struct Node {
        var value: ConfigValue.Located
        /// The text of a scalar (keys are the text, not the typed value: `1e3:` is the key "1e3").
        var text: String?
        /// A plain `<<` key.
        var isMergeKey = false
        /// Nodes in the expanded tree, this one included.
        var size: Int
        /// Scalar bytes in the expanded tree.
        var bytes: Int
        /// Nesting levels of lists and mappings in the tree (a scalar has 0).
        var height: Int
    }

    struct Frame {
        var isMapping: Bool
        var location: SourceLocation
        var anchor: String?
        var field: String
        var items: [Node] = []
        var size = 1
        var bytes = 0
        var height = 0
    }

    /// A fatal problem: reading stops.
    struct Stop: Error { var diagnostic: Diagnostic }

    private var anchors: [String: Node] = [:]
    private var stack: [Frame] = []
    private var nodes = 0
    private var scalarBytes = 0

    init(file: String) { self.file = file }

    // Event types as plain integers (comparing the imported C enum is slow in debug builds).
    static let stream_start = YAML_STREAM_START_EVENT.rawValue, stream_end = YAML_STREAM_END_EVENT.rawValue
    static let document_start = YAML_DOCUMENT_START_EVENT.rawValue, document_end = YAML_DOCUMENT_END_EVENT.rawValue
    static let no = YAML_NO_EVENT.rawValue, scalar = YAML_SCALAR_EVENT.rawValue, alias = YAML_ALIAS_EVENT.rawValue
    static let sequence_start = YAML_SEQUENCE_START_EVENT.rawValue, sequence_end = YAML_SEQUENCE_END_EVENT.rawValue
    static let mapping_start = YAML_MAPPING_START_EVENT.rawValue, mapping_end = YAML_MAPPING_END_EVENT.rawValue

    /// `Tag.implicit` builds a new tag (and its constructor's tables) on every call.
    nonisolated(unsafe) static let implicitTag = Tag.implicit

    /// Composes the single document of `text` (nil for an empty stream).
    static func compose(_ text: String, file: String) throws(PipelineError) -> ConfigValue.Located? {
        var composer = YAMLComposer(file: file)
        var utf8 = Array(text.utf8)
        utf8.append(0)  // never an empty buffer: libyaml wants a non-null pointer
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw PipelineError.invalid([Diagnostic(.limitExceeded, "out of memory while reading YAML",
                                                    at: nil, field: "")])
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        let result: Result<ConfigValue.Located?, Stop> = utf8.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count - 1)
            do throws(Stop) { return .success(try composer.run(&parser, text: buffer)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let value):
            if !composer.diagnostics.isEmpty { throw PipelineError.invalid(composer.diagnostics) }
            return value
        case .failure(let stop):
            throw PipelineError.invalid(composer.diagnostics + [stop.diagnostic])
        }
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private mutating func run(_ parser: inout yaml_parser_t, text: UnsafeBufferPointer<UInt8>) throws(Stop)
        -> ConfigValue.Located?
    {
        var root: Node?
        var documents = 0
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw Stop(diagnostic: parserError(parser, text)) }
            defer { yaml_event_delete(&event) }
            let here = location(event.start_mark)
            switch event.type.rawValue {
            case Self.stream_start, Self.document_end, Self.no:
                continue
            case Self.stream_end:
                return root?.value
            case Self.document_start:
                documents += 1
                if documents > 1 {
                    throw Stop(diagnostic: Diagnostic(
                        .yamlSyntax, "YAML syntax error: a second document starts here; a pipeline file holds one document",
                        at: here, field: "", suggestion: "remove the `---` line and what follows, or merge the documents"))
                }
            case Self.scalar:
                let data = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: data.value, count: Int(data.length)), as: UTF8.self)
                let tagName = Self.string(data.tag)
                let style: Yams.Node.Scalar.Style = switch data.style {
                case YAML_PLAIN_SCALAR_STYLE: .plain
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: .literal
                case YAML_FOLDED_SCALAR_STYLE: .folded
                default: .any
                }
                let value: ConfigValue
                if style != .plain {
                    value = .string(text)
                } else if tagName == nil, let fast = ConfigParser.fastPlainValue(text) {
                    value = fast
                } else {
                    value = ConfigParser.scalarValue(Yams.Node.Scalar(text, tagName.map { Tag(Tag.Name(rawValue: $0)) } ?? Self.implicitTag, style))
                }
                let isMerge = style == .plain && text == "<<"
                    && (tagName == nil || tagName == "tag:yaml.org,2002:merge")
                try charge(nodes: 1, bytes: Int(data.length), depth: 0, at: here, alias: nil)
                try add(Node(value: .init(value, at: here), text: text, isMergeKey: isMerge,
                             size: 1, bytes: Int(data.length), height: 0),
                        anchor: Self.string(data.anchor), into: &root)
            case Self.alias:
                let name = Self.string(event.data.alias.anchor) ?? ""
                guard var node = anchors[name] else {
                    throw Stop(diagnostic: Diagnostic(
                        .yamlSyntax, "YAML alias `*\(name)` refers to no anchor `&\(name)` before it", at: here,
                        field: currentField, suggestion: "define `&\(name)` on a node earlier in the file (an alias cannot refer to a node that contains it)"))
                }
                try charge(nodes: node.size, bytes: node.bytes, depth: node.height, at: here, alias: name)
                node.value.location = here
                node.isMergeKey = false
                try add(node, anchor: nil, into: &root)
            case Self.sequence_start, Self.mapping_start:
                let isMapping = event.type.rawValue == Self.mapping_start
                try charge(nodes: 1, bytes: 0, depth: 1, at: here, alias: nil)
                let anchor = isMapping ? Self.string(event.data.mapping_start.anchor)
                                       : Self.string(event.data.sequence_start.anchor)
                stack.append(Frame(isMapping: isMapping, location: here, anchor: anchor, field: currentField))
            case Self.sequence_end, Self.mapping_end:
                let frame = stack.removeLast()
                let value: ConfigValue = frame.isMapping ? mapping(frame) : .list(frame.items.map(\.value))
                try add(Node(value: .init(value, at: frame.location), text: nil, size: frame.size, bytes: frame.bytes,
                             height: frame.height + 1),
                        anchor: frame.anchor, into: &root)
            default:
                continue
            }
        }
    }

    /// The dotted field of the node about to be added (for diagnostics).
    private var currentField: String {
        guard let top = stack.last else { return "" }
        if top.isMapping {
            guard top.items.count % 2 == 1, let key = top.items.last?.text else { return top.field }
            return top.field.isEmpty ? key : "\(top.field).\(key)"
        }
        return "\(top.field)[\(top.items.count)]"
    }

    /// Counts a node (or an alias's expansion) against the budgets; depth is the nesting it adds below the stack.
    private mutating func charge(nodes count: Int, bytes: Int, depth: Int, at here: SourceLocation,
                                 alias: String?) throws(Stop) {
        nodes += count
        scalarBytes += bytes
        let remedy = alias == nil ? "a pipeline file is small: put data in a file and pass its path"
            : "aliases that repeat aliases grow exponentially (a \"billion laughs\"); write the values out or use fewer levels"
        if nodes > YAMLLimits.maxNodes {
            throw Stop(diagnostic: Diagnostic(
                .limitExceeded,
                alias.map { "expanding alias `*\($0)` makes the document larger than \(YAMLLimits.maxNodes.formatted) YAML nodes (an alias counts as many nodes as it expands to)" }
                    ?? "the document has more than \(YAMLLimits.maxNodes.formatted) YAML nodes",
                at: here, field: currentField, suggestion: remedy))
        }
        if scalarBytes > YAMLLimits.maxScalarBytes {
            let limit = "\(YAMLLimits.maxScalarBytes >> 20) MB of text"
            throw Stop(diagnostic: Diagnostic(
                .limitExceeded,
                alias.map { "expanding alias `*\($0)` makes the document hold more than \(limit)" }
                    ?? "the document holds more than \(limit)",
                at: here, field: currentField, suggestion: remedy))
        }
        if stack.count + depth > YAMLLimits.maxDepth {
            throw Stop(diagnostic: Diagnostic(
                .limitExceeded,
                "\(alias.map { "alias `*\($0)` nests" } ?? "lists and mappings nest") deeper than \(YAMLLimits.maxDepth) levels",
                at: here, field: currentField, suggestion: "a pipeline needs only a few levels; flatten the structure"))
        }
    }

    private mutating func add(_ node: Node, anchor: String?, into root: inout Node?) throws(Stop) {
        if let anchor { anchors[anchor] = node }
        guard !stack.isEmpty else {
            root = node
            return
        }
        let top = stack.count - 1
        if stack[top].isMapping, stack[top].items.count % 2 == 0, let text = node.text,
           text.utf8.count > YAMLLimits.maxKeyBytes {
            throw Stop(diagnostic: Diagnostic(
                .limitExceeded, "a mapping key of \(text.utf8.count) bytes; keys are at most \(YAMLLimits.maxKeyBytes) bytes",
                at: node.value.location, field: stack[top].field,
                suggestion: "keys are names of fields, stages and parameters"))
        }
        stack[top].items.append(node)
        stack[top].size += node.size
        stack[top].bytes += node.bytes
        stack[top].height = max(stack[top].height, node.height)
    }

    /// The entries of a finished mapping: keys must be scalars and unique; `<<` merges (see the type's doc).
    private mutating func mapping(_ frame: Frame) -> ConfigValue {
        let items = frame.items
        let count = items.count / 2
        func field(_ key: String) -> String { frame.field.isEmpty ? key : "\(frame.field).\(key)" }
        // Explicit keys first: they win over merged ones wherever they stand. Small mappings (most of them) find
        // duplicates by a scan, large ones with a set.
        var explicit = Set<String>()
        let useSet = count > 8
        var keep = [Bool](repeating: true, count: count)
        var entries: [ConfigValue.Entry] = []
        entries.reserveCapacity(count)
        var hasMerge = false
        for i in 0..<count {
            let key = items[2 * i]
            guard let text = key.text, !isCollection(key.value.value) else {
                diagnostics.append(Diagnostic(.wrongType, "mapping keys must be plain names, got a \(key.value.value.typeName)",
                                              at: key.value.location, field: frame.field))
                keep[i] = false
                continue
            }
            let duplicate: Bool
            if key.isMergeKey {
                duplicate = hasMerge
                hasMerge = true
            } else if useSet {
                duplicate = !explicit.insert(text).inserted
            } else {
                duplicate = entries.contains { $0.key == text }
            }
            if duplicate {
                diagnostics.append(Diagnostic(.duplicateID, "`\(text)` appears twice in the same mapping",
                                              at: key.value.location, field: field(text),
                                              suggestion: key.isMergeKey ? "merge several mappings with `<<: [*a, *b]`"
                                                                         : "rename or remove one of them"))
                keep[i] = false
            } else if !key.isMergeKey {
                entries.append(.init(key: text, keyLocation: key.value.location, value: items[2 * i + 1].value))
            }
        }
        guard hasMerge else { return .map(entries) }

        // With a merge key: build again, inserting the merged entries where `<<` stands.
        if !useSet { explicit = Set(entries.map(\.key)) }
        entries.removeAll(keepingCapacity: true)
        var merged = Set<String>()
        for i in 0..<count where keep[i] {
            let key = items[2 * i], value = items[2 * i + 1].value
            guard key.isMergeKey else {
                entries.append(.init(key: key.text!, keyLocation: key.value.location, value: value))
                continue
            }
            var sources: [ConfigValue.Located] = []
            switch value.value {
            case .map: sources = [value]
            case .list(let list): sources = list
            default:
                diagnostics.append(Diagnostic(.wrongType, "a merge key `<<` takes a mapping or a list of mappings, got \(value.value.typeName)",
                                              at: value.location, field: field("<<"),
                                              suggestion: "write `<<: *anchor` where `&anchor` names a mapping"))
            }
            for source in sources {
                guard case .map(let sourceEntries) = source.value else {
                    diagnostics.append(Diagnostic(.wrongType, "a merge key `<<` takes mappings, got \(source.value.typeName)",
                                                  at: source.location, field: field("<<"),
                                                  suggestion: "each item of `<<: [*a, *b]` must name a mapping"))
                    continue
                }
                for entry in sourceEntries where !explicit.contains(entry.key) && merged.insert(entry.key).inserted {
                    entries.append(entry)
                }
            }
        }
        return .map(entries)
    }

    private func isCollection(_ v: ConfigValue) -> Bool {
        switch v {
        case .list, .map: true
        default: false
        }
    }

    /// A libyaml error as a diagnostic: syntax errors at their position; reader errors (bytes that are not text)
    /// at the line and column of the offending byte.
    private func parserError(_ parser: yaml_parser_t, _ text: UnsafeBufferPointer<UInt8>) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        switch parser.error {
        case YAML_READER_ERROR:
            let offset = min(Int(parser.problem_offset), text.count - 1)
            let (line, column) = TextPosition.lineAndColumn(of: offset, in: text)
            let value = parser.problem_value
            let byte = value >= 0 ? " (\(value > 0xFF ? "U+" + hex(Int(value), 4) : "0x" + hex(Int(value), 2)))" : ""
            return Diagnostic(.encoding, "not valid YAML text: \(problem)\(byte) at line \(line), column \(column)",
                              at: SourceLocation(file: file, line: line, column: column), field: "",
                              suggestion: "remove the character or quote it as an escape, e.g. \"\\t\"")
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR, YAML_COMPOSER_ERROR:
            if problem.hasPrefix("Maximum nesting level") {
                return Diagnostic(.limitExceeded, "lists and mappings nest deeper than \(YAMLLimits.maxDepth) levels",
                                  at: location(parser.problem_mark), field: "",
                                  suggestion: "a pipeline needs only a few levels; flatten the structure")
            }
            let context = parser.context.map { " (\(String(cString: $0)))" } ?? ""
            return Diagnostic(.yamlSyntax, "YAML syntax error: \(problem)\(context)", at: location(parser.problem_mark),
                              field: "", suggestion: "check indentation, colons and brackets near this position")
        default:
            return Diagnostic(.limitExceeded, "out of memory while reading YAML", at: nil, field: "")
        }
    }
}

func hex(_ value: Int, _ digits: Int) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}

extension BinaryInteger {
    /// `1000000` → `1,000,000`.
    var formatted: String {
        let digits = String(self.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (self < 0 ? "-" : "") + out
    }
}

/// Line and column (1-based; columns count Unicode scalars, as libyaml's marks do) of a byte offset in UTF-8 text.
enum TextPosition {
    static func lineAndColumn(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
        var line = 1, column = 1
        var i = 0
        let end = min(offset, bytes.count)
        while i < end {
            let b = bytes[i]
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {  // not a continuation byte: a new scalar starts
                column += 1
            }
            i += 1
        }
        return (line, column)
    }
}
