import Foundation
import Testing
@testable import TangentPipeline
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Pipeline files that are not UTF-8 text in a regular file")
struct FileKindTests {
    @Test("a directory, a FIFO, /dev/zero and a link to it are named as such, at once")
    func notRegularFiles() throws {
        let dir = try temporaryFolder("kinds")
        let fifo = dir.appendingPathComponent("pipe.yaml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let link = dir.appendingPathComponent("zero.yaml").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/zero")
        let cases: [(String, String)] = [
            (dir.path, "\(dir.path) is a directory, not a pipeline file"),
            (fifo, "\(fifo) is not a regular file (it is a FIFO)"),
            ("/dev/zero", "/dev/zero is not a regular file (it is a character device)"),
            (link, "\(link) is not a regular file (it is a character device)"),
        ]
        for (path, message) in cases {
            var found: [Diagnostic] = []
            let elapsed = seconds { found = fileDiagnostics(path) }
            #expect(elapsed < 1, "\(path) took \(elapsed) s")
            #expect(found.count == 1)
            #expect(found.first?.code == .unreadableFile)
            #expect(found.first?.message == message)
            #expect(found.first?.location == nil)
            expectNoFoundationText(found)
        }
    }

    @Test("a missing file, an empty file and a file of comments")
    func missingAndEmpty() throws {
        let dir = try temporaryFolder("kinds")
        let missing = dir.appendingPathComponent("nope.yaml").path
        #expect(fileDiagnostics(missing).map(\.description) == ["error: no pipeline file at \(missing); check the path"])
        for (name, text) in [("empty.yaml", ""), ("comments.yaml", "# nothing yet\n\n   # still nothing\n")] {
            let file = dir.appendingPathComponent(name)
            try text.write(to: file, atomically: true, encoding: .utf8)
            let found = fileDiagnostics(file.path)
            #expect(found.map(\.description) == [
                "\(file.path):1:1: error: the pipeline file is empty; a pipeline file is a mapping with `pipeline:` and `stages:` (see docs/pipeline-format.md)",
            ])
        }
    }

    @Test("a file over 16 MB is refused from its size, without reading it")
    func tooLarge() throws {
        let file = try temporaryFolder("kinds").appendingPathComponent("big.yaml")
        #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
        #expect(truncate(file.path, 17 << 20) == 0)  // sparse: 17 MB of zeros
        let found = fileDiagnostics(file.path)
        #expect(found.map(\.message) == ["\(file.path) is too large for a pipeline file (17,825,792 bytes; the limit is 16 MB)"])
        #expect(found.first?.code == .unreadableFile)
    }

    @Test("bytes that are not UTF-8 text: the first bad one with its line and column", arguments: [
        ([0xFE, 0xFF, 0x00, 0x70], "1:1", "the pipeline file is UTF-16 (big-endian) text with a byte order mark, not UTF-8"),
        ([0xFF, 0xFE, 0x00, 0x00, 0x70, 0, 0, 0], "1:1", "the pipeline file is UTF-32 (little-endian) text with a byte order mark, not UTF-8"),
        (Array("pipeline: p\nx: caf".utf8) + [0xC3], "2:7", "the pipeline file is not UTF-8 text (invalid byte 0xC3 at line 2, column 7)"),
        (Array("a: ".utf8) + [0xC0, 0xAF], "1:4", "the pipeline file is not UTF-8 text (invalid byte 0xC0 at line 1, column 4)"),
        (Array("a: ".utf8) + [0xED, 0xA0, 0x80], "1:4", "the pipeline file is not UTF-8 text (invalid byte 0xED at line 1, column 4)"),
        (Array("a: \u{e9}t\u{e9} ".utf8) + [0xF5, 0x80], "1:8", "the pipeline file is not UTF-8 text (invalid byte 0xF5 at line 1, column 8)"),
        (Array("a: b\r\nc: d\u{1B}".utf8), "2:5", "the pipeline file is not text (control byte 0x1B at line 2, column 5)"),
    ] as [([UInt8], String, String)])
    func encodings(_ bytes: [UInt8], position: String, message: String) throws {
        let file = try temporaryFolder("bytes").appendingPathComponent("p.yaml")
        try Data(bytes).write(to: file)
        let found = fileDiagnostics(file.path)
        #expect(found.count == 1)
        #expect(found.first?.code == .encoding)
        #expect(found.first.map { "\($0.location!.line):\($0.location!.column)" } == position)
        #expect(found.first?.message == message)
        expectNoFoundationText(found)
    }

    @Test("control characters in text given directly are reported by the YAML reader, not a crash")
    func controlCharactersInText() {
        let found = diagnostics("pipeline: p\nstages:\n  a: { use: \"test\u{1}\" }\n")
        #expect(found.count == 1)
        #expect(found.first?.code == .encoding)
        #expect(found.first?.location == SourceLocation(file: "p.yaml", line: 3, column: 18))
        #expect(found.first?.message.hasPrefix("not valid YAML text: control characters are not allowed (0x01) at line 3, column 18") == true)
    }
}
