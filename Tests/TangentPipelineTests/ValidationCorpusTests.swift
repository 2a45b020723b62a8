import Foundation
import Testing
@testable import TangentPipeline

/// One malformed pipeline of the corpus (Tests/TangentPipelineTests/Corpus). Each file says, in comments, the
/// overrides, profile and --sweep options to apply and every diagnostic expected, in order:
/// `# expect: [<source>:]LINE:COLUMN CODE TEXT` where TEXT must appear in the message or its suggestion, and CODE
/// is `warning:CODE` for a warning. Files that are not UTF-8 on purpose keep their comments readable: they are
/// read as UTF-16 when they start with its byte order mark, else as UTF-8 with bad bytes replaced.
struct CorpusCase: CustomTestStringConvertible, Sendable {
    let url: URL
    var testDescription: String { url.lastPathComponent }

    struct Expectation {
        var file: String?
        var line: Int
        var column: Int
        var code: String
        var severity: Diagnostic.Severity
        var text: String
    }

    static var all: [CorpusCase] {
        let folder = Bundle.module.url(forResource: "Corpus", withExtension: nil)!
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { CorpusCase(url: folder.appendingPathComponent($0)) }
    }

    func comments(_ tag: String) throws -> [String] {
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        let text = bytes.starts(with: [0xFF, 0xFE])
            ? String(decoding: stride(from: 2, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 },
                     as: UTF16.self)
            : String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix("# \(tag): ") }.map { String($0.dropFirst(tag.count + 4)) }
    }

    func expectations() throws -> [Expectation] {
        try comments("expect").map { line in
            var rest = Substring(line)
            var file: String?
            if rest.hasPrefix("<"), let close = rest.firstIndex(of: ">") {  // e.g. `<override 1>:1:8`
                file = String(rest[...close])
                rest = rest[rest.index(close, offsetBy: 2)...]
            }
            let parts = rest.split(separator: " ", maxSplits: 2).map(String.init)
            let numbers = parts[0].split(separator: ":").compactMap { Int($0) }
            guard parts.count == 3, numbers.count == 2 else { throw CorpusError(line: line) }
            let warning = parts[1].hasPrefix("warning:")
            return Expectation(file: file, line: numbers[0], column: numbers[1],
                               code: warning ? String(parts[1].dropFirst(8)) : parts[1],
                               severity: warning ? .warning : .error, text: parts[2])
        }
    }
}

struct CorpusError: Error, CustomStringConvertible {
    let line: String
    var description: String { "malformed expectation `\(line)`" }
}

@Suite("Malformed pipelines give exact locations and messages")
struct ValidationCorpusTests {
    @Test("the corpus holds at least 80 cases")
    func size() { #expect(CorpusCase.all.count >= 80) }

    @Test("every problem is reported at its line and column with its code and message", arguments: CorpusCase.all)
    func corpus(_ c: CorpusCase) throws {
        let overrides = try c.comments("overrides").first.map { $0.split(separator: " ").map(String.init) } ?? []
        let profile = try c.comments("profile").first
        let sweep = try c.comments("sweep").first.map { $0.split(separator: " ").map(String.init) } ?? []
        let expected = try c.expectations()
        #expect(!expected.isEmpty, "\(c.url.lastPathComponent) declares no expectation")
        var found: [Diagnostic] = []
        do {
            _ = try PipelineLoader.load(file: c.url.path, overrides: overrides, profile: profile, sweep: sweep,
                                        registry: testRegistry)
        } catch {
            #expect(error.code == .invalidPipeline)
            found = error.diagnostics
        }
        #expect(found.count == expected.count, "got: \(found.map(\.description))")
        for (e, d) in zip(expected, found) {
            #expect(d.location?.file == (e.file ?? c.url.path), "\(d)")
            #expect(d.location?.line == e.line && d.location?.column == e.column, "\(d)")
            #expect(d.code.rawValue == e.code, "\(d)")
            #expect(d.severity == e.severity, "\(d)")
            #expect((d.message + "; " + (d.suggestion ?? "")).contains(e.text), "\(d) should contain \(e.text)")
        }
    }
}

/// The same corpus through the real binary: `tangent validate` exits 2 (or 0 when only warnings are expected),
/// prints every expected diagnostic at its place, in time, and never an abort or raw Foundation text.
@Suite("Malformed pipelines through the command line", .serialized)
struct CorpusCommandLineTests {
    @Test("tangent validate gives each corpus file's exit status and diagnostics", arguments: [0, 1, 2, 3])
    func corpusOnTheBinary(_ part: Int) throws {
        for (index, c) in CorpusCase.all.enumerated() where index % 4 == part {
            let name = c.url.lastPathComponent
            if try !c.comments("registry").isEmpty { continue }  // written for the engine's test stages alone
            let overrides = try c.comments("overrides").first.map { $0.split(separator: " ").map(String.init) } ?? []
            let profile = try c.comments("profile").first.map { ["--profile", $0] } ?? []
            let sweep = try c.comments("sweep").first.map { $0.split(separator: " ").flatMap { ["--sweep", String($0)] } } ?? []
            let expected = try c.expectations()
            let out = try CLI.run(["validate", c.url.path] + overrides + profile + sweep,
                                  in: c.url.deletingLastPathComponent(), timeout: 60)
            #expect(!out.timedOut, "\(name) did not finish in time")
            let errors = expected.filter { $0.severity == .error }
            #expect(out.status == (errors.isEmpty ? 0 : 2), "\(name): exit \(out.status)\n\(out.stderr)")
            for e in expected {
                let place = "\(e.file ?? c.url.path):\(e.line):\(e.column): \(e.severity == .warning ? "warning" : "error"): "
                #expect(out.stderr.contains(place) && out.stderr.contains(e.text), "\(name): no `\(place)… \(e.text)` in\n\(out.stderr)")
            }
            for text in forbiddenOutput { #expect(!(out.stdout + out.stderr).contains(text), "\(name): \(text)") }
        }
    }
}
