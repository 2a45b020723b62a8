import Foundation
import Testing
import TangentCore
@testable import TangentPipeline

let chain = """
pipeline: chain
seed: 7
stages:
  src:   { use: test.source, with: { size: 5, value: 2.0, noise: true } }
  twice: { use: test.scale, from: { data: src } }
  other: { use: test.source, with: { size: 3 } }
  total: { use: test.sum, from: { parts: [twice, other] } }
"""

@Suite("Running pipelines: order, artifacts, cache and resume")
struct RunnerTests {
    func run(_ pipeline: ResolvedPipeline, in dir: URL, force: Bool = false, rerun: [String] = []) throws -> RunResult {
        try PipelineRunner(options: RunOptions(outputDirectory: dir, force: force, rerun: rerun, progress: SilentProgress()))
            .run(pipeline)
    }

    func statuses(_ result: RunResult) -> [String: StageRecord.Status] {
        Dictionary(uniqueKeysWithValues: result.records.map { ($0.id, $0.status) })
    }

    @Test("stages run in dependency order and compute the expected values")
    func computes() throws {
        let pipeline = try load(chain)
        #expect(pipeline.stages.map(\.id) == ["src", "twice", "other", "total"])
        let dir = try temporaryFolder()
        let result = try run(pipeline, in: dir)
        let src = try result.artifacts["src"]!.array("x").asDoubles()
        let twice = try result.artifacts["twice"]!.array("x").asDoubles()
        #expect(twice == src.map { $0 * 2 })
        let expected = twice.reduce(0, +) + 6.0
        #expect(result.artifacts["total"]!.summary["total"]?.doubleValue == expected)
        // Files a user reads with numpy and pandas.
        for file in ["manifest.json", "config.resolved.yaml", "src/x.npy", "src/summary.json", "twice/metrics.csv",
                     "total/totals.npz", "total/note.txt", "total/.complete"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path), "\(file)")
        }
        let csv = try String(contentsOf: dir.appendingPathComponent("twice/metrics.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("step,key,value\n0,x,"))
    }

    @Test("the same pipeline and seed give the same numbers; another seed does not")
    func reproducible() throws {
        let a = try run(try load(chain), in: try temporaryFolder())
        let b = try run(try load(chain), in: try temporaryFolder())
        #expect(a.artifacts["src"] == b.artifacts["src"])
        let c = try run(try load(chain, overrides: ["seed=8"]), in: try temporaryFolder())
        #expect(c.artifacts["src"] != a.artifacts["src"])
    }

    @Test("a re-run reuses finished stages and loads identical artifacts from disk")
    func resume() throws {
        let dir = try temporaryFolder()
        let first = try run(try load(chain), in: dir)
        #expect(Set(statuses(first).values) == [.computed])
        let second = try run(try load(chain), in: dir)
        #expect(Set(statuses(second).values) == [.cached])
        for id in ["src", "twice", "other", "total"] { #expect(second.artifacts[id] == first.artifacts[id], "\(id)") }
        let manifest = try JSONReader.parse(String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect(manifest["status"]?.stringValue == "finished")
        #expect(manifest["stages"]?.listValue?.allSatisfy { $0["status"]?.stringValue == "cached" } == true)
    }

    @Test("changing a parameter recomputes that stage and its dependents only")
    func invalidation() throws {
        let dir = try temporaryFolder()
        _ = try run(try load(chain), in: dir)
        let changed = try run(try load(chain, overrides: ["twice.factor=3"]), in: dir)
        #expect(statuses(changed) == ["src": .cached, "twice": .computed, "other": .cached, "total": .computed])
    }

    @Test("--rerun recomputes a stage and what depends on it; --force recomputes all")
    func rerunAndForce() throws {
        let dir = try temporaryFolder()
        _ = try run(try load(chain), in: dir)
        let rerun = try run(try load(chain), in: dir, rerun: ["twice"])
        #expect(statuses(rerun) == ["src": .cached, "twice": .computed, "other": .cached, "total": .computed])
        let forced = try run(try load(chain), in: dir, force: true)
        #expect(Set(statuses(forced).values) == [.computed])
    }

    @Test("input files enter cache keys by their SHA-256, read in pieces")
    func inputFilesAreHashedByContent() throws {
        let dir = try temporaryFolder()
        let input = dir.appendingPathComponent("input.bin")
        let text = "pipeline: files\nstages:\n  a: { use: test.all_types, with: { count: 1, file: input.bin } }\n"
        let runner = PipelineRunner(options: RunOptions(progress: SilentProgress()))
        // Larger than one 1 MiB piece, so the digest spans several reads.
        let contents = Data((0..<(2_500_000)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try contents.write(to: input)
        let first = try runner.cacheKeys(try load(text, in: dir))
        try contents.write(to: input) // same bytes, new modification time
        #expect(try runner.cacheKeys(try load(text, in: dir)) == first)
        var changed = contents
        changed[2_400_000] ^= 1
        try changed.write(to: input)
        #expect(try runner.cacheKeys(try load(text, in: dir)) != first)
        let pipeline = try load(text, in: dir)
        try FileManager.default.removeItem(at: input)
        let error = try #require(throws: PipelineError.self) { _ = try runner.cacheKeys(pipeline) }
        #expect(error.code == .io)
        #expect(error.message.contains("cannot read input file \(input.path)"))
    }

    @Test("cache keys depend on parameters, upstream keys, seed and precision but not on stage order in the file")
    func cacheKeys() throws {
        let runner = PipelineRunner(options: RunOptions(progress: SilentProgress()))
        let base = try runner.cacheKeys(try load(chain))
        let seed = try runner.cacheKeys(try load(chain, overrides: ["seed=1"]))
        let precision = try runner.cacheKeys(try load(chain, overrides: ["precision=float32"]))
        let other = try runner.cacheKeys(try load(chain, overrides: ["other.size=4"]))
        #expect(base["src"] != seed["src"] && base["src"] != precision["src"])
        #expect(other["src"] == base["src"] && other["other"] != base["other"] && other["total"] != base["total"])
        let reordered = chain.replacingOccurrences(
            of: "  other: { use: test.source, with: { size: 3 } }\n", with: "")
            .replacingOccurrences(of: "stages:\n", with: "stages:\n  other: { use: test.source, with: { size: 3 } }\n")
        #expect(try runner.cacheKeys(try load(reordered)) == base)
    }

    @Test("a failing stage is reported, keeps its partial output aside and marks the manifest failed")
    func failure() throws {
        let dir = try temporaryFolder()
        let pipeline = try load("pipeline: f\nstages:\n  a: { use: test.source }\n  bad: { use: test.fail, with: { message: kaputt } }\n")
        #expect {
            try run(pipeline, in: dir)
        } throws: { error in
            let e = error as? PipelineError
            return e?.code == .stageFailed && e!.description.contains("kaputt") && e!.description.contains("`bad`")
        }
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.failed/partial.txt").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad").path))
        let manifest = try JSONReader.parse(String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8))
        #expect(manifest["status"]?.stringValue == "failed")
        let stages = manifest["stages"]?.listValue ?? []
        #expect(stages.first { $0["id"]?.stringValue == "a" }?["status"]?.stringValue == "computed")
        #expect(stages.first { $0["id"]?.stringValue == "bad" }?["error"]?.stringValue == "kaputt")
    }

    @Test("a stage folder whose completion marker holds another key, or is not a valid record, is recomputed")
    func untrustedFolders() throws {
        let dir = try temporaryFolder()
        _ = try run(try load(chain), in: dir)
        let marker = dir.appendingPathComponent("twice/.complete")
        let record = try #require(CompletionRecord(json: String(contentsOf: marker, encoding: .utf8)))
        try CompletionRecord(key: String(repeating: "0", count: 64), files: record.files).json
            .write(to: marker, atomically: true, encoding: .utf8)
        try "not the key\n".write(to: dir.appendingPathComponent("other/.complete"), atomically: true, encoding: .utf8)
        let again = try run(try load(chain), in: dir)
        // Keys depend on upstream keys, not on whether upstream was recomputed: `total` stays valid.
        #expect(statuses(again) == ["src": .cached, "twice": .computed, "other": .computed, "total": .cached])
        #expect(CompletionRecord(json: try String(contentsOf: marker, encoding: .utf8))?.key == record.key)
    }

    @Test("a stage folder without Tangent's completion marker is refused and left as it is, never replaced")
    func foreignStageFolder() throws {
        let dir = try temporaryFolder()
        _ = try run(try load(chain), in: dir)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("twice/.complete"))
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("twice").path).sorted()
        #expect {
            try run(try load(chain), in: dir)
        } throws: { error in
            let e = error as? PipelineError
            return e?.code == .runFolder && e!.message.contains("\(dir.path)/twice was not written by Tangent")
                && e!.message.contains("move or rename it")
        }
        let after = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("twice").path).sorted()
        #expect(after == before)
    }

    @Test("the default run folder is runs/<pipeline>/<overrides or default>")
    func defaultFolder() throws {
        let base = URL(fileURLWithPath: "/tmp/x")
        #expect(RunFolder.defaultURL(for: try load(chain), base: base).path == "/tmp/x/runs/chain/default")
        let p = try load(chain, overrides: ["seed=3", "twice.factor=0.5"])
        #expect(RunFolder.defaultURL(for: p, base: base).path == "/tmp/x/runs/chain/seed=3,twice.factor=0.5")
    }

    @Test("config.resolved.yaml is a valid pipeline that resolves to the same stages")
    func resolvedConfig() throws {
        let pipeline = try load(chain, overrides: ["twice.factor=4"])
        let again = try load(pipeline.resolvedYAML)
        #expect(again.stages.map(\.id) == pipeline.stages.map(\.id))
        #expect(again.stages.map(\.parameters) == pipeline.stages.map(\.parameters))
        #expect(again.seed == 7)
    }
}
