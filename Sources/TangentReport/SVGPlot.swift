import Foundation

/// Renders a `Plot` as a self-contained `<svg class="plot">`: title, axes with ticks, tick labels and titles,
/// grid lines, the marks (lines, bands, error bars, points, bars, heatmap cells — each with `class="data"`), and a
/// legend below the plot area. Points that a scale cannot place (NaN, infinities, values ≤ 0 on a log axis)
/// are gaps. Coordinates are written with one decimal, so the same plot is always the same text.
public enum SVGPlot {
    static let width = 640.0
    static let left = 76.0, right = 22.0, top = 42.0, plotHeight = 280.0
    static let charWidth = 7.2

    /// The SVG text, or nil when the plot has no data to draw.
    public static func render(_ plot: Plot) -> String? {
        guard plot.hasData else { return nil }
        switch plot.content {
        case .xy(let series, let markers, let diagonal):
            return xy(plot, series: series, markers: markers, diagonal: diagonal)
        case .bars(let bars):
            return barChart(plot, bars)
        case .heatmap(let map):
            return heatmap(plot, map)
        }
    }

    // MARK: - Pieces

    static func f(_ v: Double) -> String {
        let text = String(format: "%.1f", v)
        return text == "-0.0" ? "0.0" : text
    }

    static func text(_ s: String, x: Double, y: Double, anchor: String = "middle", size: Int = 13, weight: String? = nil,
                     rotate: Double? = nil, fill: String = "#222", halo: Bool = false) -> String {
        var attributes = "x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"\(fill)\""
        if halo { attributes += " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"" }
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let rotate { attributes += " transform=\"rotate(\(f(rotate)) \(f(x)) \(f(y)))\"" }
        return "<text \(attributes)>\(Escape.html(s))</text>"
    }

    static func open(_ plot: Plot, height: Double) -> String {
        "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height.rounded(.up)))\" "
            + "width=\"\(Int(width))\" height=\"\(Int(height.rounded(.up)))\" role=\"img\" "
            + "aria-label=\"\(Escape.html(plot.title))\" style=\"font-family: sans-serif\">"
            + "<title>\(Escape.html(plot.title))</title>"
            + "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"#ffffff\"/>"
            + text(clip(plot.title, 84), x: width / 2, y: 22, size: titleSize(plot.title), weight: "bold")
    }

    /// 15 px, smaller for long titles (down to 11 px; longer ones are clipped).
    static func titleSize(_ title: String) -> Int {
        let fits = Int((width - 24) / (Double(max(title.count, 1)) * 0.56))
        return max(11, min(15, fits))
    }

    /// Truncates `s` to `n` characters with an ellipsis.
    static func clip(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(max(1, n - 1))) + "…" }

    /// Grid lines, ticks, tick labels and titles of both axes around the plot area.
    static func axes(_ plot: Plot, x: Scale, y: Scale, area: (x0: Double, x1: Double, y0: Double, y1: Double),
                     rotateX: Bool) -> String {
        var out = "<g class=\"axes\">"
        for (t, label) in zip(y.ticks, y.labels) {
            guard let p = y.position(t), y.contains(t) else { continue }
            out += "<line x1=\"\(f(area.x0))\" y1=\"\(f(p))\" x2=\"\(f(area.x1))\" y2=\"\(f(p))\" stroke=\"#e4e4e4\"/>"
            out += "<line x1=\"\(f(area.x0 - 5))\" y1=\"\(f(p))\" x2=\"\(f(area.x0))\" y2=\"\(f(p))\" stroke=\"#333\"/>"
            out += text(label, x: area.x0 - 8, y: p + 4, anchor: "end")
        }
        for (t, label) in zip(x.ticks, x.labels) {
            guard let p = x.position(t), x.contains(t) else { continue }
            out += "<line x1=\"\(f(p))\" y1=\"\(f(area.y0))\" x2=\"\(f(p))\" y2=\"\(f(area.y1))\" stroke=\"#e4e4e4\"/>"
            out += "<line x1=\"\(f(p))\" y1=\"\(f(area.y1))\" x2=\"\(f(p))\" y2=\"\(f(area.y1 + 5))\" stroke=\"#333\"/>"
            out += rotateX ? text(clip(label, 28), x: p, y: area.y1 + 14, anchor: "end", rotate: -35)
                : text(label, x: p, y: area.y1 + 19)
        }
        out += minorTicks(x, horizontal: true, at: area.y1) + minorTicks(y, horizontal: false, at: area.x0)
        out += "<line x1=\"\(f(area.x0))\" y1=\"\(f(area.y1))\" x2=\"\(f(area.x1))\" y2=\"\(f(area.y1))\" stroke=\"#333\"/>"
        out += "<line x1=\"\(f(area.x0))\" y1=\"\(f(area.y0))\" x2=\"\(f(area.x0))\" y2=\"\(f(area.y1))\" stroke=\"#333\"/>"
        let xTitleY = area.y1 + (rotateX ? xLabelDepth(x.labels) + 18 : 40)
        out += text(plot.xLabel, x: (area.x0 + area.x1) / 2, y: xTitleY, size: 14)
        out += text(plot.yLabel, x: 16, y: (area.y0 + area.y1) / 2, size: 14, rotate: -90)
        return out + "</g>"
    }

