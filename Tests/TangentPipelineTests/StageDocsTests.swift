import Foundation
import Testing
import TangentCLI
@testable import TangentPipeline
import TestStages

@Suite("Stage documentation")
struct StageDocsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("docs/stages.md matches the built-in stages' schemas (regenerate: tangent stages --markdown > docs/stages.md)")
    func upToDate() throws {
        let file = Self.repository.appendingPathComponent("docs/stages.md")
        let committed = try String(contentsOf: file, encoding: .utf8)
        let generated = StageDocumentation.markdown(for: StageRegistry(TangentCLI.builtinStages))
        #expect(committed == generated, "docs/stages.md is stale: run `swift run tangent stages --markdown > docs/stages.md`")
    }

    @Test("the generated reference lists slots, every parameter with type, default and range, and outputs")
    func content() {
        let md = StageDocumentation.markdown(for: testRegistry)
        #expect(md.contains("## `test.all_types`"))
        #expect(md.contains("| `count` | int | **required** | in [1, 100] | a required bounded int |"))
        #expect(md.contains("| `schedule.every` | int | `1` | ≥ 1 | interval |"))
        #expect(md.contains("| `mode` | fast \\| exact | `fast` |  | a choice |"))
        #expect(md.contains("| `parts` | dataset | required, many | datasets to add up |"))
        #expect(md.contains("| `x.npy` | the values |"))
    }
}
