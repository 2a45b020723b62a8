import Foundation
import Testing
@testable import TangentCore

@Suite("SHA-256") struct SHA256SumTests {
    /// FIPS 180-4 / NIST example vectors (also the in-tree implementation's former test vectors).
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ]

    @Test func stringsAndDataMatchTheTestVectors() {
        for (text, digest) in Self.vectors {
            #expect(SHA256Sum.hex(of: text) == digest)
            #expect(SHA256Sum.hex(of: Data(text.utf8)) == digest)
            var hasher = SHA256Sum.Hasher()
            for character in text { hasher.update(String(character)) }
            #expect(hasher.hexDigest() == digest)
        }
    }

    @Test func theHasherTakesPiecesAndCanBeAskedMidway() {
        var hasher = SHA256Sum.Hasher()
        hasher.update([UInt8]("ab".utf8))
        #expect(hasher.hexDigest() == SHA256Sum.hex(of: "ab"))
        hasher.update(Data("c".utf8))
        #expect(hasher.hexDigest() == Self.vectors[1].1)
        #expect(hasher.hexDigest() == Self.vectors[1].1) // asking does not end the hashing
        let bytes = [UInt8](Self.vectors[2].0.utf8)
        var pieces = SHA256Sum.Hasher()
        pieces.update(bytes[0..<5])                       // an ArraySlice
        pieces.update(bytes[5...].lazy.map { $0 })        // a sequence without contiguous storage
        #expect(pieces.hexDigest() == Self.vectors[2].1)
    }

    @Test func filesAreHashedInPiecesWithTheSameResult() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // One million 'a' (the NIST long-message vector), and a file spanning several 1 MiB pieces.
        let million = directory.appendingPathComponent("million")
        try Data(repeating: UInt8(ascii: "a"), count: 1_000_000).write(to: million)
        #expect(try SHA256Sum.hexOfFile(at: million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var rng = SplitMix64(state: 7)
        let bytes = Data((0..<(3 * SHA256Sum.chunkSize + 17)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let large = directory.appendingPathComponent("large.bin")
        try bytes.write(to: large)
        #expect(try SHA256Sum.hexOfFile(at: large) == SHA256Sum.hex(of: bytes))
        let empty = directory.appendingPathComponent("empty")
        try Data().write(to: empty)
        #expect(try SHA256Sum.hexOfFile(at: empty) == Self.vectors[0].1)
    }

    @Test func unreadablePathsAreIOErrorsNamingThePath() throws {
        let missing = try #require(npyError { _ = try SHA256Sum.hexOfFile(at: URL(fileURLWithPath: "/nonexistent/x")) })
        #expect(missing.code == .io)
        #expect(missing.description.hasPrefix("/nonexistent/x: cannot open the file to hash it: No such file or directory."))
        let directory = try #require(npyError { _ = try SHA256Sum.hexOfFile(at: FileManager.default.temporaryDirectory) })
        #expect(directory.code == .io)
        #expect(directory.message.contains("not a regular file"))
    }
}