    /// Unlabelled ticks at 2…9 × 10^k on a log axis whose labelled ticks are every decade.
    static func minorTicks(_ scale: Scale, horizontal: Bool, at base: Double) -> String {
        guard scale.kind == .log, scale.ticks.count >= 2, scale.ticks.allSatisfy(Ticks.isDecade),
              scale.ticks[1] / scale.ticks[0] < 10.5 else { return "" }
        let first = Int(log10(scale.domain.lo).rounded(.down)), last = Int(log10(scale.domain.hi).rounded(.up))
        guard last - first <= 12 else { return "" }
        var d = ""
        for k in first...last {
            for m in 2...9 {
                let v = Double(m) * pow(10, Double(k))
                guard scale.contains(v), let p = scale.position(v) else { continue }
                d += horizontal ? "M\(f(p)) \(f(base))v3" : "M\(f(base)) \(f(p))h-3"
            }
        }
        return d.isEmpty ? "" : "<path d=\"\(d)\" stroke=\"#333\" fill=\"none\"/>"
    }

    /// The vertical room rotated x labels take.
    static func xLabelDepth(_ labels: [String]) -> Double {
        Double(min(labels.map(\.count).max() ?? 0, 28)) * charWidth * 0.574 + 12
    }

    /// Whether the labels of a categorical axis need rotating to fit their slots.
    static func needsRotation(_ labels: [String], slot: Double) -> Bool {
        Double(labels.map(\.count).max() ?? 0) * charWidth > slot - 6
    }

    // MARK: - Legend

    enum Swatch { case line(color: String, dash: String, points: Bool), points(String), cross(String), rule(String, String), box(String) }

    /// Legend entries laid out in up to three columns below the plot area; returns the SVG and its height.
    static func legend(_ entries: [(Swatch, String)], top: Double) -> (String, Double) {
        guard !entries.isEmpty else { return ("", 0) }
        let longest = Double(entries.map(\.1.count).max() ?? 0) * charWidth + 34
        let usable = width - left - right
        let columns = longest <= usable / 3 ? 3 : longest <= usable / 2 ? 2 : 1
        let columnWidth = usable / Double(columns)
        let fit = Int((columnWidth - 34) / charWidth)
        var out = "<g class=\"legend\">"
        for (i, (swatch, label)) in entries.enumerated() {
            let x = left + Double(i % columns) * columnWidth
            let y = top + Double(i / columns) * 18
            switch swatch {
            case .line(let color, let dash, let points):
                out += "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 24))\" y2=\"\(f(y))\" stroke=\"\(color)\" "
                    + "stroke-width=\"2.2\"" + (dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"") + "/>"
                if points { out += "<circle cx=\"\(f(x + 12))\" cy=\"\(f(y))\" r=\"3\" fill=\"\(color)\"/>" }
            case .points(let color):
                out += "<circle cx=\"\(f(x + 12))\" cy=\"\(f(y))\" r=\"3.5\" fill=\"\(color)\" fill-opacity=\"0.7\"/>"
            case .cross(let color):
                out += "<path d=\"M\(f(x + 8.5)) \(f(y - 3.5))l7 7m0 -7l-7 7\" stroke=\"\(color)\" stroke-width=\"1.6\"/>"
            case .rule(let color, let dash):
                out += "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 24))\" y2=\"\(f(y))\" stroke=\"\(color)\" "
                    + "stroke-width=\"1.4\" stroke-dasharray=\"\(dash)\"/>"
            case .box(let color):
                out += "<rect x=\"\(f(x + 4))\" y=\"\(f(y - 6))\" width=\"16\" height=\"12\" fill=\"\(color)\"/>"
            }
            let shown = clip(label, fit)
            out += "<text x=\"\(f(x + 30))\" y=\"\(f(y + 4))\" font-size=\"13\" fill=\"#222\">"
                + (shown == label ? "" : "<title>\(Escape.html(label))</title>") + Escape.html(shown) + "</text>"
        }
        let rows = (entries.count + columns - 1) / columns
        return (out + "</g>", Double(rows) * 18)
    }

