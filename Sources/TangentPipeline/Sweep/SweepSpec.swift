import Foundation

/// One axis of a sweep: a dotted override key (`model.hidden`, `seed`) and the values it takes.
public struct SweepAxis: Sendable, Equatable {
    public var key: String
    public var values: [ConfigValue.Located]
    /// Where the key was written (the file's `sweep:` entry, or `<sweep N>` for a `--sweep` option).
    public var keyLocation: SourceLocation

    public init(key: String, values: [ConfigValue.Located], keyLocation: SourceLocation) {
        self.key = key
        self.values = values
        self.keyLocation = keyLocation
    }
}

/// The points of a sweep: the product of the `grid` axes, times the `zip` axes taken in step (their lists have
/// one length; the i-th point takes the i-th value of each). Points are ordered with the first grid axis varying
/// slowest and the zipped values last.
public struct SweepSpec: Sendable, Equatable {
    /// How the axes of `--sweep` options combine: `grid` (every combination) or `zip` (paired, in step).
    public enum Mode: String, Sendable, CaseIterable { case grid, zip }

    public var grid: [SweepAxis] = []
    public var zip: [SweepAxis] = []

    public init(grid: [SweepAxis] = [], zip: [SweepAxis] = []) {
        self.grid = grid
        self.zip = zip
    }

    /// True when there is nothing to sweep (the pipeline runs once).
    public var isEmpty: Bool { grid.isEmpty && zip.isEmpty }

    /// Every axis key, in point-name order: grid axes, then zipped ones.
    public var keys: [String] { grid.map(\.key) + zip.map(\.key) }

    /// The number of points (the product of the grid axes' lengths times the zipped length), saturating at
    /// `Int.max` so that an absurd sweep is refused by its size rather than by an overflow.
    public var count: Int {
        guard !isEmpty else { return 0 }
        var n = zip.first?.values.count ?? 1
        for axis in grid {
            let (product, overflow) = n.multipliedReportingOverflow(by: axis.values.count)
            if overflow { return .max }
            n = product
        }
        return n
    }

    /// Point `index` (0 ≤ index < count) as (key, value) pairs in `keys` order.
    public func point(_ index: Int) -> [(key: String, value: ConfigValue.Located)] {
        var rest = index
        let zipLength = zip.first?.values.count ?? 1
        let z = rest % zipLength
        rest /= zipLength
        var picked: [(String, ConfigValue.Located)] = []
        for axis in grid.reversed() {
            picked.append((axis.key, axis.values[rest % axis.values.count]))
            rest /= axis.values.count
        }
        picked.reverse()
        for axis in zip { picked.append((axis.key, axis.values[z])) }
        return picked
    }

    /// `spec` with `other`'s axes added: an axis whose key this spec already has replaces it (as a later override
    /// replaces an earlier one), the rest are appended to the same mode.
    public func merging(_ other: SweepSpec) -> SweepSpec {
        let replaced = Set(other.keys)
        return SweepSpec(grid: grid.filter { !replaced.contains($0.key) } + other.grid,
                         zip: zip.filter { !replaced.contains($0.key) } + other.zip)
    }

    /// The most points a sweep may have: each is a run folder and a task line.
    public static let maxPoints = 100_000
}
