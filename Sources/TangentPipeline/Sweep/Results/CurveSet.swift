import TangentCore

/// The curves of a sweep while its points are read: for each `(stage, key)` of the finished points' metrics.csv,
/// running statistics per group and step. It holds one entry per row of the curve files it will write (never the
/// points' rows), so memory follows the output, not the number of points.
struct CurveSet {
    struct ID: Hashable, Sendable {
        var stage: String
        var key: String

        /// `<stage>.<key>.csv`, each part with every byte outside `[A-Za-z0-9_-]` written `%XX` (so the name is a
        /// single safe file name and tells stage and key apart). A name over 200 bytes keeps a readable prefix,
        /// then `~` (escaped in any other name) and the SHA-256 of the full name.
        var fileName: String {
            let name = CurveSet.escape(stage) + "." + CurveSet.escape(key)
            guard name.utf8.count > 200 else { return name + ".csv" }
            var prefix = Substring(name.prefix(100))
            if let percent = prefix.suffix(2).lastIndex(of: "%") { prefix = prefix[..<percent] }  // an escape whole
            return prefix + "~" + SHA256Sum.hex(of: name) + ".csv"
        }
    }

    /// Running statistics per group (by index) and step, per curve.
    private var curves: [ID: [Int: [Double: RunningStatistics]]] = [:]

    /// Adds one finished point's metrics of `stage` (key → step → value) to its group. NaN and infinite values
    /// are left out (they count as missing).
    mutating func add(stage: String, metrics: [String: [Double: Double]], group: Int) {
        for (key, series) in metrics {
            let id = ID(stage: stage, key: key)
            for (step, value) in series where value.isFinite {
                curves[id, default: [:]][group, default: [:]][step, default: RunningStatistics()].add(value)
            }
        }
    }

    /// The curves, in `stageOrder` (then any other stage by name), keys sorted within a stage.
    func ids(stageOrder: [String]) -> [ID] {
        let rank = Dictionary(stageOrder.enumerated().map { ($1, $0) }) { a, _ in a }
        return curves.keys.sorted {
            let ra = rank[$0.stage] ?? Int.max, rb = rank[$1.stage] ?? Int.max
            if ra != rb { return ra < rb }
            if $0.stage != $1.stage { return $0.stage < $1.stage }
            return $0.key < $1.key
        }
    }

    /// The curve file of `id`: `step`, the group columns, `mean`, `stderr`, `n`; one row per group (in group
    /// order) and step (ascending) that has values.
    func table(_ id: ID, groupColumns: [String], groupValues: [[String]]) -> CSVTable {
        var table = CSVTable(columns: ["step"] + groupColumns + ["mean", "stderr", "n"])
        for (group, steps) in (curves[id] ?? [:]).sorted(by: { $0.key < $1.key }) {
            for (step, statistics) in steps.sorted(by: { $0.key < $1.key }) {
                table.rows.append([formatNumber(step)] + groupValues[group]
                                  + [SweepCell.text(statistics.mean), SweepCell.text(statistics.standardError),
                                     String(statistics.count)])
            }
        }
        return table
    }

    /// Percent-encodes every byte outside `[A-Za-z0-9_-]`.
    static func escape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}
