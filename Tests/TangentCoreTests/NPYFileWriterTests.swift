import Foundation
import Testing
@testable import TangentCore

/// The goldens of tools/make_stream_fixtures.py (np.save output and hashlib digests).
enum StreamFixture {
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return try #require(Bundle.module.url(forResource: base, withExtension: ext.isEmpty ? nil : ext,
                                              subdirectory: "Fixtures/streaming"),
                            "fixture streaming/\(name) is missing; run tools/make_stream_fixtures.py")
    }

    /// SHA256SUMS: file name -> hashlib digest.
    static func digests() throws -> [String: String] {
        let text = try String(contentsOf: url("SHA256SUMS"), encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2 { result[String(parts[1])] = String(parts[0]) }
        }
        return result
    }

    /// (file, dtype tag, shape) as in the script's GOLDENS.
    static let goldens: [(String, String, [Int])] = [
        ("f8_2x3x4x5.npy", "f8", [2, 3, 4, 5]), ("f4_3x4x5.npy", "f4", [3, 4, 5]),
        ("i8_2x2x3x3.npy", "i8", [2, 2, 3, 3]), ("f8_2x0x3.npy", "f8", [2, 0, 3]), ("f4_0.npy", "f4", [0]),
        ("i8_scalar.npy", "i8", []), ("f8_scalar.npy", "f8", []), ("i4_7x3.npy", "i4", [7, 3]),
        ("u1_4x4.npy", "u1", [4, 4]), ("b1_3x5.npy", "b1", [3, 5]),
    ]
}

@Suite("NPYFileWriter") struct NPYFileWriterTests {
    /// Streams `array` through a writer in pieces of `piece` elements, using the append for its element type.
    static func stream(_ array: NPYArray, to url: URL, piece: Int = 7, sync: Bool = false) throws -> NPYFileWriter.Record {
        let writer = try NPYFileWriter(url: url, dtype: array.dtype, shape: array.shape)
        let count = array.storage.count
        for start in stride(from: 0, to: count, by: max(piece, 1)) {
            let range = start..<min(count, start + piece)
            switch array.storage {
            case .float64(let v): try writer.append(Array(v[range]))
            case .float32(let v): try writer.append(Array(v[range]))
            case .int64(let v): try writer.append(Array(v[range]))
            case .int32(let v): try writer.append(v[range].map { Int64($0) })
            case .uint8(let v): try writer.append(v[range].map { Double($0) })
            case .bool(let v): try writer.append(v[range].map { $0 ? 1.0 : 0.0 })
            }
        }
        return try writer.finish(sync: sync)
    }

