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
