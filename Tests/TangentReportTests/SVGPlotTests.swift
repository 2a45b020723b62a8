import Foundation
import Testing
@testable import TangentReport

/// Occurrences of `needle` in `text`.
func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

@Suite("SVG plots and escaping")
struct SVGPlotTests {
    func linePlot(_ series: [PlotSeries], xKind: Scale.Kind = .linear, yKind: Scale.Kind = .linear,
                  title: String = "Loss") -> Plot {
        Plot(id: "p", title: title, xLabel: "step", yLabel: "loss", xKind: xKind, yKind: yKind,
             content: .xy(series: series, markers: [PlotMarker(x: 3, label: "t_half = 3")], diagonal: false))
    }

    @Test("markup and control characters from files are escaped")
    func escaping() {
        #expect(Escape.html("<script>alert(\"x\")</script>&'") == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;")
        #expect(Escape.html("a\u{1}b\tc") == "a\u{FFFD}b\tc")
        #expect(Escape.identifier("Train Loss/α -- x") == "train-loss-x")
        #expect(Escape.identifier("...") == "plot")
        #expect(Escape.href(["points", "seed=1,a%2F", "report.html"]) == "points/seed%3D1%2Ca%252F/report.html")
    }

    @Test("a line plot: an svg.plot with axes, ticks, legend, markers; one data path per series; NaN breaks the line")
    func lines() throws {
        let plot = linePlot([PlotSeries(name: "train", x: [1, 2, 3, 4, 5], y: [5, 4, .nan, 2, 1], color: 0),
                             PlotSeries(name: "test", x: [1, 2, 3, 4, 5], y: [6, 5, 4, 3, 2], color: 1, dash: "6 3")])
        let svg = try #require(SVGPlot.render(plot))
        #expect(svg.hasPrefix("<svg class=\"plot\""))
        #expect(count("class=\"data\"", in: svg) == 2)
        let train = try #require(svg.components(separatedBy: "<path class=\"data\" d=\"").dropFirst().first)
        #expect(count("M", in: String(train.prefix { $0 != "\"" })) == 2)  // the NaN is a gap
        #expect(svg.contains(">train</text>") && svg.contains(">test</text>"))
        #expect(svg.contains("class=\"marker\"") && svg.contains("t_half = 3"))
        #expect(svg.contains(">step</text>") && svg.contains(">loss</text>"))
        #expect(svg.contains("stroke-dasharray=\"6 3\""))
        #expect(SVGPlot.render(plot) == svg)  // deterministic
    }

    @Test("log axes: decade labels, points ≤ 0 left out; a plot with nothing drawable is no plot")
    func logAxes() throws {
        let plot = linePlot([PlotSeries(name: "loss", x: [0, 1, 10, 100, 1000], y: [1, 0.5, 0.1, 1e-3, 0])],
                            xKind: .log, yKind: .log)
        let svg = try #require(SVGPlot.render(plot))
        #expect(svg.contains(">10⁻³</text>") && svg.contains(">10²</text>"))
        let path = try #require(svg.components(separatedBy: "<path class=\"data\" d=\"").dropFirst().first)
        #expect(count("L", in: String(path.prefix { $0 != "\"" })) == 2)  // 3 of the 5 points
        let empty = linePlot([PlotSeries(name: "x", x: [0, 1], y: [-1, .nan])], xKind: .log, yKind: .log)
        #expect(!empty.hasData && SVGPlot.render(empty) == nil)
        #expect(SVGPlot.render(linePlot([])) == nil)
    }

    @Test("bands and error bars are data marks; the titles of a plot from a file are escaped")
    func uncertainty() throws {
        var plot = linePlot([PlotSeries(name: "<mean>", x: [1, 2, 3], y: [1, 2, 3], lower: [0.5, 1.5, .nan],
                                        upper: [1.5, 2.5, .nan], style: .lineAndPoints)], title: "a <b>bold</b> title")
        var svg = try #require(SVGPlot.render(plot))
        #expect(count("class=\"data\"", in: svg) == 3)  // band, line, points
        #expect(svg.contains("a &lt;b&gt;bold&lt;/b&gt; title") && !svg.contains("<b>"))
        #expect(svg.contains("&lt;mean&gt;"))
        plot.uncertainty = .errorBars
        svg = try #require(SVGPlot.render(plot))
        #expect(count("class=\"data\"", in: svg) == 3)  // error bars, line, points
        #expect(!svg.contains("fill-opacity=\"0.18\""))
    }

