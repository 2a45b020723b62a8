import Foundation

/// Colours that people with any common colour-vision deficiency tell apart: Okabe and Ito's eight for lines and
/// bars (black last but one, the pale yellow last), and viridis for heatmaps.
public enum Palette {
    public static let series = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#B8A000"]
    /// Dash patterns that tell apart series beyond the eight colours (and the layers of one parametrization).
    public static let dashes = ["", "6 3", "2 3", "8 3 2 3", "1 2"]

    /// Colour `i` (cycling).
    public static func color(_ i: Int) -> String { series[((i % series.count) + series.count) % series.count] }

    /// Dash pattern of series `i`: solid for the first eight, then the next pattern for each further round.
    public static func dash(_ i: Int) -> String { dashes[(max(i, 0) / series.count) % dashes.count] }

    static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 73, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (110, 206, 88), (181, 222, 43), (253, 231, 37),
    ]

    /// Viridis at `t` in [0, 1] (clamped; NaN is light grey), as `#rrggbb`.
    public static func viridis(_ t: Double) -> String {
        guard t.isFinite else { return "#dddddd" }
        let x = min(max(t, 0), 1) * Double(viridis.count - 1)
        let i = min(Int(x), viridis.count - 2)
        let f = x - Double(i)
        let (a, b) = (viridis[i], viridis[i + 1])
        let rgb = [a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1), a.2 + f * (b.2 - a.2)]
        return "#" + rgb.map { String(format: "%02x", Int($0.rounded())) }.joined()
    }

    /// Whether text on viridis at `t` should be dark (the upper part of the map is light).
    public static func darkText(on t: Double) -> Bool { t.isFinite && t > 0.55 }
}
