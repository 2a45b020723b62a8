import Foundation
import TangentCore
import TangentPipeline

/// Stages for testing the engine (not shipped in `tangent`): small, deterministic, with optional sleeps so that a
/// test can interrupt a run in the middle of a stage.
public enum TestStages {
    public static var all: [any Stage.Type] { [SourceStage.self, ScaleStage.self, SumStage.self, FailStage.self,
                                               ModelStage.self, AllTypesStage.self, TrivialStage.self,
                                               MemoryStage.self] }
}

/// The artifact the test stages pass along: a vector `x` (kind `dataset`, so slot-kind checks can be tested).
public struct Ramp: ArtifactValue, Equatable {
    public struct Shape: Sendable, Equatable { public var count: Int }
    public static var kind: ArtifactKind { .dataset }
    public var x: [Double]
    public var metrics: [MetricRow] = []
    public var summary: [String: Value] = [:]

    public init(x: [Double]) { self.x = x }
    public var shape: Shape { Shape(count: x.count) }
    public init(reading folder: ArtifactFolder) throws {
        x = try folder.array("x").asDoubles()
        summary = try folder.summary()
        metrics = try folder.metrics()
    }
    public func write(to writer: ArtifactWriter) throws {
        try writer.write(try NPYArray(x, shape: [x.count]), as: "x")
        try writer.writeSummary(summary)
        try writer.writeMetrics(metrics)
    }
}

/// A model-kind artifact with nothing in it (for slot-kind checks).
public struct EmptyModel: ArtifactValue {
    public struct Shape: Sendable {}
    public static var kind: ArtifactKind { .model }
    public init() {}
    public var shape: Shape { Shape() }
    public init(reading folder: ArtifactFolder) throws {}
    public func write(to writer: ArtifactWriter) throws {}
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
    public static let outputs = [OutputFile("x.npy", doc: "the values")]

    @Param("number of elements", minimum: 0, maximum: 1_000_000) var size = 4
    @Param("scale of the ramp") var value = 1.0
    @Param("add seeded standard normal noise") var noise = false
    @Param("seconds to sleep (for interruption tests)", minimum: 0) var sleep = 0.0

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> Ramp.Shape { Ramp.Shape(count: size) }

    public func run(_ context: StageContext) throws -> Ramp {
        nap(sleep, context)
        var rng = context.rng()
        var ramp = Ramp(x: (0..<size).map { value * Double($0 + 1) + (noise ? rng.nextNormal() : 0) })
        ramp.summary = ["count": .int(size)]
        return ramp
    }
}

public struct ScaleStage: Stage {
    public static let name = "test.scale"
    public static let version = 2
    public static let summary = "Multiplies an upstream dataset's x by a factor."

    @Input("the dataset to scale") var data: Ramp
    @Param("the multiplier") var factor = 2.0
    @Param("seconds to sleep (for interruption tests)", minimum: 0) var sleep = 0.0

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> Ramp.Shape { $data.shape }

    public func run(_ context: StageContext) throws -> Ramp {
        nap(sleep, context)
        var ramp = Ramp(x: data.x.map { $0 * factor })
        ramp.metrics = ramp.x.enumerated().map { MetricRow(step: Double($0.offset), key: "x", value: $0.element) }
        return ramp
    }
}

public struct SumStage: Stage {
    public static let name = "test.sum"
    public static let summary = "Sums x over one or more datasets."

    @Input("datasets to add up") var parts: [Ramp]
    @Input("ignored; tests optional slots") var extra: AnyArtifact?

    public init() {}

    public func run(_ context: StageContext) throws -> Table {
        let total = parts.map { $0.x.reduce(0, +) }.reduce(0, +)
        return Table(archives: ["totals.npz": [.init("total", try NPYArray([total], shape: []))]],
                     summary: ["total": .double(total), "parts": .int(parts.count)],
                     files: ["note.txt": Data("sum of \(parts.count) parts\n".utf8)])
    }
}

