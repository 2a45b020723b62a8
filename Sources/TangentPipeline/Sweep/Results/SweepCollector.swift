/// Reads the points of a sweep one after another, keeping what the tables need: each point's status and metric
/// cells (one row of sweep.csv), running statistics per group and metric (aggregate.csv) and the curves.
struct SweepCollector {
    let groups: SweepGroups
    private(set) var stageOrder = StageOrder()
    private(set) var statuses: [String] = []
    /// Each point's metric cells.
    private(set) var cells: [[MetricColumn: String]] = []
    private(set) var seenColumns: Set<MetricColumn> = []
    /// Columns holding a number or boolean in some finished point.
    private(set) var numericColumns: Set<MetricColumn> = []
    /// Finished points per group.
    private(set) var finished: [Int]
    private(set) var statistics: [[MetricColumn: RunningStatistics]]
    private(set) var curves = CurveSet()
    private(set) var warnings: [String] = []

    init(groups: SweepGroups) {
        self.groups = groups
        finished = Array(repeating: 0, count: groups.count)
        statistics = Array(repeating: [:], count: groups.count)
    }

    /// Reads one point (the next row); only a finished point's summaries and metrics are read.
    mutating func read(_ point: SweepPointResult, group: Int) {
        var reader = PointReader(folder: point.folder)
        let manifest = reader.manifest()
        stageOrder.merge(manifest.stages)
        statuses.append(manifest.status)
        var row: [MetricColumn: String] = [:]
        if manifest.status == "finished" {
            finished[group] += 1
            for stage in manifest.stages {
                for (column, cell) in MetricColumn.cells(stage: stage, summary: reader.summary(of: stage) ?? [:]) {
                    row[column] = cell.text
                    seenColumns.insert(column)
                    if cell.isNumeric { numericColumns.insert(column) }
                    if let x = cell.number { statistics[group][column, default: RunningStatistics()].add(x) }
                }
                if let metrics = reader.metrics(of: stage) { curves.add(stage: stage, metrics: metrics, group: group) }
            }
        }
        cells.append(row)
        warnings += reader.warnings
    }

    /// The metric columns in order (stage order, keys sorted within a stage). A column whose name is `reserved`
    /// (an axis or `status`) or repeats an earlier column's is left out; with a warning, except for an axis (a
    /// stage's summary echoing the parameter the sweep sets, `model.init_scale`, holds the axis value).
    func metricColumns(reserved: Set<String>, warnings: inout [String]) -> [MetricColumn] {
        let sorted = seenColumns.sorted { a, b in
            let ra = stageOrder.rank(a.stage), rb = stageOrder.rank(b.stage)
            if ra != rb { return ra < rb }
            if a.stage != b.stage { return a.stage < b.stage }
            return MetricColumn.withinStage(a, b)
        }
        var names = reserved
        var out: [MetricColumn] = []
        for column in sorted {
            guard names.insert(column.name).inserted else {
                if reserved.contains(column.name) && column.name != "status" { continue }
                warnings.append("the summary value `\(column.name)` has the name of another column of sweep.csv; it "
                                + "is left out of sweep.csv and aggregate.csv")
                continue
            }
            out.append(column)
        }
        return out
    }

    /// sweep.csv: axis values, status, metric cells (empty where a point has none).
    func sweepTable(points: [SweepPointResult], axes: [String], columns: [MetricColumn]) -> CSVTable {
        var table = CSVTable(columns: axes + ["status"] + columns.map(\.name))
        for (index, point) in points.enumerated() {
            table.rows.append(axes.map(point.value(of:)) + [statuses[index]]
                              + columns.map { cells[index][$0] ?? "" })
        }
        return table
    }

    /// aggregate.csv: one row per group, `n` finished points, then mean, std and stderr of each numeric column
    /// over the group's finished points that have a finite value of it.
    func aggregateTable(columns: [MetricColumn]) -> CSVTable {
        var table = CSVTable(columns: groups.columns + ["n"]
                             + columns.flatMap { ["\($0.name).mean", "\($0.name).std", "\($0.name).stderr"] })
        for group in 0..<groups.count {
            var row = groups.values[group] + [String(finished[group])]
            for column in columns {
                let s = statistics[group][column]
                row += [SweepCell.text(s?.mean), SweepCell.text(s?.standardDeviation), SweepCell.text(s?.standardError)]
            }
            table.rows.append(row)
        }
        return table
    }
}