    // MARK: - Lines and points

    static let markerDashes = ["2 3", "7 3", "10 3 2 3", "1 3", "5 5"]

    static func xy(_ plot: Plot, series: [PlotSeries], markers: [PlotMarker], diagonal: Bool) -> String {
        let x0 = left, x1 = width - right, y0 = top, y1 = top + plotHeight
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for i in s.drawable(plot.xKind, plot.yKind) {
                xs.append(s.x[i])
                ys.append(s.y[i])
                if let l = s.lower, i < l.count { ys.append(l[i]) }
                if let u = s.upper, i < u.count { ys.append(u[i]) }
            }
        }
        xs += markers.map(\.x)
        if diagonal { (xs, ys) = (xs + ys, xs + ys) }
        let xScale: Scale
        var rotateX = false
        if let categories = plot.xCategories {
            xScale = Scale.categorical(categories, range: (x0, x1))
            rotateX = needsRotation(categories, slot: (x1 - x0) / Double(max(categories.count, 1)))
        } else {
            let pointed = series.contains { $0.style != .line } || plot.uncertainty == .errorBars
            guard var s = Scale.fit(xs, kind: plot.xKind, range: (x0, x1), pad: pointed ? 0.03 : 0) else { return "" }
            if let ticks = plot.xTicks?.filter({ s.contains($0) }), !ticks.isEmpty {
                s.ticks = ticks
                s.labels = ticks.map { Ticks.label($0, ticks: ticks) }
            }
            xScale = s
        }
        guard let yScale = Scale.fit(ys, kind: plot.yKind, range: (y1, y0), fixed: plot.yDomain) else { return "" }

        var body = "<defs><clipPath id=\"clip-\(plot.id)\"><rect x=\"\(f(x0 - 6))\" y=\"\(f(y0 - 4))\" width=\"\(f(x1 - x0 + 12))\" "
            + "height=\"\(f(y1 - y0 + 8))\"/></clipPath></defs>"
        body += axes(plot, x: xScale, y: yScale, area: (x0, x1, y0, y1), rotateX: rotateX)
        var marks = "<g clip-path=\"url(#clip-\(plot.id))\">"
        var entries: [(Swatch, String)] = []

