import Foundation
import TangentPipeline

/// The page: one self-contained HTML file (inline CSS and SVG, no script, no font, nothing fetched), whose every
/// string from a file is escaped. `render` also returns the plots it drew, whose data go to `report-data/`.
public enum ReportHTML {
    /// Marks a report.html as Tangent's: a file without it is never overwritten.
    public static let generator = "tangent-report"
    public static let dataFolder = "report-data"

    public static func render(_ doc: ReportDocument, version: String) -> (html: String, plots: [Plot]) {
        var drawn: [Plot] = []
        var body = "<header><h1>\(Escape.html(doc.title))</h1>"
        if !doc.facts.isEmpty {
            body += "<dl class=\"facts\">" + doc.facts.map { "<dt>\(Escape.html($0.0))</dt><dd>\(Escape.html($0.1))</dd>" }
                .joined() + "</dl>"
        }
        body += "</header>\n"
        var contents: [(String, String)] = []
        if doc.claims != nil || doc.claimsProblem != nil { contents.append(("claims", "Claims")) }
        contents += doc.sections.map { ($0.id, $0.title) }
        if !doc.notes.isEmpty { contents.append(("notes", "Notes")) }
        if contents.count > 1 {
            body += "<nav><ul>" + contents.map { "<li><a href=\"#\(Escape.html($0.0))\">\(Escape.html($0.1))</a></li>" }
                .joined() + "</ul></nav>\n"
        }
        if let claims = doc.claims {
            body += self.claims(claims)
        } else if let problem = doc.claimsProblem {
            body += "<section id=\"claims\" class=\"claims fail\"><h2>Claims</h2><p class=\"error\">"
                + Escape.html(problem) + "</p></section>\n"
        }
        for section in doc.sections {
            body += "<section id=\"\(Escape.html(section.id))\">"
            var inner = section.paragraphs.map { "<p>\(Escape.html($0))</p>" }.joined()
            let plots = section.plots.compactMap { figure($0) }
            drawn += plots.map(\.0)
            if !plots.isEmpty { inner += "<div class=\"plots\">" + plots.map(\.1).joined() + "</div>" }
            let more = section.morePlots.compactMap { figure($0) }
            drawn += more.map(\.0)
            if !more.isEmpty {
                inner += "<details class=\"more\"><summary>\(Escape.html(section.moreTitle)) (\(more.count))</summary>"
                    + "<div class=\"plots\">" + more.map(\.1).joined() + "</div></details>"
            }
            inner += section.tables.map(table).joined()
            if let text = section.preformatted { inner += "<pre>\(Escape.html(text))</pre>" }
            if section.collapsed {
                body += "<h2>\(Escape.html(section.title))</h2><details><summary>Show</summary>\(inner)</details>"
            } else {
                body += "<h2>\(Escape.html(section.title))</h2>\(inner)"
            }
            body += "</section>\n"
        }
        if !doc.notes.isEmpty {
            body += "<section id=\"notes\"><h2>Notes</h2><ul class=\"notes\">"
                + doc.notes.map { "<li>\(Escape.html($0))</li>" }.joined() + "</ul></section>\n"
        }
        let html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="\(generator) (Tangent \(Escape.html(version)))">
            <title>\(Escape.html(doc.title))</title>
            <style>
            \(css)
            </style>
            </head>
            <body>
            \(body)<footer>Written by Tangent \(Escape.html(version)). Each plot's data: <code>\(dataFolder)/&lt;plot&gt;.csv</code>.</footer>
            </body>
            </html>

            """
        return (html, drawn)
    }

    /// A plot as a figure with its caption and the link to its data, or nil when it has nothing to draw.
    static func figure(_ plot: Plot) -> (Plot, String)? {
        guard let svg = SVGPlot.render(plot), !svg.isEmpty else { return nil }
        let csv = Escape.href([dataFolder, plot.id + ".csv"])
        let caption = (plot.caption.map { Escape.html($0) + " " } ?? "")
            + "<a href=\"\(csv)\">Data (CSV)</a>"
        return (plot, "<figure id=\"plot-\(plot.id)\">\(svg)<figcaption>\(caption)</figcaption></figure>")
    }

    static func table(_ t: ReportTable) -> String {
        var out = "<div class=\"table\"><table>"
        if let caption = t.caption { out += "<caption>\(Escape.html(caption))</caption>" }
        out += "<thead><tr>" + t.columns.map { "<th>\(Escape.html($0))</th>" }.joined() + "</tr></thead><tbody>"
        for (r, row) in t.rows.enumerated() {
            out += "<tr>"
            for (c, cell) in row.enumerated() {
                let numeric = Double(cell.replacingOccurrences(of: "−", with: "-")) != nil
                var content = Escape.html(cell)
                if c == 0, r < t.links.count, let link = t.links[r] { content = "<a href=\"\(link)\">\(content)</a>" }
                out += numeric ? "<td class=\"num\">\(content)</td>" : "<td>\(content)</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table></div>"
    }

    static func claims(_ claims: ClaimsFile) -> String {
        let ok = claims.allHold && claims.failed == 0
        var out = "<section id=\"claims\" class=\"claims \(ok ? "ok" : "fail")\"><h2>Claims</h2>"
        out += "<p class=\"claims-summary\">\(ok ? "✓" : "✗") \(claims.held) of \(claims.total) claim"
            + (claims.total == 1 ? "" : "s") + (claims.held == 1 ? " holds" : " hold") + (claims.failed > 0 ? " · \(claims.failed) failed" : "") + "</p>"
        out += "<ul class=\"claims-list\">"
        for claim in claims.claims {
            let state = claim.holds == true ? "held" : claim.holds == false ? "failed" : "unknown"
            let mark = claim.holds == true ? "✓" : claim.holds == false ? "✗" : "?"
            out += "<li class=\"claim \(state)\"><span class=\"mark\" aria-label=\"\(state)\">\(mark)</span>"
                + "<div><span class=\"that\">\(Escape.html(claim.that))</span>"
            if !claim.check.isEmpty { out += " <code>\(Escape.html(claim.check))</code>" }
            if !claim.values.isEmpty {
                out += "<span class=\"values\">" + claim.values.map { "\(Escape.html($0.0)) = \(Escape.html($0.1))" }
                    .joined(separator: " · ") + "</span>"
            }
            if let error = claim.error { out += "<span class=\"error\">\(Escape.html(error))</span>" }
            out += "</div></li>"
        }
        return out + "</ul></section>\n"
    }

    static let css = """
        :root { color-scheme: light; }
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d1d1f;
          margin: 0 auto; padding: 16px 24px 40px; max-width: 1320px; line-height: 1.4; background: #fafafa; }
        h1 { font-size: 1.6em; margin: 0.2em 0 0.4em; }
        h2 { font-size: 1.25em; margin: 1.2em 0 0.5em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
        summary { cursor: pointer; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; font-size: 0.92em; }
        dl.facts dt { color: #555; } dl.facts dd { margin: 0; word-break: break-word; }
        nav ul { list-style: none; padding: 0; margin: 12px 0; display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 0.92em; }
        a { color: #0060a0; }
        .plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
        figure { margin: 0; background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 8px; }
        svg.plot { width: 100%; height: auto; display: block; }
        figcaption { font-size: 0.85em; color: #444; margin-top: 4px; }
        details.more { margin-top: 12px; }
        details.more > summary { font-weight: 600; margin-bottom: 8px; }
        .table { overflow-x: auto; margin: 8px 0 12px; }
        table { border-collapse: collapse; font-size: 0.88em; background: #fff; }
        caption { text-align: left; color: #444; padding: 4px 0; }
        th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
        th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        pre { background: #fff; border: 1px solid #e2e2e2; padding: 10px; overflow: auto; max-height: 640px; font-size: 0.85em; }
        .claims { background: #fff; border: 1px solid #ddd; border-left: 6px solid #999; border-radius: 6px; padding: 4px 16px 10px; }
        .claims.ok { border-left-color: #009E73; } .claims.fail { border-left-color: #D55E00; }
        .claims h2 { border: none; margin-top: 0.5em; }
        .claims-summary { font-weight: 600; }
        .claims-list { list-style: none; padding: 0; margin: 0; }
        .claim { display: flex; gap: 10px; padding: 5px 0; border-top: 1px solid #eee; }
        .claim .mark { font-size: 1.2em; width: 1.2em; text-align: center; font-weight: bold; }
        .claim.held .mark { color: #009E73; } .claim.failed .mark { color: #D55E00; } .claim.unknown .mark { color: #777; }
        .claim code { background: #f3f3f3; padding: 0 4px; border-radius: 3px; }
        .claim .values { display: block; color: #444; font-size: 0.9em; }
        .error { display: block; color: #b00020; }
        ul.notes li { color: #7a4a00; }
        footer { margin-top: 32px; color: #666; font-size: 0.85em; }
        """
}
