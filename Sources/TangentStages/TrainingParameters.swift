import TangentNTK
import TangentPipeline

/// Parameters shared by the training stages.
enum TrainingParameters {
    static let snapshots = Parameter("snapshots", .object([
        Parameter("every", .int, minimum: 1, nullable: true, doc: "save every k steps"),
        Parameter("log_spaced", .int, minimum: 1, nullable: true, doc: "save this many log-spaced steps"),
        Parameter("at", .list(.int), default: .list([]), minimum: 0, doc: "save at these steps"),
    ]), default: .object(["every": .null, "log_spaced": .int(20), "at": .list([])]),
        doc: "when to save the weights (step 0 and the last step always are)")

    static let common: [Parameter] = [
        Parameter("steps", .int, default: .int(1000), minimum: 0, doc: "number of updates"),
        Parameter("learning_rate", .float, default: .double(0.1), minimum: 0, doc: "η"),
        snapshots,
        Parameter("log_points", .int, default: .int(100), minimum: 0,
                  doc: "train and test loss are also logged at this many log-spaced steps"),
        Parameter("divergence_factor", .float, default: .double(1e4), minimum: 1,
                  doc: "stop when the loss exceeds this factor times its initial value (or is NaN/inf)"),
    ]

    static let slots = [
        InputSlot("data", kind: .dataset, doc: "the training (and test) data"),
        InputSlot("model", kind: .model, doc: "the initial network"),
    ]

    static func schedule(_ p: Parameters) -> SnapshotSchedule {
        let s = p.object("snapshots")
        return SnapshotSchedule(every: s.optionalInt("every"), logSpaced: s.optionalInt("log_spaced"), at: s.ints("at"))
    }
}
