import Foundation
import TangentCore

/// What validation learned of a pipeline before anything runs: every stage's output shape, the memory each
/// declared, and the warnings.
public struct PipelinePlan: @unchecked Sendable {  // shapes are Sendable values behind `any`
    /// Each stage's output shape, by stage id.
    public var shapes: [String: any Sendable]
    /// Bytes each stage declared it will allocate, by stage id.
    public var memory: [String: Double]
    public var warnings: [Diagnostic]
}

/// Runs every stage's `validate` in dependency order, feeding each its inputs' shapes, so that cross-parameter
/// rules, shape mismatches and memory that will not fit are reported (all at once, with file locations) before
/// any stage computes.
public enum PipelinePlanner {
    public static func plan(_ pipeline: ResolvedPipeline,
                            availableMemory: Int = Machine.availableMemoryBytes) throws(PipelineError) -> PipelinePlan {
        var plan = PipelinePlan(shapes: [:], memory: [:], warnings: [])
        var errors: [Diagnostic] = []
        for stage in pipeline.stages {
            // A stage whose upstream is invalid cannot be checked: its own problem is reported instead.
            guard stage.dependencies.allSatisfy({ plan.shapes[$0] != nil }) else { continue }
            let inputs = Dictionary(uniqueKeysWithValues: stage.inputs.map { input in
                (input.slot, StageDecoder.InputBinding(shapes: input.upstream.compactMap { plan.shapes[$0] }, folders: nil))
            })
            var check = StageCheck(stageID: stage.id, precision: pipeline.precision, seed: pipeline.seed,
                                   availableMemory: availableMemory, locate: stage.locate)
            do {
                let shape = try validate(stage.type, parameters: stage.parameters.values, inputs: inputs, check: &check)
                check.checkMemory()
                if !check.hasErrors { plan.shapes[stage.id] = shape }
            } catch {
                check.fail("cannot be validated: \(userMessage(error))")
            }
            plan.memory[stage.id] = check.memoryTotal
            errors += check.diagnostics.filter { $0.severity == .error }
            plan.warnings += check.diagnostics.filter { $0.severity == .warning }
        }
        if !errors.isEmpty { throw PipelineError.invalid(PipelineLoader.sortedByLocation(errors + plan.warnings)) }
        return plan
    }

    private static func validate<S: Stage>(_ type: S.Type, parameters: [String: Value],
                                           inputs: [String: StageDecoder.InputBinding],
                                           check: inout StageCheck) throws -> any Sendable {
        let stage = try StageDecoder.decodeStage(S.self, parameters: parameters, inputs: inputs)
        return try stage.validate(&check)
    }
}

extension ResolvedStage {
    /// The location and dotted field of one of this stage's parameters or inputs (or of the stage).
    /// A parameter set in the file (or by an override) points at its value; one left at its default at the stage's
    /// `with:` (or its id); an input at its `from.<slot>` value.
    func locate(_ field: FieldReference?) -> (location: SourceLocation?, field: String) {
        guard let field else { return (location, "stages.\(id)") }
        switch field.kind {
        case .parameter:
            return (parameterLocations[field.name] ?? withLocation ?? location, "stages.\(id).with.\(field.name)")
        case .input:
            return (inputLocations[field.name] ?? location, "stages.\(id).from.\(field.name)")
        }
    }
}

/// An error's text for a user (`TangentError.userText`), or a plain sentence for a Foundation error.
func userMessage(_ error: any Error) -> String {
    TangentError.userText(error) ?? "an unexpected system error (\(type(of: error)))"
}
