import Foundation

/// A table of text cells in a report (every cell is escaped when rendered).
public struct ReportTable: Sendable {
    public var columns: [String]
    public var rows: [[String]]
    /// Per row, an optional relative link for the first cell (a point's report).
    public var links: [String?]
    public var caption: String?

    public init(columns: [String], rows: [[String]], links: [String?] = [], caption: String? = nil) {
        self.columns = columns
        self.rows = rows
        self.links = links
        self.caption = caption
    }
}

/// One section of a report: paragraphs, plots (and more plots in a collapsed list), tables, preformatted text.
public struct ReportSection: Sendable {
    public var id: String
    public var title: String
    public var paragraphs: [String] = []
    public var plots: [Plot] = []
    /// Plots shown only when the reader opens "more" (a collapsed `<details>`).
    public var morePlots: [Plot] = []
    public var moreTitle = "More plots"
    public var tables: [ReportTable] = []
    public var preformatted: String?
    /// The whole section starts collapsed.
    public var collapsed = false

    public init(id: String, title: String) {
        self.id = id
        self.title = title
    }

    var isEmpty: Bool { paragraphs.isEmpty && plots.isEmpty && morePlots.isEmpty && tables.isEmpty && preformatted == nil }
}

/// What a report shows, before it is rendered: a title, key facts, the claims, sections and notes about what could
/// not be read.
public struct ReportDocument: Sendable {
    public var title: String
    /// Key facts under the title (label, value).
    public var facts: [(String, String)] = []
    public var claims: ClaimsFile?
    /// Why claims.json could not be read, when it exists but is damaged.
    public var claimsProblem: String?
    public var sections: [ReportSection] = []
    /// Files that could not be read, plots left out, and why.
    public var notes: [String] = []

    public init(title: String) { self.title = title }

    /// Every plot with data, in page order.
    public var plots: [Plot] { sections.flatMap { $0.plots + $0.morePlots }.filter(\.hasData) }

    /// Plots a section shows at first; the rest go to its collapsed list, which holds at most `moreCap`.
    static let shownCap = 12, moreCap = 60

    /// Gives every plot an id unique in the document (`<id>`, `<id>-2`, …), drops empty sections and plots without
    /// data, and keeps each section to `shownCap` plots shown and `moreCap` collapsed (a note counts the rest).
    public mutating func finish() {
        var used: [String: Int] = [:]
        func unique(_ id: String) -> String {
            let base = Escape.identifier(id)
            var candidate = base
            while let n = used[candidate] {
                used[candidate] = n + 1
                candidate = "\(base)-\(n + 1)"
            }
            used[candidate] = 1
            return candidate
        }
        for s in sections.indices {
            sections[s].plots = sections[s].plots.filter(\.hasData)
            sections[s].morePlots = sections[s].morePlots.filter(\.hasData)
            if sections[s].plots.count > Self.shownCap {
                sections[s].morePlots = Array(sections[s].plots[Self.shownCap...]) + sections[s].morePlots
                sections[s].plots = Array(sections[s].plots.prefix(Self.shownCap))
            }
            if sections[s].morePlots.count > Self.moreCap {
                notes.append("\(sections[s].title): \(sections[s].morePlots.count - Self.moreCap) more plots are not drawn, "
                             + "to keep the report small")
                sections[s].morePlots = Array(sections[s].morePlots.prefix(Self.moreCap))
            }
            for p in sections[s].plots.indices { sections[s].plots[p].id = unique(sections[s].plots[p].id) }
            for p in sections[s].morePlots.indices { sections[s].morePlots[p].id = unique(sections[s].morePlots[p].id) }
        }
        sections.removeAll(where: \.isEmpty)
        var sectionIDs: Set<String> = []
        for s in sections.indices {
            var id = Escape.identifier(sections[s].id), n = 1
            while sectionIDs.contains(id) {
                n += 1
                id = Escape.identifier(sections[s].id) + "-\(n)"
            }
            sectionIDs.insert(id)
            sections[s].id = id
        }
    }
}
