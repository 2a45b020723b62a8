import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

@Suite("analysis.kernel_regression, streamed solve")
struct StreamedSolveStageTests {
    func row(_ a: Table, _ key: String) throws -> [String: Value] {
        try #require(a.summary[key]?.objectValue)
    }

    @Test("solve: streamed gives the in-memory predictions (float64 to 1e-9, float32 to 1e-4), per head and trace")
    func streamedSolveAgrees() throws {
        for head in ["per_head", "trace"] {
            let base = ["kr.ridge=constant", "kr.ridge_value=0.01", "kr.kgd=false", "kr.kernel_head=\(head)"]
            let memory = try artifact(kernelRegressionPipeline, "kr", overrides: base + ["kr.solve=in_memory"])
            let streamed = try artifact(kernelRegressionPipeline, "kr", overrides: base + ["kr.solve=streamed"])
            let single = try artifact(kernelRegressionPipeline, "kr",
                                      overrides: base + ["kr.solve=streamed", "kr.solve_precision=float32"])
            let reference = try matrix(memory, "predictions_final")
            #expect(relativePredictionError(try matrix(streamed, "predictions_final"), reference) < 1e-9)
            #expect(relativePredictionError(try matrix(single, "predictions_final"), reference) < 1e-4)
            #expect(try row(streamed, "final")["solver"]?.stringValue == "cholesky")
        }
        // auto streams when the in-memory path needs more than memory_budget.
        let auto = try artifact(kernelRegressionPipeline, "kr",
                                overrides: ["kr.ridge=constant", "kr.ridge_value=0.01", "kr.kgd=false", "kr.memory_budget=1e-3"])
        let memory = try artifact(kernelRegressionPipeline, "kr",
                                  overrides: ["kr.ridge=constant", "kr.ridge_value=0.01", "kr.kgd=false", "kr.solve=in_memory"])
        #expect(relativePredictionError(try matrix(auto, "predictions_final"), try matrix(memory, "predictions_final")) < 1e-9)
        #expect(auto.summary["solve"]?.stringValue == "streamed" && memory.summary["solve"]?.stringValue == "in_memory")
    }

    @Test("a streamed solve refuses KGD at validation, with the remedy")
    func streamedRefusesKGD() throws {
        let found = try validationDiagnostics(kernelRegressionPipeline, overrides: ["kr.solve=streamed"])
        #expect(found.contains { $0.field == "stages.kr.with.kgd" && $0.message.contains("streamed") && ($0.suggestion ?? "").contains("kgd: false") })
    }
}
