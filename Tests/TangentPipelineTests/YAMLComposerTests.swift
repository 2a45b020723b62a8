import Foundation
import Testing
@testable import TangentPipeline

@Suite("YAML aliases, merge keys and reader budgets")
struct YAMLBudgetTests {
    @Test("the billion-laughs file is refused in well under a second")
    func billionLaughs() throws {
        let bomb = try #require(CorpusCase.all.first { $0.url.lastPathComponent == "57-alias-bomb.yaml" })
        var found: [Diagnostic] = []
        let elapsed = seconds { found = fileDiagnostics(bomb.url.path) }
        #expect(elapsed < 0.5, "took \(elapsed) s")
        #expect(found.map(\.code) == [.limitExceeded])
    }

    @Test("more than 1,000,000 nodes without any alias is refused too")
    func flatNodeBudget() {
        let text = "pipeline: p\nstages:\n  a: { use: test.source }\nx: [" + String(repeating: "1,", count: 1_000_000) + "1]\n"
        var found: [Diagnostic] = []
        let elapsed = seconds { found = diagnostics(text) }
        #expect(elapsed < 10, "took \(elapsed) s")
        #expect(found.count == 1)
        #expect(found.first?.code == .limitExceeded)
        #expect(found.first?.message == "the document has more than 1,000,000 YAML nodes")
        #expect(found.first?.location?.line == 4)
    }

    @Test("a long scalar repeated through aliases is refused by the text budget")
    func textBudget() {
        let text = "x: &s " + String(repeating: "a", count: 1 << 20) + "\ny: [" + String(repeating: "*s, ", count: 70) + "]\n"
        let found = diagnostics(text)
        #expect(found.count == 1)
        #expect(found.first?.code == .limitExceeded)
        #expect(found.first?.message == "expanding alias `*s` makes the document hold more than 64 MB of text")
    }

    @Test("an override value is read under the same limits, located in the argument")
    func deepOverride() {
        let found = diagnostics("pipeline: p\nstages:\n  a: { use: test.source }\n",
                                overrides: ["a.size=" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)])
        #expect(found.count == 1)
        #expect(found.first?.code == .limitExceeded)
        #expect(found.first?.location?.file == "<override 1>")
    }

    @Test("an alias is its anchored value: scalars, lists and mappings; the alias gives the root's location")
    func aliasesAreValues() throws {
        let v = try ConfigParser.parse("a: &x {b: 1, c: [2, three]}\nd: *x\ne: &s 5\nf: [*s, *x]\n", file: "f.yaml")
        let a = try #require(v["a"]?.value), d = try #require(v["d"]?.value)
        #expect(a.value == d.value)
        #expect(d.location == SourceLocation(file: "f.yaml", line: 2, column: 4))
        #expect(d["b"]?.keyLocation == SourceLocation(file: "f.yaml", line: 1, column: 8))  // inside: the anchor's
        guard case .list(let items)? = v["f"]?.value.value else { Issue.record("f is not a list"); return }
        #expect(items.map(\.value) == [.int(5), a.value])
        #expect(items.map(\.location.column) == [5, 9])
        #expect(v["e"]?.value.value == .int(5))
    }

    @Test("merge keys: merged entries stand where `<<` stands; the mapping's own keys win; the first source wins")
    func mergeKeys() throws {
        let v = try ConfigParser.parse("""
            base: &b {x: 1, y: 2}
            more: &m {y: 3, z: 4}
            m: {a: 0, <<: [*b, *m], x: 9}
            """, file: "f.yaml")
        guard case .map(let entries)? = v["m"]?.value.value else { Issue.record("m is not a mapping"); return }
        #expect(entries.map(\.key) == ["a", "y", "z", "x"])
        #expect(entries.map(\.value.value) == [.int(0), .int(2), .int(4), .int(9)])
        #expect(entries[1].keyLocation.line == 1)  // y comes from base (the first source)
        #expect(entries[2].keyLocation.line == 2)  // z from more
        #expect(entries[3].keyLocation.line == 3)  // x is the mapping's own, so base's x is not merged
    }

    @Test("plain scalars read without Yams' regular expressions type exactly as Yams types them")
    func fastScalars() {
        var words = ["a", "abc", "test.source", "s1", "x-y", "yes", "Yes", "YES", "no", "on", "Off", "y", "n", "true", "False",
                     "null", "Null", "NULL", "nULL", "~", "", "0", "7", "-7", "+7", "007", "0x1F", "0o17", "0b101", "1_000",
                     "123456789012345678", "1234567890123456789", "-0", "1e3", "1.5", ".5", ".inf", "-.inf", ".nan", "1:30",
                     "2001-12-14", "<<", "=", "-", "--", "-a", "1a", "a1", "é", "_x", "infinity", "nan", "NaN", "0.", "-1"]
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789+-._:eExyonNaTt~ ")
        for _ in 0..<2000 {
            words.append(String((0..<Int.random(in: 1...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        for word in words {
            guard let fast = ConfigParser.fastPlainValue(word) else { continue }
            let slow = ConfigParser.scalarValue(.init(word, .implicit, .plain))
            #expect(fast == slow, "`\(word)`: \(fast) vs \(slow)")
        }
    }

    @Test("numbers that overflow are floats or strings, never a crash", arguments: [
        ("99999999999999999999999", ConfigValue.double(1e23)),
        ("1:00:00:00:00:00:00:00:00:00:00:00:00", .double(pow(60, 12))),  // Yams' own conversion traps here
        ("-1" + String(repeating: ":59", count: 30), .double(-(2 * pow(60, 30) - 1))),
        ("1:30", .int(90)), ("-1:30", .int(-90)), ("1_0:05", .int(605)), ("0x" + String(repeating: "f", count: 20), .double(0x1p80 - 1)),
        ("0b" + String(repeating: "1", count: 70), .string("0b" + String(repeating: "1", count: 70))),
    ] as [(String, ConfigValue)])
    func bigNumbers(_ text: String, _ expected: ConfigValue) throws {
        let v = try ConfigParser.parse("x: \(text)\n", file: "f.yaml")
        let found = try #require(v["x"]?.value.value)
        if case .double(let a) = found, case .double(let b) = expected {
            #expect(abs(a - b) <= abs(b) * 1e-12, "\(text): \(found)")
        } else {
            #expect(found == expected, "\(text)")
        }
    }

    @Test("a mapping with many keys is composed in linear time (duplicates found with a set)")
    func wideMapping() {
        let keys = (0..<200_000).map { "k\($0): \($0)\n" }.joined()
        var found: [Diagnostic] = []
        let elapsed = seconds { found = diagnostics("x:\n" + keys.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n  k7: 0\n") }
        #expect(elapsed < 10, "took \(elapsed) s")
        #expect(found.map(\.description) == ["p.yaml:200002:3: error: x.k7: `k7` appears twice in the same mapping; rename or remove one of them"])
    }
}
