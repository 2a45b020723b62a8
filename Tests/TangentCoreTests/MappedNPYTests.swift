import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import TangentCore

@Suite("MappedNPY") struct MappedNPYTests {
    /// Every element of `mapped` through `doubles(range:)`.
    static func all(_ mapped: MappedNPY) throws -> [Double] { try mapped.doubles(range: 0..<mapped.count) }

    @Test("fixtures of every dtype and shape read as NPY.read does", arguments: Expected.dtypeTags, Expected.shapeTags)
    func fixtures(dtype: String, shape: String) throws {
        let url = try Fixture.url("\(dtype)_\(shape).npy")
        let mapped = try MappedNPY(url: url)
        let array = try NPY.read(contentsOf: url)
        #expect(mapped.shape == array.shape)
        #expect(mapped.dtype == array.dtype)
        #expect(mapped.count == array.storage.count)
        #expect(mapped.isMapped)
        #expect(try Self.all(mapped) == array.asDoubles())
        #expect(mapped.source == url.path)
    }

    @Test("big-endian files are mapped and swapped; Fortran-order files are decoded whole", arguments: [
        ("bigendian_f8_3x4.npy", true), ("bigendian_f4_3x4.npy", true), ("bigendian_i8_3x4.npy", true),
        ("bigendian_i4_3x4.npy", true), ("fortran_f8_3x4.npy", false), ("fortran_i4_2x3x4.npy", false),
        ("v2_f8_3x4.npy", true), ("v3_f4_5.npy", true), ("handwritten_header.npy", true), ("f8_special.npy", true),
    ])
    func byteOrdersAndLayouts(file: String, mapped isMapped: Bool) throws {
        let url = try Fixture.url(file)
        let mapped = try MappedNPY(url: url)
        let array = try NPY.read(contentsOf: url)
        #expect(mapped.isMapped == isMapped)
        #expect(mapped.shape == array.shape)
        let got = try Self.all(mapped), want = array.asDoubles()
        #expect(got.map(\.bitPattern) == want.map(\.bitPattern))
        if array.shape.count >= 2 {
            let last = array.shape.count - 2
            let leading = [Int](repeating: 0, count: last)
            let matrix = try mapped.matrix(at: leading)
            #expect(matrix.elements == Array(want[0..<(array.shape[last] * array.shape[last + 1])]))
        }
        #expect(npyError { _ = try MappedNPY(url: url, maximumSize: 0) }?.code == (isMapped ? nil : .tooLarge))
    }