    @Test("a heatmap: one data cell per entry with its value, a colour scale with ticks")
    func heatmap() throws {
        let plot = Plot(id: "ksm", title: "KSM", xLabel: "target", yLabel: "kernel",
                        content: .heatmap(PlotHeatmap(rows: ["c = 0", "c = 1"], columns: ["d = 0", "d = 1"],
                                                      values: [[1.5, 0.5], [0.25, 1.25]])))
        let svg = try #require(SVGPlot.render(plot))
        #expect(count("<rect class=\"data\"", in: svg) == 4)
        for value in ["1.50", "0.50", "0.25", "1.25"] { #expect(svg.contains(">\(value)</text>")) }
        #expect(svg.contains(Palette.viridis(1)) && svg.contains(Palette.viridis(0)))
        #expect(svg.contains(">1.0</text>"))  // a colour-scale tick
        #expect(plot.csv.rows.count == 4 && plot.csv.columns == ["kernel", "target", "value"])
    }

    @Test("a bar chart: one data bar per value, a legend of its groups")
    func bars() throws {
        let plot = Plot(id: "b", title: "MSE", xLabel: "predictor", yLabel: "test MSE",
                        content: .bars([PlotBar(label: "ntk", value: 0.2, group: "kernel"),
                                        PlotBar(label: "net", value: 0.1, color: 1, group: "network"),
                                        PlotBar(label: "bad", value: .nan)]))
        let svg = try #require(SVGPlot.render(plot))
        #expect(count("<rect class=\"data\"", in: svg) == 2)
        #expect(svg.contains(">kernel</text>") && svg.contains(">network</text>"))
    }

    @Test("a plot's CSV holds every point (NaN as an empty cell) and the markers")
    func csv() {
        let plot = linePlot([PlotSeries(name: "a,b", x: [0, 1], y: [.nan, 0.5], lower: [0, 0.25], upper: [0, 0.75])])
        #expect(plot.csv.csvText == "series,step,loss,lower,upper\n\"a,b\",0,,0,0\n\"a,b\",1,0.5,0.25,0.75\nmarker: t_half = 3,3,,,\n")
    }
}

@Suite("The report document")
struct ReportDocumentTests {
    @Test("plot ids are made unique and safe; empty plots and sections are dropped; many plots are capped")
    func finish() {
        func plot(_ id: String, _ y: Double = 1) -> Plot {
            Plot(id: id, title: id, xLabel: "x", yLabel: "y",
                 content: .xy(series: [PlotSeries(name: "s", x: [1, 2], y: [y, y])], markers: [], diagonal: false))
        }
        var doc = ReportDocument(title: "t")
        var a = ReportSection(id: "A b", title: "A")
        a.plots = [plot("loss/train"), plot("loss train"), plot("empty", .nan)]
        var many = ReportSection(id: "many", title: "Many")
        many.plots = (0..<80).map { plot("p\($0)") }
        doc.sections = [a, ReportSection(id: "nothing", title: "Nothing"), many]
        doc.finish()
        #expect(doc.sections.map(\.id) == ["a-b", "many"])
        #expect(doc.sections[0].plots.map(\.id) == ["loss-train", "loss-train-2"])
        #expect(doc.sections[1].plots.count == ReportDocument.shownCap)
        #expect(doc.sections[1].morePlots.count == ReportDocument.moreCap)
        #expect(doc.notes == ["Many: 8 more plots are not drawn, to keep the report small"])
        let (html, drawn) = ReportHTML.render(doc, version: "test")
        #expect(drawn.count == 2 + ReportDocument.shownCap + ReportDocument.moreCap)
        #expect(count("<svg class=\"plot\"", in: html) == drawn.count)
        #expect(html.contains("<meta name=\"generator\" content=\"tangent-report (Tangent test)\">"))
    }
}
