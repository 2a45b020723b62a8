import Foundation
import TangentPipeline

/// One line, set of points or both, with an optional uncertainty (a band or error bars) per point.
public struct PlotSeries: Sendable {
    public enum Style: Sendable { case line, points, lineAndPoints }
    /// How points are drawn: filled dots, or crosses (which show dots beneath them).
    public enum Marker: Sendable { case dot, cross }

    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// Lower and upper ends of each point's uncertainty (mean ± stderr), or nil.
    public var lower: [Double]?
    public var upper: [Double]?
    public var style: Style
    /// Index into `Palette.series`.
    public var color: Int
    /// An SVG dash pattern ("" for solid).
    public var dash: String
    public var marker: Marker = .dot

    public init(name: String, x: [Double], y: [Double], lower: [Double]? = nil, upper: [Double]? = nil,
                style: Style = .line, color: Int = 0, dash: String = "") {
        self.name = name
        self.x = x
        self.y = y
        self.lower = lower
        self.upper = upper
        self.style = style
        self.color = color
        self.dash = dash
    }

    /// The indices of points that can be drawn on scales of these kinds.
    func drawable(_ xKind: Scale.Kind, _ yKind: Scale.Kind) -> [Int] {
        (0..<min(x.count, y.count)).filter { Scale.accepts(x[$0], xKind) && Scale.accepts(y[$0], yKind) }
    }
}

/// A vertical line at `x` with a label (t_align, t_norm, t_half, the end of a fast phase).
public struct PlotMarker: Sendable {
    public var x: Double
    public var label: String
    public init(x: Double, label: String) {
        self.x = x
        self.label = label
    }
}

/// One bar of a bar chart.
public struct PlotBar: Sendable {
    public var label: String
    public var value: Double
    public var color: Int
    /// The legend entry of the bar's colour ("kernel predictor"); nil: none.
    public var group: String?
    public init(label: String, value: Double, color: Int = 0, group: String? = nil) {
        self.label = label
        self.value = value
        self.color = color
        self.group = group
    }
}

/// A matrix shown as coloured cells with their values and a colour scale.
public struct PlotHeatmap: Sendable {
    public var rows: [String]
    public var columns: [String]
    /// `values[r][c]`.
    public var values: [[Double]]
    public init(rows: [String], columns: [String], values: [[Double]]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }
}

/// A plot: a title, axis titles and scales, and what it shows; rendered to SVG by `SVGPlot` and to CSV by `csv`.
public struct Plot: Sendable {
    public enum Content: Sendable {
        /// Lines and points, vertical markers, and optionally the diagonal y = x (then both axes share a domain).
        case xy(series: [PlotSeries], markers: [PlotMarker], diagonal: Bool)
        case bars([PlotBar])
        case heatmap(PlotHeatmap)
    }

    /// How uncertainties show: a shaded band (curves) or error bars (a few points).
    public enum Uncertainty: Sendable { case band, errorBars }

    /// Unique within a report; also names `report-data/<id>.csv`.
    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xKind: Scale.Kind
    public var yKind: Scale.Kind
    /// Category labels of a categorical x axis (the series' x values are then indices).
    public var xCategories: [String]?
    /// A fixed linear y domain.
    public var yDomain: (Double, Double)?
    /// Ticks of the x axis at these values instead of nice numbers (e.g. the widths of a coordinate check).
    public var xTicks: [Double]?
    public var uncertainty: Uncertainty
    /// A sentence under the plot (what is shown, what was left out).
    public var caption: String?
    public var content: Content

    public init(id: String, title: String, xLabel: String, yLabel: String, xKind: Scale.Kind = .linear,
                yKind: Scale.Kind = .linear, xCategories: [String]? = nil, yDomain: (Double, Double)? = nil,
                uncertainty: Uncertainty = .band, caption: String? = nil, content: Content) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xKind = xKind
        self.yKind = yKind
        self.xCategories = xCategories
        self.yDomain = yDomain
        self.uncertainty = uncertainty
        self.caption = caption
        self.content = content
    }

    /// Whether there is anything to draw: at least one point, bar or finite cell that fits the scales.
    public var hasData: Bool {
        switch content {
        case .xy(let series, _, _):
            return series.contains { !$0.drawable(xKind, yKind).isEmpty }
        case .bars(let bars):
            return bars.contains { Scale.accepts($0.value, yKind) }
        case .heatmap(let map):
            return map.values.contains { $0.contains { $0.isFinite } }
        }
    }

    /// The plot's data, every point (also those a log axis cannot show), as a table for `report-data/<id>.csv`.
    public var csv: CSVTable {
        switch content {
        case .xy(let series, let markers, _):
            let uncertain = series.contains { $0.lower != nil || $0.upper != nil }
            var columns = ["series", xLabel, yLabel]
            if uncertain { columns += ["lower", "upper"] }
            var rows: [[String]] = []
            for s in series {
                for i in 0..<min(s.x.count, s.y.count) {
                    var row = [s.name, xText(s.x[i]), Plot.number(s.y[i])]
                    if uncertain {
                        row += [s.lower.map { i < $0.count ? Plot.number($0[i]) : "" } ?? "",
                                s.upper.map { i < $0.count ? Plot.number($0[i]) : "" } ?? ""]
                    }
                    rows.append(row)
                }
            }
            for m in markers {
                rows.append(["marker: " + m.label, Plot.number(m.x), ""] + (uncertain ? ["", ""] : []))
            }
            return CSVTable(columns: columns, rows: rows)
        case .bars(let bars):
            return CSVTable(columns: [xLabel, yLabel], rows: bars.map { [$0.label, Plot.number($0.value)] })
        case .heatmap(let map):
            var rows: [[String]] = []
            for (r, row) in map.values.enumerated() {
                for (c, v) in row.enumerated() {
                    rows.append([r < map.rows.count ? map.rows[r] : "\(r)", c < map.columns.count ? map.columns[c] : "\(c)",
                                 Plot.number(v)])
                }
            }
            return CSVTable(columns: [yLabel, xLabel, "value"], rows: rows)
        }
    }

    private func xText(_ x: Double) -> String {
        if let categories = xCategories, x == x.rounded(), x >= 0, Int(x) < categories.count { return categories[Int(x)] }
        return Plot.number(x)
    }

    /// A number as the sweep tables write it: integers as integers, others in shortest round-trip form, NaN and
    /// infinities as empty cells.
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
