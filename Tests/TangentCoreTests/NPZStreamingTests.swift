import Foundation
import Testing
@testable import TangentCore

@Suite("NPZ streaming writes") struct NPZStreamingTests {
    static func archives() throws -> [(label: String, arrays: [(name: String, array: NPYArray)])] {
        [
            ("empty", []),
            ("savez members", try NPZTests.savezContents()),
            ("every dtype and shape", try NPZTests.allDtypesAndShapes()),
            ("unicode names", [("température", try Expected.array("f8", [2])), ("a b/c", try Expected.array("u1", []))]),
            ("one large member", [("k", try NPYArray((0..<300_000).map { Double($0) * 0.5 }, shape: [3, 100_000])),
                                  ("mask", try Expected.array("b1", [7, 3]))]),
        ]
    }

    @Test func writeIsByteIdenticalToEncode() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (label, arrays) in try Self.archives() {
            for forceZip64 in [false, true] {
                let url = directory.appendingPathComponent("out.npz")
                try NPZ.write(arrays, to: url, forceZip64: forceZip64)
                let written = try Data(contentsOf: url)
                #expect(written == (try NPZ.encode(arrays, forceZip64: forceZip64)), "\(label), zip64: \(forceZip64)")
                NPZTests.expectSame(try NPZ.readOrdered(contentsOf: url), arrays)
            }
            try NPZ.write(arrays, to: directory.appendingPathComponent("public.npz"))
            #expect(try Data(contentsOf: directory.appendingPathComponent("public.npz")) == (try NPZ.encode(arrays)))
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: directory.path)) == ["out.npz", "public.npz"])
    }

    @Test func theWriterMatchesTheFormerInMemoryLayout() throws {
        // Offsets past 4 GiB cannot be produced in a test; the writer's Zip64 switch is driven by the same
        // values (sizes and offsets) as ZipArchive.write, checked here on the forced path: every record present.
        let arrays = try NPZTests.savezContents()
        let data = try NPZ.encode(arrays, forceZip64: true)
        let entries = try data.withUnsafeBytes { try ZipArchive.entries(in: $0, source: "x") }
        #expect(entries.map(\.name) == arrays.map { $0.name + ".npy" })
        var offset: UInt64 = 0
        for (entry, (name, array)) in zip(entries, arrays) {
            #expect(entry.localHeaderOffset == offset)
            let size = UInt64(NPY.encode(array).count)
            #expect(entry.uncompressedSize == size && entry.compressedSize == size)
            offset += 30 + UInt64(name.utf8.count + 4) + 20 + size
        }
    }

    @Test func failuresLeaveTheDestinationAndNoTemporaryFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("keep.npz")
        try Data("previous".utf8).write(to: url)
        let array = try Expected.array("f8", [3])
        #expect(npyError { try NPZ.write([("a", array), ("a", array)], to: url) }?.code == .corruptArchive)
        var inconsistent = array
        inconsistent.shape = [4]
        #expect(npyError { try NPZ.write([("a", array), ("b", inconsistent)], to: url) }?.code == .shapeMismatch)
        #expect(try Data(contentsOf: url) == Data("previous".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["keep.npz"])
        let missing = npyError { try NPZ.write([("a", array)], to: directory.appendingPathComponent("no/x.npz")) }
        #expect(missing?.code == .io)
    }
}
