import Foundation
import Testing
import TangentCore
@testable import TangentPipeline
import TestStages

@Suite("Typed stage declarations")
struct StageAPITests {
    @Test("the schema is derived from the declarations: snake_case names, types, defaults, ranges, nullability")
    func schema() throws {
        let p = Dictionary(uniqueKeysWithValues: AllTypesStage.parameters.map { ($0.name, $0) })
        #expect(AllTypesStage.parameters.map(\.name) == ["count", "rate", "flag", "label", "mode", "widths", "file",
                                                         "schedule", "shared_rate", "sizes"])
        let count = try #require(p["count"])
        #expect(count.isRequired && count.minimum == 1 && count.maximum == 100 && count.type.description == "int")
        #expect(p["rate"]?.defaultValue == .double(0.5) && p["rate"]?.type.description == "float")
        #expect(p["mode"]?.type.description == "fast | exact" && p["mode"]?.defaultValue == .string("fast"))
        #expect(p["widths"]?.type.description == "list of int" && p["widths"]?.defaultValue == .list([.int(8)]))
        let file = try #require(p["file"])
        #expect(file.nullable && file.defaultValue == nil && !file.isRequired && file.type.description == "path")
        let schedule = try #require(p["schedule"])
        #expect(schedule.defaultValue == .object(["every": .int(1), "log_spaced": .null]))
        guard case .object(let fields) = schedule.type else { Issue.record("schedule is not an object"); return }
        #expect(fields.map(\.name) == ["every", "log_spaced"])
        #expect(fields[1].nullable && fields[0].minimum == 1)
        // @Params: the group's parameters at the top level, `name:` honoured.
        #expect(p["shared_rate"]?.defaultValue == .double(1.5) && p["sizes"]?.nullable == true)
        #expect(AllTypesStage.inputs.isEmpty)
        let slots = SumStage.inputs
        #expect(slots.map(\.name) == ["parts", "extra"])
        #expect(slots[0].many && slots[0].required && slots[0].kind == .dataset)
        #expect(!slots[1].many && !slots[1].required && slots[1].kind == .any)
    }

    @Test("validated values decode into the typed properties, groups and @Params included")
    func decoding() throws {
        let text = """
        pipeline: p
        stages:
          a: { use: test.all_types, with: { count: 3, mode: exact, widths: [2, 3], schedule: { log_spaced: 4 }, shared_rate: 2, sizes: [7] } }
        """
        let folder = try temporaryFolder()
        let pipeline = try load(text, in: folder)
        let result = try PipelineRunner(options: RunOptions(outputDirectory: folder.appendingPathComponent("run"),
                                                            progress: SilentProgress())).run(pipeline)
        let summary = try #require(result.artifacts["a"]).summary
        #expect(summary["count"] == .int(3) && summary["mode"] == .string("exact"))
        #expect(summary["widths"] == .list([.int(2), .int(3)]) && summary["rate"] == .double(0.5))
        #expect(summary["schedule"] == .object(["every": .int(1), "log_spaced": .int(4)]))
        #expect(summary["shared_rate"] == .double(2) && summary["sizes"] == .list([.int(7)]))
        #expect(summary["file"] == .null)
        // parameterValues gives every parameter as written in a file.
        let values = try #require(summary["parameter_values"]?.objectValue)
        #expect(Set(values.keys) == Set(AllTypesStage.parameters.map(\.name)))
        #expect(values["shared_rate"] == .double(2) && values["count"] == .int(3))
    }

    @Test("a stage's rule fails validation at its parameter, before any stage runs")
    func ruleAtField() throws {
        let text = "pipeline: p\nstages:\n  s: { use: test.source }\n  m: { use: test.memory, with: { low: 5, high: 1 } }\n"
        let d = try #require(planErrors(text).first)
        #expect(d.field == "stages.m.with.low" && d.message == "is 5, above high = 1" && d.suggestion == "make low ≤ high")
        #expect(d.location?.line == 4)
    }

    @Test("memory beyond what is available is refused with the figures and the remedy")
    func memory() throws {
        let text = "pipeline: p\nstages:\n  m: { use: test.memory, with: { bytes: 1.0e15 } }\n"
        let d = try #require(planErrors(text, available: 8 << 30).first)
        #expect(d.code == .outOfMemory && d.field == "stages.m")
        #expect(d.message == "needs about 909.5 TB of memory (test buffer 909.5 TB) but 8.0 GB is available")
        #expect(d.suggestion == "lower `bytes`")
        #expect(try planErrors("pipeline: p\nstages:\n  m: { use: test.memory, with: { bytes: 1.0e6 } }\n", available: 8 << 30).isEmpty)
    }

    @Test("a stage downstream of an invalid one is not validated against a guessed shape")
    func downstreamOfInvalid() throws {
        let text = "pipeline: p\nstages:\n  a: { use: test.memory, with: { low: 2, high: 1 } }\n  b: { use: test.trivial, from: { previous: a } }\n"
        #expect(try planErrors(text).count == 1)
    }

    @Test("StageHarness runs one stage with its inputs written and read back")
    func harness() throws {
        let out = try StageHarness.run(ScaleStage.self, parameters: ["factor": .double(3)],
                                       inputs: ["data": [Ramp(x: [1, 2])]])
        #expect(out.x == [3, 6])
        #expect(throws: PipelineError.self) {
            try StageHarness.run(MemoryStage.self, parameters: ["low": .int(3), "high": .int(1)])
        }
    }

    @Test("snake_case names from property names")
    func names() {
        #expect(snakeCase("learningRate") == "learning_rate" && snakeCase("gamma0") == "gamma0")
        #expect(snakeCase("trainInputsKey") == "train_inputs_key" && snakeCase("beta1") == "beta1")
    }

    func planErrors(_ text: String, available: Int = 1 << 40) throws -> [Diagnostic] {
        let pipeline = try load(text)
        do {
            _ = try PipelinePlanner.plan(pipeline, availableMemory: available)
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }
        }
    }
}
