import TangentCore

/// A subset of classes, in a chosen order: class `classes[k]` gets the label `k`.
///
/// Selection is deterministic: samples keep their file order, and `perClass` keeps the first samples of each
/// class. Callers check `missing(in:)` and the counts to report problems with the files' names.
public struct ClassSelection: Sendable, Equatable {
    /// The kept class ids; the label of a sample is the position of its id here.
    public var classes: [Int]

    public init(classes: [Int]) { self.classes = classes }

    /// All class ids present in `ids`, ascending.
    public init(allOf ids: [Int]) { classes = Array(Set(ids)).sorted() }

    /// The ids of `classes` that do not occur in `ids`, in the order of `classes`.
    public func missing(in ids: [Int]) -> [Int] {
        let present = Set(ids)
        return classes.filter { !present.contains($0) }
    }

    /// The ids listed more than once in `classes`.
    public var duplicates: [Int] {
        var seen = Set<Int>(), repeated: [Int] = []
        for id in classes where !seen.insert(id).inserted && !repeated.contains(id) { repeated.append(id) }
        return repeated
    }

    /// The rows of the samples to keep (ascending) and their labels, at most `perClass` of each class, and how
    /// many samples of each class were kept (`counts[k]` for `classes[k]`).
    public func select(_ ids: [Int], perClass: Int? = nil) -> (rows: [Int], labels: [Int], counts: [Int]) {
        var labelOf: [Int: Int] = [:]
        for (k, id) in classes.enumerated() where labelOf[id] == nil { labelOf[id] = k }
        var counts = [Int](repeating: 0, count: classes.count)
        var rows: [Int] = [], labels: [Int] = []
        for (row, id) in ids.enumerated() {
            guard let label = labelOf[id], counts[label] < (perClass ?? .max) else { continue }
            counts[label] += 1
            rows.append(row)
            labels.append(label)
        }
        return (rows, labels, counts)
    }
}

extension ClassSelection {
    /// The train share of a class of `available` samples when no `perClass` is given: half, rounded down.
    public static func defaultTrainCount(of available: Int) -> Int { available / 2 }

    /// The positions in `ids` of the samples of class `id`, in a fixed random order.
    ///
    /// The file order is shuffled by Fisher–Yates (for i = n−1 down to 1, swap i with `next() % (i + 1)`) with a
    /// `Xoshiro256StarStar(seed: seed, stream: id + 1)`: a class's order depends only on the seed and its own id,
    /// not on which other classes are selected or in what order.
    public static func shuffledRows(ofClass id: Int, in ids: [Int], seed: Int) -> [Int] {
        var rows = ids.indices.filter { ids[$0] == id }
        var rng = Xoshiro256StarStar(seed: seed, stream: id &+ 1)
        for i in stride(from: rows.count - 1, to: 0, by: -1) {
            rows.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return rows
    }

    /// A train/test split fixed by `seed`: the samples of each class `classes[k]`, shuffled by `shuffledRows`,
    /// give their first `perClass` (default: `defaultTrainCount`, half) to train and the next `testPerClass`
    /// (default: all the rest) to test. Each part lists its rows ascending (file order) with labels k, and how many
    /// samples of each class it holds. Counts beyond a class's size are cut short; callers check sizes first
    /// (`counts(in:)`).
    public func split(_ ids: [Int], seed: Int, perClass: Int? = nil, testPerClass: Int? = nil)
        -> (train: (rows: [Int], labels: [Int], counts: [Int]), test: (rows: [Int], labels: [Int], counts: [Int])) {
        var trainPairs: [(row: Int, label: Int)] = [], testPairs: [(row: Int, label: Int)] = []
        var trainCounts: [Int] = [], testCounts: [Int] = []
        for (label, id) in classes.enumerated() {
            let rows = Self.shuffledRows(ofClass: id, in: ids, seed: seed)
            let train = min(rows.count, perClass ?? Self.defaultTrainCount(of: rows.count))
            let test = min(rows.count - train, testPerClass ?? rows.count - train)
            trainPairs += rows[0..<train].map { ($0, label) }
            testPairs += rows[train..<train + test].map { ($0, label) }
            trainCounts.append(train)
            testCounts.append(test)
        }
        trainPairs.sort { $0.row < $1.row }
        testPairs.sort { $0.row < $1.row }
        return ((trainPairs.map(\.row), trainPairs.map(\.label), trainCounts),
                (testPairs.map(\.row), testPairs.map(\.label), testCounts))
    }

    /// How many samples of each of `classes` `ids` holds (`counts[k]` for `classes[k]`).
    public func counts(in ids: [Int]) -> [Int] {
        var all: [Int: Int] = [:]
        for id in ids { all[id, default: 0] += 1 }
        return classes.map { all[$0] ?? 0 }
    }
}
