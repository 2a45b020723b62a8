import Foundation

/// A map from data values to pixel positions along one axis, with its ticks and their labels.
///
/// Linear scales take a nice domain around the data; logarithmic scales take whole decades when the data span
/// one, and only positive values count (zero and negative values have no place on them and are left out as gaps,
/// like NaN and infinities). A categorical scale puts category i at i (domain −½ … n − ½) and labels it.
public struct Scale: Sendable, Equatable {
    public enum Kind: String, Sendable { case linear, log }

    public var kind: Kind
    public var domain: (lo: Double, hi: Double)
    /// Pixel positions of `domain.lo` and `domain.hi` (the y range runs from the bottom up: lo > hi in pixels).
    public var range: (from: Double, to: Double)
    public var ticks: [Double]
    public var labels: [String]

    public static func == (a: Scale, b: Scale) -> Bool {
        a.kind == b.kind && a.domain == b.domain && a.range == b.range && a.ticks == b.ticks && a.labels == b.labels
    }

    public init(kind: Kind, domain: (Double, Double), range: (Double, Double), ticks: [Double], labels: [String]) {
        self.kind = kind
        self.domain = (domain.0, domain.1)
        self.range = (range.0, range.1)
        self.ticks = ticks
        self.labels = labels
    }

    /// Whether `v` can be placed on a scale of this kind (finite, and positive on a log scale).
    public static func accepts(_ v: Double, _ kind: Kind) -> Bool { v.isFinite && (kind == .linear || v > 0) }

    /// A scale over the placeable values among `values`; nil when there are none.
    ///
    /// - Parameters:
    ///   - includeZero: a linear domain reaches down (or up) to 0 (bar charts).
    ///   - fixed: a linear domain to use as given (values outside it are clipped by the plot); ignored on log scales.
    ///   - pad: a fraction of the data's span added on both sides of a linear domain before it is rounded (so that
    ///     points and error bars do not sit on the frame).
    public static func fit(_ values: [Double], kind: Kind, range: (Double, Double), includeZero: Bool = false,
                           fixed: (Double, Double)? = nil, pad: Double = 0, target: Int = 5) -> Scale? {
        let usable = values.filter { accepts($0, kind) }
        guard var lo = usable.min(), var hi = usable.max() else { return nil }
        switch kind {
        case .linear:
            if hi > lo, pad > 0 { (lo, hi) = (lo - pad * (hi - lo), hi + pad * (hi - lo)) }
            if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
            let domain = fixed ?? Ticks.niceLinearDomain(lo, hi, target: target)
            let ticks = Ticks.linear(domain.0, domain.1, target: target)
            return Scale(kind: .linear, domain: domain, range: range, ticks: ticks,
                         labels: ticks.map { Ticks.label($0, ticks: ticks) })
        case .log:
            let domain = Ticks.logDomain(lo, hi)
            let ticks = Ticks.log(domain.0, domain.1)
            // Decades read as 10^k; 1-2-5 ticks inside one decade as plain numbers.
            let decades = ticks.allSatisfy(Ticks.isDecade)
            return Scale(kind: .log, domain: domain, range: range, ticks: ticks,
                         labels: ticks.map { decades ? Ticks.logLabel($0, ticks: ticks) : Ticks.label($0, ticks: ticks) })
        }
    }

    /// Categories at 0, 1, …, n − 1, labelled.
    public static func categorical(_ labels: [String], range: (Double, Double)) -> Scale {
        let n = max(labels.count, 1)
        return Scale(kind: .linear, domain: (-0.5, Double(n) - 0.5), range: range,
                     ticks: labels.indices.map(Double.init), labels: labels)
    }

    /// The pixel position of `v`, or nil when it cannot be placed (NaN, infinite, or not positive on a log scale).
    public func position(_ v: Double) -> Double? {
        guard Self.accepts(v, kind) else { return nil }
        let t: Double
        switch kind {
        case .linear: t = (v - domain.lo) / (domain.hi - domain.lo)
        case .log: t = (log10(v) - log10(domain.lo)) / (log10(domain.hi) - log10(domain.lo))
        }
        guard t.isFinite else { return (range.from + range.to) / 2 }
        return range.from + t * (range.to - range.from)
    }

    /// `position(v)` held within the pixel range (for bands reaching below a log axis).
    public func clampedPosition(_ v: Double) -> Double? {
        if kind == .log, v.isFinite, v <= 0 { return range.from }
        guard let p = position(v) else { return nil }
        let (a, b) = (min(range.from, range.to), max(range.from, range.to))
        return min(max(p, a), b)
    }

    /// Whether `v` lies within the domain (to rounding).
    public func contains(_ v: Double) -> Bool {
        guard Self.accepts(v, kind) else { return false }
        let slack = (domain.hi - domain.lo) * 1e-9
        return v >= domain.lo - slack && v <= domain.hi + slack
    }
}