public struct FailStage: Stage {
    public static let name = "test.fail"
    public static let summary = "Always fails (after writing a partial file)."

    @Param("the error text") var message = "boom"
    @Param("fail (true) or succeed with an empty table (false)") var when = true

    public init() {}

    struct Failure: Error, CustomStringConvertible { let description: String }

    public func run(_ context: StageContext) throws -> Table {
        guard when else { return Table(summary: ["ok": .bool(true)]) }
        try context.output.write(Data("partial\n".utf8), as: "partial.txt")
        throw Failure(description: message)
    }
}

public struct ModelStage: Stage {
    public static let name = "test.model"
    public static let summary = "Reads a model artifact (for slot-kind checks)."

    @Input("a model") var model: EmptyModel?

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> EmptyModel.Shape { EmptyModel.Shape() }
    public func run(_ context: StageContext) throws -> EmptyModel { EmptyModel() }
}

public struct AllTypesStage: Stage {
    public static let name = "test.all_types"
    public static let summary = "Declares one parameter of every type (for validation tests)."

    public enum Mode: String, CaseIterable, ParameterChoice { case fast, exact }

    public struct Schedule: ParameterGroup {
        @Param("interval", minimum: 1) var every = 1
        @Param("count of log-spaced points") var logSpaced: Int?
        public init() {}
    }

    @Param("a required bounded int", minimum: 1, maximum: 100) var count: Int
    @Param("a float in [0, 1]", minimum: 0, maximum: 1) var rate = 0.5
    @Param("a bool") var flag = false
    @Param("a string") var label = "x"
    @Param("a choice") var mode = Mode.fast
    @Param("a list of ints ≥ 1", minimum: 1) var widths = [8]
    @Param("an existing file") var file: InputFile?
    @Param("an object") var schedule = Schedule()
    @Params var shared: SharedParameters

    public init() {}

    public func run(_ context: StageContext) throws -> Table {
        var summary: [String: Value] = [
            "count": .int(count), "rate": .double(rate), "flag": .bool(flag), "label": .string(label),
            "mode": .string(mode.rawValue), "widths": .list(widths.map(Value.int)),
            "file": file.map { .string($0.path) } ?? .null,
        ]
        summary["schedule"] = .object(["every": .int(schedule.every), "log_spaced": schedule.logSpaced.map(Value.int) ?? .null])
        summary["shared_rate"] = .double(shared.rate)
        summary["sizes"] = shared.sizes.map { .list($0.map(Value.int)) } ?? .null
        summary["parameter_values"] = .object(parameterValues)
        return Table(summary: summary)
    }
}

/// Parameters included at the top level of `test.all_types` with `@Params`.
public struct SharedParameters: ParameterGroup {
    @Param("a shared float with a custom name", name: "shared_rate", minimum: 0) var rate = 1.5
    @Param("a shared optional list") var sizes: [Int]?
    public init() {}
}

/// Does nothing: measures engine overhead.
public struct TrivialStage: Stage {
    public static let name = "test.trivial"
    public static let summary = "Passes nothing along (engine overhead benchmark)."

    @Input("ordering only") var previous: AnyArtifact?

    public init() {}

    public func run(_ context: StageContext) throws -> Table { Table(summary: ["ok": .bool(true)]) }
}

/// Declares a memory need and cross-parameter rules, for validation tests.
public struct MemoryStage: Stage {
    public static let name = "test.memory"
    public static let summary = "Declares `bytes` of memory; `low` must not exceed `high`."

    @Param("bytes the stage says it needs", minimum: 0) var bytes = 0.0
    @Param("a lower bound") var low = 0
    @Param("an upper bound") var high = 10

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        check.require(low <= high, $low, "is \(low), above high = \(high)", remedy: "make low ≤ high")
        check.needsMemory(bytes, for: "test buffer", remedy: "lower `bytes`")
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table { Table(summary: ["bytes": .double(bytes)]) }
}
