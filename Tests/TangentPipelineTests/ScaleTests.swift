import Foundation
import Testing
@testable import TangentPipeline
import TestStages

/// The order of the previous, quadratic implementation: repeatedly the first stage (in file order) whose
/// dependencies are all done; on a cycle, the walk along first dependencies from the first remaining stage.
enum ReferenceOrder { case order([String]), cycle(String) }

func referenceOrder(_ deps: [(String, [String])]) -> ReferenceOrder {
    var remaining = deps
    var done = Set<String>()
    var ordered: [String] = []
    while !remaining.isEmpty {
        guard let next = remaining.firstIndex(where: { $0.1.allSatisfy(done.contains) }) else {
            let byID = Dictionary(uniqueKeysWithValues: remaining.map { ($0.0, $0.1) })
            var path: [String] = []
            var current = remaining[0].0
            while !path.contains(current) {
                path.append(current)
                guard let n = byID[current]?.first(where: { byID[$0] != nil }) else { break }
                current = n
            }
            let cycle = path.firstIndex(of: current).map { Array(path[$0...]) } ?? path
            return .cycle("stages form a cycle: " + (cycle + [cycle[0]]).joined(separator: " → "))
        }
        let s = remaining.remove(at: next)
        done.insert(s.0)
        ordered.append(s.0)
    }
    return .order(ordered)
}

@Suite("Validation is linear in the number of stages", .serialized)
struct ScaleTests {
    func stages(_ deps: [(String, [String])]) -> [ResolvedStage] {
        deps.enumerated().map { i, d in
            ResolvedStage(id: d.0, type: SourceStage.self, parameters: Parameters([:]),
                          inputs: d.1.isEmpty ? [] : [(slot: "parts", upstream: d.1, many: true)],
                          location: SourceLocation(file: "p.yaml", line: i + 3, column: 3))
        }
    }

    @Test("Kahn's order equals the previous order (file order among independent stages), and so do cycles")
    func sameOrderAsBefore() {
        var rng = SystemRandomNumberGenerator()
        var cycles = 0
        for trial in 0..<500 {
            let n = Int.random(in: 1...12, using: &rng)
            let ids = (0..<n).map { "s\($0)" }
            let rank = ids.shuffled(using: &rng)  // a hidden topological order
            var deps: [(String, [String])] = ids.map { id in
                let r = rank.firstIndex(of: id)!
                return (id, rank[..<r].filter { _ in Int.random(in: 0..<3, using: &rng) == 0 })
            }
            if trial % 2 == 0, n > 1 {  // an edge against the hidden order: maybe a cycle
                let a = Int.random(in: 0..<n, using: &rng), b = Int.random(in: 0..<n, using: &rng)
                if a != b, !deps[a].1.contains(ids[b]) { deps[a].1.append(ids[b]) }
            }
            switch (referenceOrder(deps), PipelineLoader.order(stages(deps))) {
            case (.order(let expected), .success(let found)):
                #expect(found.map { $0.id } == expected)
            case (.cycle(let expected), .failure(let found)):
                cycles += 1
                #expect(found.message == expected)
                #expect(found.location?.line == 3 + ids.firstIndex(of: String(expected.dropFirst(21).prefix { $0 != " " }))!)
            default:
                Issue.record("orders disagree for \(deps)")
            }
        }
        #expect(cycles > 20)
    }

    @Test("64,000 chained stages validate in seconds")
    func chained() throws {
        let n = 64_000
        var text = "pipeline: long\nstages:\n  s0: { use: test.source }\n"
        for i in 1..<n { text += "  s\(i): { use: test.scale, from: { data: s\(i - 1) } }\n" }
        var p: ResolvedPipeline?
        let elapsed = try seconds { p = try load(text) }
        print("64,000 chained stages: \(elapsed) s")
        #expect(elapsed < 30)  // linear: ~7 s in a debug build; a quadratic step would take many minutes
        #expect(p?.stages.count == n && p?.stages.last?.id == "s\(n - 1)")
    }

    @Test("64,000 stages that all name a missing stage: errors are capped, suggestions bounded")
    func manyErrors() {
        let n = 64_000
        var text = "pipeline: long\nstages:\n  s0: { use: test.source }\n"
        for i in 1..<n { text += "  s\(i): { use: test.scale, from: { data: t\(i - 1) } }\n" }
        var found: [Diagnostic] = []
        let elapsed = seconds { found = diagnostics(text) }
        print("64,000 stages with a typo each: \(elapsed) s")
        #expect(elapsed < 30)  // linear: ~7 s in a debug build; a quadratic step would take many minutes
        #expect(found.count == PipelineLoader.maxDiagnostics + 1)
        #expect(found.first?.message == "no stage `t0` in this pipeline")
        #expect(found.first?.suggestion == "did you mean `s0`?")
        #expect(found.last?.message == "62,999 more problems are not shown")
        // Listings of ids stay short.
        #expect(found.allSatisfy { ($0.suggestion ?? "").count < 200 })
    }

    @Test("a cycle through 64,000 stages is found and named")
    func longCycle() {
        let n = 64_000
        var text = "pipeline: long\nstages:\n"
        for i in 0..<n { text += "  s\(i): { use: test.scale, from: { data: s\((i + 1) % n) } }\n" }
        var found: [Diagnostic] = []
        let elapsed = seconds { found = diagnostics(text) }
        #expect(elapsed < 30)  // linear: ~7 s in a debug build; a quadratic step would take many minutes
        #expect(found.count == 1 && found.first?.code == .cycle)
        #expect(found.first?.message.hasPrefix("stages form a cycle: s0 → s1 → s2") == true)
        #expect(found.first?.message.hasSuffix("s63999 → s0") == true)
    }
}