    @Test("streamed files are byte-identical to np.save, with hashlib's SHA-256", arguments: StreamFixture.goldens)
    func matchesNumpy(file: String, dtype: String, shape: [Int]) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(file)
        let array = try Expected.array(dtype, shape)
        let record = try Self.stream(array, to: url)
        let golden = try Data(contentsOf: StreamFixture.url(file))
        let written = try Data(contentsOf: url)
        #expect(written == golden)
        #expect(written == NPY.encode(array))
        #expect(record.url == url)
        #expect(record.byteCount == golden.count)
        #expect(record.sha256 == (try StreamFixture.digests())[file])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [file])
    }

    @Test func hexOfFileAgreesWithHashlibOnTheGoldens() throws {
        for (name, digest) in try StreamFixture.digests() {
            #expect(try SHA256Sum.hexOfFile(at: StreamFixture.url(name)) == digest)
        }
        #expect(try StreamFixture.digests().count == StreamFixture.goldens.count)
    }

    @Test("every dtype and shape of the fixtures equals NPY.encode, whatever the piece size",
          arguments: Expected.dtypeTags, [1, 5, 1000])
    func equalsEncode(dtype: String, piece: Int) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (tag, shape) in Expected.shapes {
            let url = directory.appendingPathComponent("\(dtype)_\(tag).npy")
            let array = try Expected.array(dtype, shape)
            let record = try Self.stream(array, to: url, piece: piece, sync: piece == 1)
            let encoded = NPY.encode(array)
            #expect(try Data(contentsOf: url) == encoded, "\(dtype) \(shape)")
            #expect(record.sha256 == SHA256Sum.hex(of: encoded))
            #expect(record.byteCount == encoded.count)
        }
    }

    @Test func matricesAreAppendedRowByRowAndConverted() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A (T, N, N) stack written one N × N matrix at a time, in the other precision.
        let t = 3, n = 5
        let slices = (0..<t).map { s in Matrix<Double>(rows: n, columns: n) { i, j in Double(s * 100 + i * n + j) + 0.25 } }
        let url = directory.appendingPathComponent("stack.npy")
        let writer = try NPYFileWriter(url: url, dtype: .float32, shape: [t, n, n])
        for slice in slices { try writer.append(contentsOf: slice) }
        let record = try writer.finish()
        let expected = try NPYArray(slices.flatMap { $0.elements.map { Float($0) } }, shape: [t, n, n])
        #expect(try Data(contentsOf: url) == NPY.encode(expected))
        #expect(record.sha256 == (try SHA256Sum.hexOfFile(at: url)))

        let floats = Matrix<Float>(rows: 2, columns: 3) { i, j in Float(i * 3 + j) }
        let url64 = directory.appendingPathComponent("f64.npy")
        let writer64 = try NPYFileWriter(url: url64, dtype: .float64, shape: [2, 3])
        try writer64.append(contentsOf: floats)
        try writer64.finish()
        #expect(try NPY.read(contentsOf: url64) == (try NPYArray([0.0, 1, 2, 3, 4, 5], shape: [2, 3])))

        let url8 = directory.appendingPathComponent("i8.npy")
        let writer8 = try NPYFileWriter(url: url8, dtype: .int64, shape: [2, 3])
        try writer8.append(contentsOf: floats)
        try writer8.finish()
        #expect(try NPY.read(contentsOf: url8) == (try NPYArray([Int64]([0, 1, 2, 3, 4, 5]), shape: [2, 3])))
    }

    @Test("files of 64 MiB and more are written around the page cache, byte-identical, on disk and on tmpfs")
    func directWrites() throws {
        // 9 × 2^20 + 3 doubles with an odd header: the data spans 9 staging buffers, unaligned at both ends.
        let count = 9 << 20 + 3
        let values = (0..<count).map { Double($0) * 0.25 - 3 }
        let expected = NPY.encode(try NPYArray(values, shape: [count]))
        var folders = [try temporaryDirectory()]
        if FileManager.default.fileExists(atPath: "/dev/shm") {  // tmpfs refuses O_DIRECT: ordinary writes
            let shm = URL(fileURLWithPath: "/dev/shm/tangent-direct-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: shm, withIntermediateDirectories: true)
            folders.append(shm)
        }
        defer { for f in folders { try? FileManager.default.removeItem(at: f) } }
        for folder in folders {
            let url = folder.appendingPathComponent("direct.npy")
            let writer = try NPYFileWriter(url: url, dtype: .float64, shape: [count])
            #expect(writer.byteCount >= NPYFileWriter.directWriteThreshold)
            for start in stride(from: 0, to: count, by: 1_000_003) {
                try writer.append(Array(values[start..<min(start + 1_000_003, count)]))
            }
            let record = try writer.finish()
            let written = try Data(contentsOf: url)
            #expect(written == expected, "\(folder.path)")
            #expect(record.sha256 == SHA256Sum.hex(of: expected) && record.byteCount == expected.count)
        }
    }

    @Test func largeArraysStreamInPiecesLargerThanTheStagingBuffer() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // 3 × 2^18 elements: 6 MiB of doubles, several 1 MiB staging buffers when converted.
        let shape = [3, 1 << 18]
        let count = 3 << 18
        let halves = (0..<count).map { Double($0) * 0.5 - 7 }
        let integers = (0..<count).map { Double($0 * 3 - 5) }
        let cases: [(NPYDType, [Double], NPYArray)] = [
            (.float64, halves, try NPYArray(halves, shape: shape)),
            (.float32, halves, try NPYArray(halves.map { Float($0) }, shape: shape)),
            (.int64, integers, try NPYArray(integers.map { Int64($0) }, shape: shape)),
            (.int32, integers, try NPYArray(integers.map { Int32($0) }, shape: shape)),
        ]
        for (dtype, values, expected) in cases {
            let url = directory.appendingPathComponent("big-\(dtype.name).npy")
            let writer = try NPYFileWriter(url: url, dtype: dtype, shape: shape)
            try writer.append(Array(values[0..<1000]))
            try writer.append(Array(values[1000...]))
            let record = try writer.finish(sync: false)
            let encoded = NPY.encode(expected)
            #expect(try Data(contentsOf: url) == encoded, "\(dtype)")
            #expect(record.sha256 == SHA256Sum.hex(of: encoded))
        }
    }

    @Test func wrongElementCountsAreShapeMismatch() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("k.npy")
        let writer = try NPYFileWriter(url: url, dtype: .float64, shape: [2, 3])
        #expect(writer.byteCount == 128 + 48)
        try writer.append([1, 2, 3, 4])
        let tooMany = try #require(npyError { try writer.append([5, 6, 7]) })
        #expect(tooMany.code == .shapeMismatch)
        #expect(tooMany.message.contains("cannot append 3 elements"))
        #expect(tooMany.message.contains("room for 2"))
        #expect(writer.elementsWritten == 4)
        let early = try #require(npyError { try writer.finish() })
        #expect(early.code == .shapeMismatch)
        #expect(early.message.contains("holds 6 elements but 4 were appended"))
        #expect(!FileManager.default.fileExists(atPath: url.path))
        // The writer is still usable after both refusals.
        try writer.append([5, 6])
        #expect(!writer.isFinished)
        try writer.finish()
        #expect(writer.isFinished)
        #expect(try NPY.read(contentsOf: url) == (try NPYArray([1.0, 2, 3, 4, 5, 6], shape: [2, 3])))
        let closed = try #require(npyError { try writer.append([1]) })
        #expect(closed.code == .io)
        #expect(closed.message.contains("the writer is closed"))
    }

    @Test func integerTargetsRefuseInexactValuesAndWriteNothingOfThatAppend() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("ints.npy")
        let writer = try NPYFileWriter(url: url, dtype: .int32, shape: [4])
        try writer.append([1.0, -2.0])
        for bad in [[3.0, 2.5], [Double.nan, 1], [3e10, 1], [Double.infinity, 0]] {
            let error = try #require(npyError { try writer.append(bad) })
            #expect(error.code == .unsupportedDType)
            #expect(error.message.contains("as int32"))
            #expect(writer.elementsWritten == 2)
        }
        #expect(npyError { try writer.append([Int64(1) << 40, 0]) }?.message.contains("element 2") == true)
        try writer.append([Int64(3), Int64(-4)])
        try writer.finish()
        #expect(try NPY.read(contentsOf: url) == (try NPYArray([Int32]([1, -2, 3, -4]), shape: [4])))

        let bools = try NPYFileWriter(url: directory.appendingPathComponent("b.npy"), dtype: .bool, shape: [3])
        #expect(npyError { try bools.append([0, 1, 2]) }?.code == .unsupportedDType)
        try bools.append([0, 1, 1])
        try bools.finish()
        #expect(try NPY.read(contentsOf: directory.appendingPathComponent("b.npy")).bools == [false, true, true])
    }

    @Test func droppedWritersCloseTheirFileAndRemoveTheTemporary() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("dropped.npy")
        do {
            let writer = try NPYFileWriter(url: url, dtype: .float64, shape: [1000])
            try writer.append([1, 2, 3])
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 1)
            #expect(openDescriptors(under: directory) == 1)
        }
        #expect(openDescriptors(under: directory) == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)

        let discarded = try NPYFileWriter(url: url, dtype: .float32, shape: [2])
        discarded.discard()
        discarded.discard()
        #expect(npyError { try discarded.append([Float(1), 2]) }?.code == .io)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func replacesAnExistingFileAtomicallyKeepingItsPermissions() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("k.npy")
        try Data(count: 10_000).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        let writer = try NPYFileWriter(url: url, dtype: .float64, shape: [2])
        try writer.append([1, 2])
        #expect(try Data(contentsOf: url).count == 10_000) // untouched until finish
        try writer.finish(sync: true)
        #expect(try NPY.read(contentsOf: url) == (try NPYArray([1.0, 2], shape: [2])))
        #expect(try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["k.npy"])
    }

    @Test func aDiskWithoutRoomFailsAtCreationNamingTheBytes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("huge.npy")
        // 2^50 float64 elements = 8 PiB: no test machine has that much free disk.
        let error = try #require(npyError { _ = try NPYFileWriter(url: url, dtype: .float64, shape: [1 << 25, 1 << 25]) })
        #expect(error.code == .io)
        #expect(error.message.contains("not enough disk space"))
        #expect(error.message.contains("\((1 << 53) + 128) bytes"))
        #expect(error.message.contains("available"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)

        #expect(npyError { _ = try NPYFileWriter(url: url, dtype: .float64, shape: [-1]) }?.code == .shapeMismatch)
        #expect(npyError { _ = try NPYFileWriter(url: url, dtype: .float64, shape: [Int.max, 2]) }?.code == .shapeMismatch)
        let missing = npyError { _ = try NPYFileWriter(url: directory.appendingPathComponent("no/x.npy"), dtype: .float64, shape: [1]) }
        #expect(missing?.code == .io)
        #expect(missing?.message.contains("No such file or directory") == true)
    }

    @Test func theFileIsPresizedAtCreation() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try NPYFileWriter(url: directory.appendingPathComponent("pre.npy"), dtype: .float32, shape: [100, 100])
        let temporary = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path).first)
        let size = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(temporary).path)[.size] as? Int
        #expect(size == 128 + 40_000)
        writer.discard()
    }
}

/// The number of this process's open file descriptors on files in `directory` (other tests running in
/// parallel open files elsewhere, so the total count would not do).
func openDescriptors(under directory: URL) -> Int {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.filter { fd in
        let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd)
        return target?.hasPrefix(directory.path + "/") == true
    }.count
}
