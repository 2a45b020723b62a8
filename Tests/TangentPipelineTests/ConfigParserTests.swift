import Testing
@testable import TangentPipeline

@Suite("YAML values keep their types and locations")
struct ConfigParserTests {
    @Test("scalars are typed by YAML resolution; quoted scalars are strings")
    func scalarTypes() throws {
        let v = try ConfigParser.parse("a: 3\nb: 3.5\nc: 1e-3\nd: true\ne: null\nf: '3'\ng: hello\nh: [1, 2]\n", file: "f.yaml")
        #expect(v["a"]?.value.value == .int(3))
        #expect(v["b"]?.value.value == .double(3.5))
        #expect(v["c"]?.value.value == .double(1e-3))
        #expect(v["d"]?.value.value == .bool(true))
        #expect(v["e"]?.value.value == .null)
        #expect(v["f"]?.value.value == .string("3"))
        #expect(v["g"]?.value.value == .string("hello"))
        #expect(v["h"]?.value.value.typeName == "list")
    }

    @Test("every node carries its line and column")
    func locations() throws {
        let v = try ConfigParser.parse("top:\n  inner: 5\n  list:\n    - x\n", file: "f.yaml")
        let top = try #require(v["top"])
        #expect(top.keyLocation == SourceLocation(file: "f.yaml", line: 1, column: 1))
        let inner = try #require(top.value["inner"])
        #expect(inner.keyLocation.line == 2 && inner.keyLocation.column == 3)
        #expect(inner.value.location.line == 2 && inner.value.location.column == 10)
        guard case .list(let items) = top.value["list"]?.value.value else { Issue.record("not a list"); return }
        #expect(items[0].location.line == 4 && items[0].location.column == 7)
    }

    @Test("canonical JSON is sorted and round-trips through the reader")
    func canonicalJSON() throws {
        let v = Value.object(["b": .list([.int(1), .double(2), .null]), "a": .string("q\"\n"), "c": .bool(false)])
        #expect(v.canonicalJSON == #"{"a":"q\"\n","b":[1,2.0,null],"c":false}"#)
        #expect(try JSONReader.parse(v.canonicalJSON) == v)
        #expect(try JSONReader.parse(v.prettyJSON()) == v)
    }
}
