/// The stage order of a sweep, merged from its points' manifests (which normally agree; a point that failed
/// early lists fewer stages). A stage not seen before goes right after the stage that precedes it in the manifest
/// that lists it (first when nothing precedes it), so each manifest's order is kept.
struct StageOrder {
    private(set) var ids: [String] = []

    mutating func merge(_ stages: [String]) {
        var previous: String?
        for id in stages {
            if !ids.contains(id) {
                let position = previous.flatMap { ids.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
                ids.insert(id, at: position)
            }
            previous = id
        }
    }

    /// The position of `stage` (stages no manifest lists come last).
    func rank(_ stage: String) -> Int { ids.firstIndex(of: stage) ?? ids.count }
}
