import Foundation
import Testing
@testable import TangentPipeline

@Suite("Names are single safe path components")
struct NameTests {
    @Test("valid and invalid names")
    func names() {
        for name in ["a", "A-b_9", "silent-alignment", String(repeating: "x", count: 100)] {
            #expect(PipelineLoader.isValidName(name), "\(name)")
        }
        for name in ["", "9a", "_a", "-a", "a.b", "a/b", "a\\b", "..", ".", "a b", "café", "ａ",
                     String(repeating: "x", count: 101)] {
            #expect(!PipelineLoader.isValidName(name), "\(name)")
        }
    }

    @Test("a pipeline that tries to escape its folder is invalid, so no folder is ever made from it")
    func escapingNames() {
        for name in ["..", "../x", "a/../../b", "x\\\\y", "/abs"] {
            let found = diagnostics("pipeline: \"\(name)\"\nstages:\n  a: { use: test.source }\n")
            #expect(found.map(\.code) == [.invalidValue], "\(name)")
            #expect(found.first?.field == "pipeline")
        }
    }
}
