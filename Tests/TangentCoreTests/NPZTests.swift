import Foundation
import Testing
@testable import TangentCore

@Suite("NPZ") struct NPZTests {
    /// The members of savez.npz / savez_compressed.npz, in numpy's order (see npz_contents() in the script).
    static func savezContents() throws -> [(name: String, array: NPYArray)] {
        [
            ("f8", try Expected.array("f8", [3, 4])),
            ("i8", try Expected.array("i8", [5])),
            ("i4", try Expected.array("i4", [2, 3, 4])),
            ("u1", try Expected.array("u1", [1, 1])),
            ("b1", try Expected.array("b1", [5])),
            ("f4", try Expected.array("f4", [0])),
            ("scalar", try Expected.array("i4", [])),
            ("arr_0", try Expected.array("f4", [5])),
        ]
    }

    static func allDtypesAndShapes() throws -> [(name: String, array: NPYArray)] {
        try Expected.dtypeTags.flatMap { dtype in
            try Expected.shapeTags.map { shape in
                ("\(dtype)_\(shape)", try Expected.array(dtype, Expected.shapes[shape] ?? []))
            }
        }
    }

    static func expectSame(_ a: [(name: String, array: NPYArray)], _ b: [(name: String, array: NPYArray)],
                           sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.map(\.name) == b.map(\.name), sourceLocation: sourceLocation)
        #expect(a.map(\.array) == b.map(\.array), sourceLocation: sourceLocation)
    }

    // MARK: numpy-written archives

    @Test("np.savez and np.savez_compressed archives load", arguments: ["savez.npz", "savez_compressed.npz"])
    func numpyArchive(file: String) throws {
        let url = try Fixture.url(file)
        Self.expectSame(try NPZ.readOrdered(contentsOf: url), try Self.savezContents())
        let dictionary = try NPZ.read(contentsOf: url)
        #expect(dictionary.count == 8)
        #expect(dictionary["i4"] == (try Expected.array("i4", [2, 3, 4])))
        #expect(try NPZ.read(member: "b1", contentsOf: url) == (try Expected.array("b1", [5])))
    }

    @Test func numpyArchiveMembersMatchOurEncoding() throws {
        // Our member bytes are the np.save bytes, so re-encoding numpy's archive gives the same members.
        let ours = try NPZ.encode(try Self.savezContents())
        let numpy = try Fixture.data("savez.npz")
        let oursEntries = try ours.withUnsafeBytes { try ZipArchive.entries(in: $0, source: "ours") }
        let numpyEntries = try numpy.withUnsafeBytes { try ZipArchive.entries(in: $0, source: "numpy") }
        #expect(oursEntries.map(\.name) == numpyEntries.map(\.name))
        #expect(oursEntries.map(\.crc32) == numpyEntries.map(\.crc32))
        #expect(oursEntries.map(\.uncompressedSize) == numpyEntries.map(\.uncompressedSize))
    }

    // MARK: round trips

    @Test func roundTripEveryDtypeAndShape() throws {
        let arrays = try Self.allDtypesAndShapes()
        let data = try NPZ.encode(arrays)
        Self.expectSame(try NPZ.decodeOrdered(data), arrays)
        let dictionary = try NPZ.decode(data)
        #expect(dictionary.count == arrays.count)
        for (name, array) in arrays { #expect(dictionary[name] == array) }
    }

    @Test func roundTripThroughForcedZip64() throws {
        let arrays = try Self.allDtypesAndShapes()
        let data = try NPZ.encode(arrays, forceZip64: true)
        Self.expectSame(try NPZ.decodeOrdered(data), arrays)
        let bytes = [UInt8](data)
        func contains(_ signature: UInt32) -> Bool {
            let pattern = withUnsafeBytes(of: signature.littleEndian, Array.init)
            return (0...(bytes.count - 4)).contains { bytes[$0..<($0 + 4)].elementsEqual(pattern) }
        }
        #expect(contains(ZipArchive.zip64EndSignature) && contains(ZipArchive.zip64LocatorSignature))
        // The plain encoder uses no Zip64 records for small archives.
        let small = [UInt8](try NPZ.encode(arrays))
        #expect(small.count + 56 + 20 + arrays.count * (20 + 28) == bytes.count)
    }

    @Test func encodingIsReproducibleAndStored() throws {
        let arrays = try Self.savezContents()
        let first = try NPZ.encode(arrays)
        #expect(first == (try NPZ.encode(arrays)))
        let entries = try first.withUnsafeBytes { try ZipArchive.entries(in: $0, source: "x") }
        #expect(entries.allSatisfy { $0.method == 0 && $0.compressedSize == $0.uncompressedSize })
        // Local header of the first member: version 20, flags 0, method 0, time 0, date 1980-01-01.
        #expect([UInt8](first.prefix(14)) == [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0])
    }

    @Test func emptyArchiveAndUnicodeNames() throws {
        let empty = try NPZ.encode([])
        #expect(empty.count == 22)
        #expect(try NPZ.decode(empty).isEmpty)
        let arrays = [("température", try Expected.array("f8", [2])), ("a b/c", try Expected.array("u1", []))]
        Self.expectSame(try NPZ.decodeOrdered(try NPZ.encode(arrays)), arrays)
    }

    @Test func nonArrayMembersAreIgnored() throws {
        let archive = ZipArchive.write([("README.txt", Data("hi".utf8)), ("dir/", Data()),
                                        ("x.npy", NPY.encode(try Expected.array("i4", [3])))])
        Self.expectSame(try NPZ.decodeOrdered(archive), [("x", try Expected.array("i4", [3]))])
    }

    @Test func archiveWithTrailingCommentLoads() throws {
        var data = try Fixture.data("savez_compressed.npz")
        let comment = Data("a trailing comment PK\u{05}\u{06} with a fake signature".utf8)
        data[data.count - 2] = UInt8(comment.count)
        data.append(comment)
        Self.expectSame(try NPZ.decodeOrdered(data), try Self.savezContents())
    }

    @Test func writeAndReadFiles() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("out.npz")
        try Data("previous".utf8).write(to: url)
        let arrays = try Self.savezContents()
        try NPZ.write(arrays, to: url)
        Self.expectSame(try NPZ.readOrdered(contentsOf: url), arrays)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.npz"])
    }

    // MARK: errors

    @Test("malformed archives give precise errors", arguments: [
        ("bad_crc.npz", NPYError.Code.corruptArchive, ["bad_crc.npz:a.npy", "CRC-32 mismatch in member 'a.npy'"]),
        ("truncated.npz", .corruptArchive, ["truncated.npz", "no end-of-central-directory record"]),
        ("bzip2.npz", .unsupportedCompression, ["bzip2.npz:a.npy", "compression method 12 (bzip2)"]),
        ("f8_3x4.npy", .corruptArchive, ["f8_3x4.npy", "it looks like a .npy file: use NPY.read"]),
    ])
    func malformedArchive(file: String, code: NPYError.Code, facts: [String]) throws {
        let url = try Fixture.url(file)
        let error = try #require(npyError { _ = try NPZ.read(contentsOf: url) })
        #expect(error.code == code)
        for fact in facts { #expect(error.description.contains(fact), "error: \(error)") }
    }

    @Test func errorsInsideMembersNameTheMember() throws {
        let bad = ZipArchive.write([("ok.npy", NPY.encode(try Expected.array("f8", [1]))),
                                    ("bad.npy", Data("not numpy".utf8))])
        let error = try #require(npyError { _ = try NPZ.decode(bad, source: "arch.npz") })
        #expect(error.code == .badMagic)
        #expect(error.source == "arch.npz:bad.npy")
        #expect(error.description.hasPrefix("arch.npz:bad.npy: not a .npy file"))
    }

    @Test func duplicateMembersAreRejected() throws {
        let member = NPY.encode(try Expected.array("f8", [1]))
        let archive = ZipArchive.write([("a.npy", member), ("a.npy", member)])
        let error = try #require(npyError { _ = try NPZ.decode(archive) })
        #expect(error.code == .corruptArchive)
        #expect(error.message.contains("more than one member named 'a.npy'"))
    }

    @Test func missingMember() throws {
        let url = try Fixture.url("savez.npz")
        let error = try #require(npyError { _ = try NPZ.read(member: "nope", contentsOf: url) })
        #expect(error.code == .missingMember)
        #expect(error.message.contains("no array named 'nope'"))
        #expect(error.message.contains("'f8', 'i8', 'i4', 'u1', 'b1', 'f4', 'scalar', 'arr_0'"))
    }

    @Test func readingOneMemberDecodesOnlyThatMember() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("mixed.npz")
        let good = try Expected.array("i8", [2, 2])
        try ZipArchive.write([("broken.npy", Data("garbage".utf8)), ("good.npy", NPY.encode(good))]).write(to: url)
        #expect(try NPZ.read(member: "good", contentsOf: url) == good)
        let error = npyError { _ = try NPZ.read(member: "broken", contentsOf: url) }
        #expect(error?.source == url.path + ":broken.npy")
        #expect(npyError { _ = try NPZ.read(contentsOf: url) }?.code == .badMagic)
    }

    @Test func invalidNamesAndShapesAreRejectedOnEncode() throws {
        let array = try Expected.array("f8", [2])
        #expect(npyError { _ = try NPZ.encode([("a", array), ("a", array)]) }?.message.contains("two arrays named 'a'") == true)
        #expect(npyError { _ = try NPZ.encode([("", array)]) }?.code == .corruptArchive)
        #expect(npyError { _ = try NPZ.encode([(String(repeating: "x", count: 70_000), array)]) }?.code == .corruptArchive)
        var inconsistent = array
        inconsistent.storage = .float64([1, 2, 3])
        let error = npyError { _ = try NPZ.encode([("m", inconsistent)]) }
        #expect(error?.code == .shapeMismatch)
        #expect(error?.source == "<memory>:m.npy")
    }

    @Test("every truncation of an archive fails cleanly", arguments: ["savez.npz", "savez_compressed.npz"])
    func truncations(file: String) throws {
        let data = try Fixture.data(file)
        for length in 0..<data.count {
            let error = npyError { _ = try NPZ.decode(data.prefix(length)) }
            #expect(error?.code == .corruptArchive, "cut to \(length): \(String(describing: error))")
        }
    }

    @Test func lyingSizesAreCaught() throws {
        // Claim a huge uncompressed size for a deflated member: rejected before allocating.
        var data = try Fixture.data("savez_compressed.npz")
        let entries = try data.withUnsafeBytes { try ZipArchive.entries(in: $0, source: "x") }
        #expect(entries.allSatisfy { $0.method == 8 })
        let centralStart = try #require(data.lastRange(of: Data([0x50, 0x4B, 0x01, 0x02]))).lowerBound
        data.replaceSubrange((centralStart + 24)..<(centralStart + 28), with: [0xF0, 0xFF, 0xFF, 0x7F])
        let error = try #require(npyError { _ = try NPZ.decode(data, source: "lie.npz") })
        #expect(error.code == .corruptArchive)
        #expect(error.description.contains("more than DEFLATE can produce") || error.description.contains("inflates"))
    }
}
