import Foundation

/// Tick positions and labels for plot axes: "nice" numbers (1, 2, 5 × 10^k) on linear axes, decades (10^k) on
/// logarithmic ones, and labels that show just enough digits. Everything is a pure function of its arguments, so a
/// report is the same bytes every time.
public enum Ticks {
    /// The nice step (1, 2 or 5 × 10^k) that cuts `span` into about `target` intervals.
    public static func niceStep(span: Double, target: Int = 5) -> Double {
        guard span.isFinite, span > 0 else { return 1 }
        let raw = span / Double(max(1, target))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        return nice * magnitude
    }

    /// `[lo, hi]` widened to multiples of the nice step (a single value gets a small interval around it).
    public static func niceLinearDomain(_ lo: Double, _ hi: Double, target: Int = 5) -> (Double, Double) {
        var (lo, hi) = (lo, hi)
        if !(hi > lo) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            (lo, hi) = (lo - pad, hi + pad)
        }
        let step = niceStep(span: hi - lo, target: target)
        return ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
    }

    /// The multiples of the nice step inside `[lo, hi]` (with a tolerance of a millionth of a step at the ends).
    public static func linear(_ lo: Double, _ hi: Double, target: Int = 5) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return lo.isFinite ? [lo] : [] }
        let step = niceStep(span: hi - lo, target: target)
        let first = (lo / step - 1e-6).rounded(.up)
        let last = (hi / step + 1e-6).rounded(.down)
        guard last >= first, last - first < 1000 else { return [] }
        return stride(from: first, through: last, by: 1).map { k in
            let v = k * step
            return abs(v) < step * 1e-9 ? 0 : v
        }
    }

    /// The domain of a logarithmic axis over positive data `[lo, hi]`: the data widened by 4 % of their span on each
    /// side (in log space; at least a small margin), so that lines do not touch the frame.
    public static func logDomain(_ lo: Double, _ hi: Double) -> (Double, Double) {
        guard lo > 0, hi > 0, lo.isFinite, hi.isFinite else { return (1, 10) }
        let (a, b) = (log10(lo), log10(hi))
        let pad = max((b - a) * 0.04, 0.02)
        return (pow(10, a - pad), pow(10, b + pad))
    }

    /// Ticks of a logarithmic axis on `[lo, hi]` (positive): the decades inside it when there are at least two
    /// (every second or third one when there are many), else 1, 2 and 5 × 10^k, else nice linear ticks.
    public static func log(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo > 0, hi > lo, lo.isFinite, hi.isFinite else { return [] }
        let first = Int((log10(lo) - 1e-9).rounded(.up)), last = Int((log10(hi) + 1e-9).rounded(.down))
        if last - first >= 1 {
            let every = max(1, Int((Double(last - first + 1) / 8).rounded(.up)))
            return stride(from: first, through: last, by: 1).filter { ($0 - first) % every == 0 }.map { pow(10, Double($0)) }
        }
        var ticks: [Double] = []
        for k in (first - 1)...(last + 1) {
            for m in [1.0, 2, 5] {
                let v = m * pow(10, Double(k))
                if v >= lo * (1 - 1e-9), v <= hi * (1 + 1e-9) { ticks.append(v) }
            }
        }
        return ticks.count >= 2 ? ticks : linear(lo, hi, target: 4).filter { $0 > 0 }
    }

    /// Whether `v` is a power of ten (to rounding).
    static func isDecade(_ v: Double) -> Bool {
        guard v > 0 else { return false }
        let e = log10(v)
        return abs(e - e.rounded()) < 1e-9
    }

    /// The label of a tick on a logarithmic axis: `10^k` with a superscript exponent for decades, else as on a
    /// linear axis.
    public static func logLabel(_ v: Double, ticks: [Double]) -> String {
        if isDecade(v) { return "10" + superscript(Int(log10(v).rounded())) }
        return label(v, ticks: ticks)
    }

    /// The label of a tick on a linear axis, with as many decimals as the tick spacing needs; very large or small
    /// ticks as `m×10^k`.
    public static func label(_ v: Double, ticks: [Double]) -> String {
        guard v.isFinite else { return "" }
        if v == 0 { return "0" }
        let spacing = zip(ticks, ticks.dropFirst()).map { abs($1 - $0) }.filter { $0 > 0 }.min() ?? abs(v)
        let largest = ticks.map(abs).max() ?? abs(v)
        if largest >= 1e6 || largest < 1e-3 {
            let exponent = Int(log10(largest).rounded(.down))
            let scale = pow(10, Double(exponent))
            let decimals = max(0, min(6, -Int((log10(spacing / scale) + 1e-9).rounded(.down))))
            let mantissa = String(format: "%.\(decimals)f", v / scale)
            return mantissa.replacingOccurrences(of: "-", with: "−") + "×10" + superscript(exponent)
        }
        let decimals = max(0, min(10, -Int((log10(spacing) + 1e-9).rounded(.down))))
        let text = String(format: "%.\(decimals)f", v)
        return Double(text) == 0 ? "0" : text.replacingOccurrences(of: "-", with: "−")
    }

    /// `k` in Unicode superscript digits (`−3` → `⁻³`).
    public static func superscript(_ k: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        return (k < 0 ? "⁻" : "") + String(abs(k)).map { digits[Int(String($0))!] }
    }

    /// A number for a table or a label: 4 significant digits, integers as integers, `—` for NaN.
    public static func short(_ v: Double) -> String {
        if v.isNaN { return "—" }
        if v.isInfinite { return v > 0 ? "∞" : "−∞" }
        if v == v.rounded(), abs(v) < 1e9 { return String(Int64(v)).replacingOccurrences(of: "-", with: "−") }
        let a = abs(v)
        let text = a >= 1e5 || a < 1e-3 ? String(format: "%.3e", v) : String(format: "%.4g", v)
        return text.replacingOccurrences(of: "-", with: "−")
    }
}
