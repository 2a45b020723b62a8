/// The groups of a sweep's aggregate: points with the same values of every axis but `groupOver` form one group,
/// in the order of their first point. When `groupOver` is not an axis, every point is its own group.
struct SweepGroups {
    /// The axis columns naming a group: the axes except `groupOver`.
    let columns: [String]
    /// Each group's values of `columns`.
    private(set) var values: [[String]] = []
    /// The group of each point, by the points' order.
    private(set) var groupOfPoint: [Int] = []

    var count: Int { values.count }

    init(points: [SweepPointResult], axes: [String], groupOver: String) {
        let pooled = axes.contains(groupOver)
        columns = axes.filter { $0 != groupOver }
        var index: [[String]: Int] = [:]
        for point in points {
            let key = columns.map(point.value(of:))
            if pooled, let group = index[key] {
                groupOfPoint.append(group)
                continue
            }
            index[key] = values.count
            groupOfPoint.append(values.count)
            values.append(key)
        }
    }
}
