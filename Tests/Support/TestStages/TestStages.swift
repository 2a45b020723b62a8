import Foundation
import TangentCore
import TangentPipeline

/// Stages for testing the engine (not shipped in `tangent`): small, deterministic, with optional sleeps so that a
/// test can interrupt a run in the middle of a stage.
public enum TestStages {
    public static let all: [any Stage.Type] = [SourceStage.self, ScaleStage.self, SumStage.self, FailStage.self,
                                               ModelStage.self, AllTypesStage.self, TrivialStage.self]
}

/// Sleeps `seconds` in small steps, reporting progress.
func nap(_ seconds: Double, _ context: StageContext) {
    guard seconds > 0 else { return }
    let steps = max(1, Int(seconds / 0.05))
    context.progress.start("sleeping", total: steps)
    for _ in 0..<steps {
        Thread.sleep(forTimeInterval: seconds / Double(steps))
        context.progress.advance(by: 1)
    }
    context.progress.finish()
}

public struct SourceStage: Stage {
    public static let name = "test.source"
    public static let summary = "x = value·(1, 2, …, size), plus seeded N(0, 1) noise when asked."
    public static let outputKind = ArtifactKind.dataset
    public static let parameters = [
        Parameter("size", .int, default: .int(4), minimum: 0, maximum: 1_000_000, doc: "number of elements"),
        Parameter("value", .float, default: .double(1), doc: "scale of the ramp"),
        Parameter("noise", .bool, default: .bool(false), doc: "add seeded standard normal noise"),
        Parameter("sleep", .float, default: .double(0), minimum: 0, doc: "seconds to sleep (for interruption tests)"),
    ]
    public static let outputs = [OutputFile("x.npy", doc: "the values")]

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        nap(parameters.double("sleep"), context)
        var rng = context.rng()
        let noise = parameters.bool("noise")
        let x = (0..<parameters.int("size")).map { parameters.double("value") * Double($0 + 1) + (noise ? rng.nextNormal() : 0) }
        return Artifact(kind: .dataset, arrays: ["x": try NPYArray(x, shape: [x.count])],
                        summary: ["count": .int(x.count)])
    }
}

public struct ScaleStage: Stage {
    public static let name = "test.scale"
    public static let version = 2
    public static let summary = "Multiplies an upstream dataset's x by a factor."
    public static let outputKind = ArtifactKind.dataset
    public static let inputs = [InputSlot("data", kind: .dataset, doc: "the dataset to scale")]
    public static let parameters = [
        Parameter("factor", .float, default: .double(2), doc: "the multiplier"),
        Parameter("sleep", .float, default: .double(0), minimum: 0, doc: "seconds to sleep (for interruption tests)"),
    ]

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let x = try inputs.one("data").array("x").asDoubles()
        nap(parameters.double("sleep"), context)
        let y = x.map { $0 * parameters.double("factor") }
        return Artifact(kind: .dataset, arrays: ["x": try NPYArray(y, shape: [y.count])],
                        metrics: y.enumerated().map { MetricRow(step: Double($0.offset), key: "x", value: $0.element) })
    }
}

public struct SumStage: Stage {
    public static let name = "test.sum"
    public static let summary = "Sums x over one or more datasets."
    public static let outputKind = ArtifactKind.table
    public static let inputs = [
        InputSlot("parts", kind: .dataset, many: true, doc: "datasets to add up"),
        InputSlot("extra", kind: .any, required: false, doc: "ignored; tests optional slots"),
    ]

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let total = try inputs.many("parts").map { try $0.array("x").asDoubles().reduce(0, +) }.reduce(0, +)
        return Artifact(kind: .table, archives: ["totals.npz": [.init("total", try NPYArray([total], shape: []))]],
                        summary: ["total": .double(total), "parts": .int(inputs.many("parts").count)],
                        files: ["note.txt": Data("sum of \(inputs.many("parts").count) parts\n".utf8)])
    }
}

public struct FailStage: Stage {
    public static let name = "test.fail"
    public static let summary = "Always fails (after writing a partial file)."
    public static let outputKind = ArtifactKind.table
    public static let parameters = [Parameter("message", .string, default: .string("boom"), doc: "the error text")]

    struct Failure: Error, CustomStringConvertible { let description: String }

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        try Data("partial\n".utf8).write(to: context.workDirectory.appendingPathComponent("partial.txt"))
        throw Failure(description: parameters.string("message"))
    }
}

public struct ModelStage: Stage {
    public static let name = "test.model"
    public static let summary = "Reads a model artifact (for slot-kind checks)."
    public static let outputKind = ArtifactKind.model
    public static let inputs = [InputSlot("model", kind: .model, required: false, doc: "a model")]

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        Artifact(kind: .model)
    }
}

public struct AllTypesStage: Stage {
    public static let name = "test.all_types"
    public static let summary = "Declares one parameter of every type (for validation tests)."
    public static let outputKind = ArtifactKind.table
    public static let parameters = [
        Parameter("count", .int, minimum: 1, maximum: 100, doc: "a required bounded int"),
        Parameter("rate", .float, default: .double(0.5), minimum: 0, maximum: 1, doc: "a float in [0, 1]"),
        Parameter("flag", .bool, default: .bool(false), doc: "a bool"),
        Parameter("label", .string, default: .string("x"), doc: "a string"),
        Parameter("mode", .choice(["fast", "exact"]), default: .string("fast"), doc: "a choice"),
        Parameter("widths", .list(.int), default: .list([.int(8)]), minimum: 1, doc: "a list of ints ≥ 1"),
        Parameter("file", .path, nullable: true, doc: "an existing file"),
        Parameter("schedule", .object([
            Parameter("every", .int, default: .int(1), minimum: 1, doc: "interval"),
            Parameter("log_spaced", .int, nullable: true, doc: "count of log-spaced points"),
        ]), default: .object(["every": .int(1), "log_spaced": .null]), doc: "an object"),
    ]

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        Artifact(kind: .table, summary: parameters.values)
    }
}

/// Does nothing: measures engine overhead.
public struct TrivialStage: Stage {
    public static let name = "test.trivial"
    public static let summary = "Passes nothing along (engine overhead benchmark)."
    public static let outputKind = ArtifactKind.table
    public static let inputs = [InputSlot("previous", kind: .any, required: false, doc: "ordering only")]

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        Artifact(kind: .table, summary: ["ok": .bool(true)])
    }
}
