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

    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func sha256() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