    @Test func slicesOfA4DArray() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (t, c, n) = (3, 2, 5)
        let values = (0..<(t * c * n * n)).map { Double($0) * 0.25 }
        for dtype in [NPYDType.float64, .float32, .int64] {
            let url = directory.appendingPathComponent("k-\(dtype.name).npy")
            let array: NPYArray = switch dtype {
            case .float32: try NPYArray(values.map { Float($0) }, shape: [t, c, n, n])
            case .int64: try NPYArray(values.map { Int64($0 * 4) }, shape: [t, c, n, n])
            default: try NPYArray(values, shape: [t, c, n, n])
            }
            try NPY.write(array, to: url)
            let expected = array.asDoubles()
            let mapped = try MappedNPY(url: url)
            #expect(mapped.shape == [t, c, n, n] && mapped.dtype == dtype)
            for ti in 0..<t {
                for ci in 0..<c {
                    let base = (ti * c + ci) * n * n
                    let matrix = try mapped.matrix(at: [ti, ci])
                    #expect(matrix.rows == n && matrix.columns == n)
                    #expect(matrix.elements == Array(expected[base..<(base + n * n)]))
                    let block = try mapped.matrix(at: [ti, ci], rows: 1..<4, columns: 2..<5)
                    #expect(block == (try Matrix(rows: 3, columns: 3) { i, j in expected[base + (i + 1) * n + j + 2] }))
                    let band = try mapped.matrix(at: [ti, ci], rows: 2..<3)
                    #expect(band.elements == Array(expected[(base + 2 * n)..<(base + 3 * n)]))
                    #expect(try mapped.matrix(at: [ti, ci], rows: 0..<0).count == 0)
                    #expect(try mapped.matrix(at: [ti, ci], columns: 1..<1).count == 0)
                }
            }
            #expect(try mapped.doubles(range: 17..<40) == Array(expected[17..<40]))
            #expect(try mapped.doubles(range: 5..<5).isEmpty)
        }
    }

    @Test func outOfRangeRequestsAreShapeMismatchNamingTheProblem() throws {
        let url = try Fixture.url("f8_2x3x4.npy")
        let mapped = try MappedNPY(url: url)
        let cases: [(() throws -> Void, String)] = [
            ({ _ = try mapped.doubles(range: 20..<25) }, "outside the 24 elements"),
            ({ _ = try mapped.doubles(range: -1..<2) }, "outside the 24 elements"),
            ({ _ = try mapped.matrix(at: []) }, "needs 1 leading indices"),
            ({ _ = try mapped.matrix(at: [2]) }, "index 2 on axis 0 is out of range"),
            ({ _ = try mapped.matrix(at: [0], rows: 0..<4) }, "do not fit the 3 × 4 slices"),
            ({ _ = try mapped.matrix(at: [0], columns: 3..<5) }, "do not fit"),
            ({ _ = try MappedNPY(url: try Fixture.url("f8_5.npy")).matrix(at: []) }, "rank 1"),
        ]
        for (body, fact) in cases {
            let error = try #require(npyError(body))
            #expect(error.code == .shapeMismatch)
            #expect(error.message.contains(fact), "message: \(error.message)")
        }
    }

    @Test("damaged files give the same error codes and messages as NPY.read", arguments: [
        "bad_magic.npy", "truncated_data.npy", "truncated_header.npy", "corrupt_header.npy", "unsupported_version.npy",
        "unsupported_dtype_c16.npy", "unsupported_dtype_U3.npy", "unsupported_dtype_object.npy", "shape_mismatch.npy",
        "savez.npz",
    ])
    func damagedFixtures(file: String) throws {
        let url = try Fixture.url(file)
        let expected = try #require(npyError { _ = try NPY.read(contentsOf: url) })
        let error = try #require(npyError { _ = try MappedNPY(url: url) })
        #expect(error.code == expected.code)
        #expect(error.message == expected.message)
        #expect(error.source == url.path)
    }

    @Test func everyTruncationIsAnErrorNeverASignal() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["f8_3x4.npy", "v2_f8_3x4.npy", "fortran_i4_2x3x4.npy", "f8_scalar.npy"] {
            let data = try Fixture.data(name)
            for length in 0..<data.count {
                let url = directory.appendingPathComponent("cut.npy")
                try data.prefix(length).write(to: url)
                let expected = npyError { _ = try NPY.decode(data.prefix(length), source: url.path) }
                let error = npyError { _ = try MappedNPY(url: url) }
                #expect(error?.code == .truncated, "\(name) cut to \(length) bytes")
                #expect(error?.message == expected?.message)
            }
        }
        // A header declaring 2^40 elements over a few bytes: refused before mapping or allocating.
        let huge = NPYDecodingTests.npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,)}",
                                        payload: [1, 2, 3])
        let url = directory.appendingPathComponent("huge.npy")
        try huge.write(to: url)
        let error = try #require(npyError { _ = try MappedNPY(url: url) })
        #expect(error.code == .truncated)
        #expect(error.message.contains("8796093022208 bytes but only 3 bytes follow"))
        #expect(npyError { _ = try MappedNPY(url: directory) }?.code == .io)
        #expect(npyError { _ = try MappedNPY(url: directory.appendingPathComponent("missing.npy")) }?.code == .io)
    }

    @Test func readingSlicesOneAtATimeReleasesTheirPages() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // 16 slices of 256 × 256 doubles (512 KiB each, 8 MiB in all).
        let (t, n) = (16, 256)
        let url = directory.appendingPathComponent("stack.npy")
        let writer = try NPYFileWriter(url: url, dtype: .float64, shape: [t, n, n])
        for s in 0..<t { try writer.append([Double](repeating: Double(s), count: n * n)) }
        try writer.finish(sync: false)

        func residentKiB(released: Bool) throws -> (peak: Int, end: Int) {
            let mapped = try MappedNPY(url: url)
            mapped.releasesPages = released
            var peak = 0
            for s in 0..<t {
                let matrix = try mapped.matrix(at: [s])
                #expect(matrix[n - 1, n - 1] == Double(s))
                peak = max(peak, mappingResidentKiB(of: url))
            }
            // Keep the mapping alive through the last measurement (ARC may end it after its last use).
            return withExtendedLifetime(mapped) { (peak, mappingResidentKiB(of: url)) }
        }
        let kept = try residentKiB(released: false)
        let released = try residentKiB(released: true)
        // Without releasing, the mapping's resident set grows to the whole file; with it, at most about a slice.
        #expect(kept.end >= 8 * 1024 - 8)
        #expect(released.peak <= 512 + 64, "resident KiB with release: \(released), without: \(kept)")
        #expect(released.end <= 512 + 64)
    }

    // MARK: - Archive members

    @Test func storedMembersOfAnArchiveAreMapped() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("a.npz")
        let arrays = try NPZTests.allDtypesAndShapes()
        try NPZ.write(arrays, to: url)
        for (name, array) in arrays {
            let mapped = try NPZ.mappedMember(name, contentsOf: url, verifyCRC: true)
            #expect(mapped.isMapped)
            #expect(mapped.shape == array.shape && mapped.dtype == array.dtype)
            #expect(try Self.all(mapped) == array.asDoubles())
            #expect(mapped.source == url.path + ":" + name + ".npy")
        }
        let numpy = try Fixture.url("savez.npz")
        for (name, array) in try NPZTests.savezContents() {
            #expect(try Self.all(try NPZ.mappedMember(name, contentsOf: numpy)) == array.asDoubles())
        }
        let i4 = try NPZ.mappedMember("i4", contentsOf: numpy)
        #expect(try i4.matrix(at: [1]).elements == Array((try Expected.array("i4", [2, 3, 4])).asDoubles()[12...]))
    }

    @Test func deflateMembersAreDecodedWholeWithinTheCap() throws {
        let url = try Fixture.url("savez_compressed.npz")
        for (name, array) in try NPZTests.savezContents() {
            let mapped = try NPZ.mappedMember(name, contentsOf: url)
            #expect(!mapped.isMapped)
            #expect(try Self.all(mapped) == array.asDoubles())
        }
        let error = try #require(npyError { _ = try NPZ.mappedMember("f8", contentsOf: url, maximumSize: 100) })
        #expect(error.code == .tooLarge)
        #expect(error.source == url.path + ":f8.npy")
        #expect(error.message.contains("member 'f8.npy' decompresses to 224 bytes"))
    }

    @Test func memberErrors() throws {
        let savez = try Fixture.url("savez.npz")
        let missing = try #require(npyError { _ = try NPZ.mappedMember("nope", contentsOf: savez) })
        #expect(missing.code == .missingMember)
        #expect(missing.message.contains("'f8', 'i8'"))
        let crc = try #require(npyError { _ = try NPZ.mappedMember("a", contentsOf: try Fixture.url("bad_crc.npz"), verifyCRC: true) })
        #expect(crc.code == .corruptArchive)
        #expect(crc.message.contains("CRC-32 mismatch in member 'a.npy'"))
        // Without verification the damaged element is simply read (the header is intact).
        #expect(try NPZ.mappedMember("a", contentsOf: try Fixture.url("bad_crc.npz")).count == 12)
        #expect(npyError { _ = try NPZ.mappedMember("a", contentsOf: try Fixture.url("truncated.npz")) }?.code == .corruptArchive)
        #expect(npyError { _ = try NPZ.mappedMember("a", contentsOf: try Fixture.url("bzip2.npz")) }?.code == .unsupportedCompression)

        // A member whose .npy header is damaged names the member, with the same code as NPZ.read.
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("bad.npz")
        try ZipArchive.write([("cut.npy", try Fixture.data("f8_3x4.npy").prefix(150))]).write(to: url)
        let cut = try #require(npyError { _ = try NPZ.mappedMember("cut", contentsOf: url) })
        let expected = try #require(npyError { _ = try NPZ.read(member: "cut", contentsOf: url) })
        #expect(cut.code == .truncated && expected.code == .truncated)
        #expect(cut.message == expected.message)
        #expect(cut.source == url.path + ":cut.npy")
    }
}

/// The resident KiB of this process's mappings of `url` (from /proc/self/smaps).
func mappingResidentKiB(of url: URL) -> Int {
    // Foundation stops reading /proc files after the first read; read to the end.
    let fd = open("/proc/self/smaps", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    let text = String(decoding: bytes, as: UTF8.self)
    var total = 0
    var inMapping = false
    for line in text.split(separator: "\n") {
        if let first = line.first, first.isHexDigit, line.contains("-") && line.split(separator: " ").count >= 5 {
            inMapping = line.hasSuffix(url.path)
        } else if inMapping, line.hasPrefix("Rss:") {
            total += Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
    }
    return total
}
