import Foundation
import Testing
import TangentCore
@testable import TangentPipeline

@Suite("Run folders: loading saved artifacts")
struct ArtifactReadTests {
    @Test("a truncated or invalid summary.json is an error when loading an artifact, never an empty summary")
    func truncatedSummary() throws {
        let dir = try temporaryFolder("artifact")
        let table = Table(summary: ["total": .double(3), "parts": .int(2)])
        let writer = ArtifactWriter(directory: dir, stageID: "t")
        try table.write(to: writer)
        try writer.finish(kind: Table.kind)
        #expect(try Table(reading: ArtifactFolder(url: dir, stageID: "t")) == table)
        let summary = dir.appendingPathComponent("summary.json")
        let text = try String(contentsOf: summary, encoding: .utf8)
        for broken in [String(text.prefix(text.count / 2)), "", "[1, 2]"] {
            try broken.write(to: summary, atomically: true, encoding: .utf8)
            #expect {
                try Table(reading: ArtifactFolder(url: dir, stageID: "t"))
            } throws: { error in
                (error as? PipelineError)?.message.contains("summary.json is not a valid JSON object") == true
            }
        }
    }
}