        if diagonal, let lo = [xScale.domain.lo, yScale.domain.lo].max(), let hi = [xScale.domain.hi, yScale.domain.hi].min(),
           hi > lo, let a = xScale.position(lo), let b = yScale.position(lo), let c = xScale.position(hi),
           let d = yScale.position(hi) {
            marks += "<line class=\"ref\" x1=\"\(f(a))\" y1=\"\(f(b))\" x2=\"\(f(c))\" y2=\"\(f(d))\" stroke=\"#888\" "
                + "stroke-width=\"1.2\" stroke-dasharray=\"5 4\"/>"
            entries.append((.rule("#888", "5 4"), "y = x"))
        }
        for s in series where plot.uncertainty == .band {
            marks += band(s, xScale, yScale, plot)
        }
        for s in series {
            let color = Palette.color(s.color)
            let indices = s.drawable(plot.xKind, plot.yKind)
            guard !indices.isEmpty else { continue }
            if plot.uncertainty == .errorBars { marks += errorBars(s, indices, xScale, yScale) }
            if s.style != .points {
                let d = linePath(s, xScale, yScale, plot)
                if !d.isEmpty {
                    marks += "<path class=\"data\" d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" "
                        + "stroke-linejoin=\"round\"" + (s.dash.isEmpty ? "" : " stroke-dasharray=\"\(s.dash)\"")
                        + "><title>\(Escape.html(s.name))</title></path>"
                }
            }
            if s.style != .line {
                let sampled = sample(indices, limit: 2500)
                let cross = s.marker == .cross
                let d = sampled.compactMap { i -> String? in
                    guard let px = xScale.position(s.x[i]), let py = yScale.position(s.y[i]) else { return nil }
                    return cross ? "M\(f(px - 3.5)) \(f(py - 3.5))l7 7m0 -7l-7 7" : "M\(f(px)) \(f(py))h0"
                }.joined()
                let size = cross ? "1.6" : s.style == .points ? (indices.count > 400 ? "4" : "6") : "6"
                marks += "<path class=\"data\" d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(size)\" "
                    + "stroke-linecap=\"round\"" + (s.style == .points && !cross ? " stroke-opacity=\"0.65\"" : "")
                    + "><title>\(Escape.html(s.name))</title></path>"
            }
            if !s.name.isEmpty {
                entries.append(s.style == .points ? (s.marker == .cross ? .cross(color) : .points(color), s.name)
                               : (.line(color: color, dash: s.dash, points: s.style == .lineAndPoints), s.name))
            }
        }
        for (i, m) in markers.enumerated() {
            guard let p = xScale.position(m.x) else { continue }
            let dash = markerDashes[i % markerDashes.count]
            marks += "<line class=\"marker\" x1=\"\(f(p))\" y1=\"\(f(y0))\" x2=\"\(f(p))\" y2=\"\(f(y1))\" stroke=\"#444\" "
                + "stroke-width=\"1.4\" stroke-dasharray=\"\(dash)\"/>"
            marks += text(m.label, x: p + 3, y: y0 + 12 + Double(i % 4) * 14, anchor: "start", size: 12, fill: "#444", halo: true)
            entries.append((.rule("#444", dash), m.label))
        }
        marks += "</g>"
        let legendTop = y1 + (rotateX ? xLabelDepth(xScale.labels) + 40 : 62)
        let (legendSVG, legendHeight) = legend(entries, top: legendTop)
        let height = legendTop + legendHeight + (legendHeight > 0 ? 0 : -8)
        return open(plot, height: height) + body + marks + legendSVG + "</svg>"
    }

    /// Every `n`-th index so that at most `limit` remain (the last one always kept).
    static func sample(_ indices: [Int], limit: Int) -> [Int] {
        guard indices.count > limit else { return indices }
        let step = (indices.count + limit - 1) / limit
        var out = stride(from: 0, to: indices.count, by: step).map { indices[$0] }
        if out.last != indices.last { out.append(indices.last!) }
        return out
    }

    /// `M…L…` subpaths through consecutive drawable points; a point that cannot be drawn breaks the line.
    static func linePath(_ s: PlotSeries, _ x: Scale, _ y: Scale, _ plot: Plot) -> String {
        let n = min(s.x.count, s.y.count)
        let step = max(1, (n + 3999) / 4000)
        var d = "", pen = false
        for i in stride(from: 0, to: n, by: step) {
            if let px = x.position(s.x[i]), let py = y.position(s.y[i]) {
                d += (pen ? "L" : "M") + "\(f(px)) \(f(py))"
                pen = true
            } else {
                pen = false
            }
        }
        return d
    }

    /// Shaded area between `lower` and `upper`, split where a point cannot be drawn.
    static func band(_ s: PlotSeries, _ x: Scale, _ y: Scale, _ plot: Plot) -> String {
        guard let lower = s.lower, let upper = s.upper else { return "" }
        let n = min(s.x.count, lower.count, upper.count)
        var runs: [[(Double, Double, Double)]] = [], run: [(Double, Double, Double)] = []
        for i in 0..<n {
            if let px = x.position(s.x[i]), lower[i].isFinite, upper[i].isFinite,
               let lo = y.clampedPosition(lower[i]), let hi = y.clampedPosition(upper[i]) {
                run.append((px, lo, hi))
            } else if !run.isEmpty {
                runs.append(run)
                run = []
            }
        }
        if !run.isEmpty { runs.append(run) }
        let d = runs.filter { $0.count >= 2 }.map { r in
            "M" + r.map { "\(f($0.0)) \(f($0.2))" }.joined(separator: "L") + "L"
                + r.reversed().map { "\(f($0.0)) \(f($0.1))" }.joined(separator: "L") + "Z"
        }.joined()
        guard !d.isEmpty else { return "" }
        return "<path class=\"data\" d=\"\(d)\" fill=\"\(Palette.color(s.color))\" fill-opacity=\"0.18\" stroke=\"none\"/>"
    }

    /// A vertical bar with caps from `lower` to `upper` at each drawable point.
    static func errorBars(_ s: PlotSeries, _ indices: [Int], _ x: Scale, _ y: Scale) -> String {
        guard let lower = s.lower, let upper = s.upper else { return "" }
        var d = ""
        for i in indices where i < lower.count && i < upper.count && lower[i].isFinite && upper[i].isFinite {
            guard let px = x.position(s.x[i]), let lo = y.clampedPosition(lower[i]),
                  let hi = y.clampedPosition(upper[i]), abs(hi - lo) > 0.5 else { continue }
            d += "M\(f(px)) \(f(lo))V\(f(hi))M\(f(px - 4)) \(f(lo))h8M\(f(px - 4)) \(f(hi))h8"
        }
        guard !d.isEmpty else { return "" }
        return "<path class=\"data\" d=\"\(d)\" fill=\"none\" stroke=\"\(Palette.color(s.color))\" stroke-width=\"1.4\"/>"
    }

    // MARK: - Bars

    static func barChart(_ plot: Plot, _ bars: [PlotBar]) -> String {
        let x0 = left, x1 = width - right, y0 = top, y1 = top + plotHeight
        let labels = bars.map(\.label)
        let xScale = Scale.categorical(labels, range: (x0, x1))
        let slot = (x1 - x0) / Double(max(bars.count, 1))
        let rotateX = needsRotation(labels, slot: slot)
        let values = bars.map(\.value)
        guard let yScale = Scale.fit(values, kind: plot.yKind, range: (y1, y0), includeZero: plot.yKind == .linear)
        else { return "" }
        var out = axes(plot, x: xScale, y: yScale, area: (x0, x1, y0, y1), rotateX: rotateX)
        let base = plot.yKind == .linear ? (yScale.position(0) ?? y1) : y1
        for (i, bar) in bars.enumerated() {
            guard let cx = xScale.position(Double(i)), let top = yScale.position(bar.value) else { continue }
            let w = min(slot * 0.6, 70)
            out += "<rect class=\"data\" x=\"\(f(cx - w / 2))\" y=\"\(f(min(top, base)))\" width=\"\(f(w))\" "
                + "height=\"\(f(max(abs(base - top), 0.5)))\" fill=\"\(Palette.color(bar.color))\">"
                + "<title>\(Escape.html(bar.label)): \(Escape.html(Ticks.short(bar.value)))</title></rect>"
            out += text(Ticks.short(bar.value), x: cx, y: min(top, base) - 5, size: 12)
        }
        var entries: [(Swatch, String)] = []
        for bar in bars {
            guard let group = bar.group, !entries.contains(where: { $0.1 == group }) else { continue }
            entries.append((.box(Palette.color(bar.color)), group))
        }
        let legendTop = y1 + (rotateX ? xLabelDepth(labels) + 40 : 62)
        let (legendSVG, legendHeight) = legend(entries, top: legendTop)
        let height = legendHeight > 0 ? legendTop + legendHeight : y1 + (rotateX ? xLabelDepth(labels) + 30 : 54)
        return open(plot, height: height) + out + legendSVG + "</svg>"
    }

    // MARK: - Heatmap

    static func heatmap(_ plot: Plot, _ map: PlotHeatmap) -> String {
        let rows = map.values.count, columns = map.values.map(\.count).max() ?? 0
        let finite = map.values.flatMap { $0 }.filter(\.isFinite)
        guard rows > 0, columns > 0, var lo = finite.min(), var hi = finite.max() else { return "" }
        if hi - lo < 1e-12 { (lo, hi) = (lo - 0.5, hi + 0.5) }
        let cell = min(80, 320 / Double(max(rows, columns)))
        let gridWidth = cell * Double(columns), gridHeight = cell * Double(rows)
        let gx = max(left + 20, (width - gridWidth) / 2 - 20), gy = top + 8
        var out = ""
        for r in 0..<rows {
            for c in 0..<map.values[r].count {
                let v = map.values[r][c]
                let t = (v - lo) / (hi - lo)
                let x = gx + Double(c) * cell, y = gy + Double(r) * cell
                out += "<rect class=\"data\" x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" "
                    + "fill=\"\(Palette.viridis(t))\" stroke=\"#ffffff\" stroke-width=\"1\"><title>"
                    + Escape.html("\(label(map.rows, r)), \(label(map.columns, c)): \(Ticks.short(v))") + "</title></rect>"
                if cell >= 26 {
                    out += text(String(format: "%.2f", v), x: x + cell / 2, y: y + cell / 2 + 4, size: cell >= 40 ? 12 : 10,
                                fill: Palette.darkText(on: t) ? "#111" : "#fff")
                }
            }
        }
        let labelSize = cell >= 20 ? 12 : 9
        for r in 0..<rows {
            out += text(clip(label(map.rows, r), 10), x: gx - 6, y: gy + (Double(r) + 0.5) * cell + 4, anchor: "end",
                        size: labelSize)
        }
        for c in 0..<columns {
            out += text(clip(label(map.columns, c), 10), x: gx + (Double(c) + 0.5) * cell, y: gy + gridHeight + 16,
                        size: labelSize)
        }
        out += text(plot.xLabel, x: gx + gridWidth / 2, y: gy + gridHeight + 38, size: 14)
        out += text(plot.yLabel, x: gx - 48, y: gy + gridHeight / 2, size: 14, rotate: -90)
        // The colour scale.
        let bx = gx + gridWidth + 28, steps = 40
        for i in 0..<steps {
            let t0 = Double(i) / Double(steps)
            let y = gy + gridHeight * (1 - t0 - 1 / Double(steps))
            out += "<rect x=\"\(f(bx))\" y=\"\(f(y))\" width=\"14\" height=\"\(f(gridHeight / Double(steps) + 0.6))\" "
                + "fill=\"\(Palette.viridis(t0 + 0.5 / Double(steps)))\"/>"
        }
        out += "<rect x=\"\(f(bx))\" y=\"\(f(gy))\" width=\"14\" height=\"\(f(gridHeight))\" fill=\"none\" stroke=\"#333\"/>"
        let bar = Scale(kind: .linear, domain: (lo, hi), range: (gy + gridHeight, gy), ticks: [], labels: [])
        let ticks = Ticks.linear(lo, hi, target: 4)
        for t in ticks {
            guard let p = bar.position(t) else { continue }
            out += "<line x1=\"\(f(bx + 14))\" y1=\"\(f(p))\" x2=\"\(f(bx + 18))\" y2=\"\(f(p))\" stroke=\"#333\"/>"
            out += text(Ticks.label(t, ticks: ticks), x: bx + 21, y: p + 4, anchor: "start", size: 12)
        }
        let height = gy + gridHeight + 52
        return open(plot, height: height) + out + "</svg>"
    }

    static func label(_ labels: [String], _ i: Int) -> String { i < labels.count ? labels[i] : "\(i)" }
}
