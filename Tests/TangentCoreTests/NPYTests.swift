import Foundation
import Testing
@testable import TangentCore

// MARK: - Shared helpers (also used by NPZTests)

/// Golden files written by tools/make_npy_fixtures.py, located through the test bundle (`Bundle.module`).
enum Fixture {
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return try #require(Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures"),
                            "fixture \(name) is missing; run tools/make_npy_fixtures.py")
    }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }
}

/// The element formulas of tools/make_npy_fixtures.py (`values()`); keep the two in sync.
enum Expected {
    static let dtypeTags = ["f8", "f4", "i8", "i4", "u1", "b1"]
    static let shapeTags = ["scalar", "empty", "5", "3x4", "2x3x4", "1x1"]
    static let shapes: [String: [Int]] = ["scalar": [], "empty": [0], "5": [5], "3x4": [3, 4], "2x3x4": [2, 3, 4],
                                          "1x1": [1, 1]]

    /// f8_special.npy: signed zeros, infinities, NaN, the smallest subnormal, the largest finite value.
    static let specialFloats: [Double] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude,
                                          .greatestFiniteMagnitude, -1e-300]

    static func storage(_ tag: String, count n: Int) -> NPYStorage {
        switch tag {
        case "f8": .float64((0..<n).map { Double($0) * 0.5 - 1.25 })
        case "f4": .float32((0..<n).map { Float($0) * 0.25 - 2.5 })
        case "i8": .int64((0..<n).map { Int64($0) * 3_000_000_007 - 5 })
        case "i4": .int32((0..<n).map { Int32($0) * 100_003 - 7 })
        case "u1": .uint8((0..<n).map { UInt8(($0 * 37 + 3) % 256) })
        default: .bool((0..<n).map { $0 % 3 == 0 })
        }
    }

    static func array(_ tag: String, _ shape: [Int]) throws -> NPYArray {
        try NPYArray(shape: shape, storage: storage(tag, count: shape.reduce(1, *)))
    }
}

/// Runs `body` and returns the `NPYError` it throws (recording an issue if it throws something else).
func npyError(_ body: () throws -> Void) -> NPYError? {
    do {
        try body()
    } catch let error as NPYError {
        return error
    } catch {
        Issue.record("expected NPYError, got \(type(of: error)): \(error)")
    }
    return nil
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("npytests-" + UUID().uuidString)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

// MARK: - Encoding

@Suite("NPY encoding") struct NPYEncodingTests {
    @Test("encode is byte-identical to np.save", arguments: Expected.dtypeTags, Expected.shapeTags)
    func encodeMatchesNumpy(dtype: String, shape: String) throws {
        let array = try Expected.array(dtype, try #require(Expected.shapes[shape]))
        let golden = try Fixture.data("\(dtype)_\(shape).npy")
        #expect(NPY.encode(array) == golden)
    }

    @Test func encodeMatchesNumpyForZeroLeadingAxis() throws {
        #expect(NPY.encode(try Expected.array("f8", [0, 3])) == (try Fixture.data("f8_0x3.npy")))
    }

    /// Headers that need exactly 1 and exactly 64 bytes of padding in numpy: an off-by-one in the growth-axis
    /// spaces or in the alignment rule changes these files' length.
    @Test("encode matches np.save at the padding edge cases", arguments: [
        ("u1_boundary_pad1.npy", [10] + Array(repeating: 1, count: 12) + [10]),
        ("u1_boundary_pad64.npy", [1] + Array(repeating: 1, count: 12) + [100]),
    ])
    func encodeMatchesNumpyAtPaddingEdges(file: String, shape: [Int]) throws {
        let array = try Expected.array("u1", shape)
        let golden = try Fixture.data(file)
        #expect(NPY.encode(array) == golden)
        #expect(try NPY.decode(golden) == array)
    }

    @Test func encodeMatchesNumpyForSpecialFloats() throws {
        #expect(NPY.encode(try NPYArray(Expected.specialFloats, shape: [8])) == (try Fixture.data("f8_special.npy")))
    }

    @Test("header is padded to 64 bytes and ends in a newline",
          arguments: [[], [0], [7], [123_456_789_012], [1, 2, 3, 4, 5, 6, 7, 8], Array(repeating: 1, count: 40)])
    func headerAlignment(shape: [Int]) {
        let header = NPYHeader.encode(dtype: .float32, shape: shape)
        #expect(header.count % 64 == 0)
        #expect(header.last == 0x0A)
        #expect(header[6] == 1 && header[7] == 0)
        #expect(Int(header[8]) | Int(header[9]) << 8 == header.count - 10)
    }

    @Test func hugeHeaderFallsBackToVersion2() throws {
        let shape = Array(repeating: 1, count: 30_000) // header > 65535 bytes
        let header = NPYHeader.encode(dtype: .uint8, shape: shape)
        #expect(header[6] == 2)
        #expect(header.count % 64 == 0)
        let array = try NPYArray([UInt8(9)], shape: shape)
        #expect(try NPY.decode(NPY.encode(array)) == array)
    }
}

// MARK: - Decoding numpy-written files

@Suite("NPY decoding") struct NPYDecodingTests {
    @Test("numpy fixtures decode to the expected values", arguments: Expected.dtypeTags, Expected.shapeTags)
    func fixtureDecodes(dtype: String, shape: String) throws {
        let expected = try Expected.array(dtype, try #require(Expected.shapes[shape]))
        let array = try NPY.read(contentsOf: try Fixture.url("\(dtype)_\(shape).npy"))
        #expect(array == expected)
        #expect(array.dtype.rawValue.hasSuffix(dtype))
        #expect(array.count == (Expected.shapes[shape] ?? []).reduce(1, *))
    }

    @Test func specialFloatsKeepTheirBits() throws {
        let array = try NPY.read(contentsOf: try Fixture.url("f8_special.npy"))
        #expect(try #require(array.doubles).map(\.bitPattern) == Expected.specialFloats.map(\.bitPattern))
    }

    @Test("Fortran-order files are transposed into C order",
          arguments: [("fortran_f8_3x4.npy", "f8", [3, 4]), ("fortran_i4_2x3x4.npy", "i4", [2, 3, 4])])
    func fortranOrder(file: String, dtype: String, shape: [Int]) throws {
        #expect(try NPY.read(contentsOf: try Fixture.url(file)) == (try Expected.array(dtype, shape)))
    }

    @Test func formatVersions2And3() throws {
        #expect(try NPY.read(contentsOf: try Fixture.url("v2_f8_3x4.npy")) == (try Expected.array("f8", [3, 4])))
        #expect(try NPY.read(contentsOf: try Fixture.url("v3_f4_5.npy")) == (try Expected.array("f4", [5])))
    }

    @Test("big-endian files are byte-swapped on load", arguments: ["f8", "f4", "i8", "i4"])
    func bigEndian(dtype: String) throws {
        let array = try NPY.read(contentsOf: try Fixture.url("bigendian_\(dtype)_3x4.npy"))
        #expect(array == (try Expected.array(dtype, [3, 4])))
    }

    @Test func handwrittenHeader() throws {
        #expect(try NPY.read(contentsOf: try Fixture.url("handwritten_header.npy")) == (try Expected.array("i8", [2, 3])))
    }

    /// Builds a version 1.0 file around an arbitrary header dictionary and payload.
    static func npy(header: String, payload: [UInt8], version: UInt8 = 1) -> Data {
        var text = Array(header.utf8)
        let prefix = version == 1 ? 10 : 12
        text += Array(repeating: 0x20, count: (64 - (prefix + text.count + 1) % 64) % 64) + [0x0A]
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0])
        let length = UInt32(text.count)
        data.append(contentsOf: (0..<(prefix - 8)).map { UInt8(truncatingIfNeeded: length >> (8 * UInt32($0))) })
        data.append(contentsOf: text)
        data.append(contentsOf: payload)
        return data
    }

    @Test("header dictionaries are parsed like Python literals", arguments: [
        "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<i4'}",
        "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (2, 3,)}",
        "{ 'descr' :'<i4' ,\n\t'fortran_order':False,'shape':( 2 ,3 ) , }",
        "{'descr': u'<i4', 'fortran_order': False, 'shape': (2L, 3L), }",
        "{'descr': '<i4', 'fortran_order': True, 'shape': (3, 2), 'fortran_order': False, 'shape': ((2, 3)), }",
        "{'descr': '=i4', 'fortran_order': False, 'shape': (2, 3)}",
        "{'descr': 'i4', 'fortran_order': False, 'shape': (2, 3)}",
    ])
    func headerVariants(header: String) throws {
        let payload = (0..<6).flatMap { i in withUnsafeBytes(of: Int32(i).littleEndian, Array.init) }
        let array = try NPY.decode(Self.npy(header: header, payload: payload))
        #expect(array == (try NPYArray([Int32](0..<6), shape: [2, 3])))
    }

    @Test func fortranOrderEdgeCases() throws {
        let scalar = Self.npy(header: "{'descr': '<f8', 'fortran_order': True, 'shape': ()}",
                              payload: withUnsafeBytes(of: 2.5, Array.init))
        #expect(try NPY.decode(scalar) == (try NPYArray([2.5], shape: [])))
        let empty = Self.npy(header: "{'descr': '|u1', 'fortran_order': True, 'shape': (3, 0, 2)}", payload: [])
        #expect(try NPY.decode(empty) == (try NPYArray([UInt8](), shape: [3, 0, 2])))
        let column = Self.npy(header: "{'descr': '|b1', 'fortran_order': True, 'shape': (2, 3)}",
                              payload: [1, 0, 0, 2, 1, 0]) // column-major; 2 is also true
        #expect(try NPY.decode(column) == (try NPYArray([true, false, true, false, true, false], shape: [2, 3])))
    }

    @Test func largeArrayRoundTrips() throws {
        let n = 2048
        let values = [Double](unsafeUninitializedCapacity: n * n) { buffer, count in
            for i in 0..<(n * n) { buffer.initializeElement(at: i, to: Double(i)) }
            count = n * n
        }
        let array = try NPYArray(values, shape: [n, n])
        let encoded = NPY.encode(array)
        let decoded = try NPY.decode(encoded)
        #expect(decoded == array)
        #expect(encoded.count == 128 + n * n * 8)
    }
}

// MARK: - Errors

@Suite("NPY errors") struct NPYErrorTests {
    @Test("malformed fixtures give precise errors", arguments: [
        ("bad_magic.npy", NPYError.Code.badMagic, ["not a .npy file", "89 50 4E 47"]),
        ("truncated_data.npy", .truncated, ["header declares shape (3, 4) of <f8 = 96 bytes but only 40 bytes follow"]),
        ("truncated_header.npy", .truncated, ["truncated header", "118-byte header but only 40 bytes"]),
        ("corrupt_header.npy", .badHeader, ["malformed header", "unexpected name 'Flase'"]),
        ("unsupported_version.npy", .unsupportedVersion, ["version 4.0", "supports 1.0, 2.0 and 3.0"]),
        ("unsupported_dtype_c16.npy", .unsupportedDType, ["'<c16' (complex128)", "Supported dtypes are <f8"]),
        ("unsupported_dtype_U3.npy", .unsupportedDType, ["'<U3' (Unicode string)", "|b1 (bool)"]),
        ("unsupported_dtype_object.npy", .unsupportedDType, ["'|O' (Python objects, stored with pickle)"]),
        ("shape_mismatch.npy", .shapeMismatch, ["shape (2, 3) of <f8 = 48 bytes but 64 bytes follow"]),
    ])
    func malformedFixture(file: String, code: NPYError.Code, facts: [String]) throws {
        let url = try Fixture.url(file)
        let error = try #require(npyError { _ = try NPY.read(contentsOf: url) })
        #expect(error.code == code)
        #expect(error.source == url.path)
        #expect(error.description.hasPrefix(url.path + ": "))
        #expect(error.description.contains(file))
        for fact in facts { #expect(error.message.contains(fact), "message: \(error.message)") }
        #expect(error.location.fileID.hasPrefix("TangentCore/"))
    }

    @Test("bad header dictionaries are badHeader with the problem named", arguments: [
        ("{'descr': '<f8', 'fortran_order': False}", "no 'shape' key"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key 'extra'"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (1)}", "'shape' must be a tuple of integers, not 1"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': [1]}", "'shape' must be a tuple"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}", "negative or too large"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}", "negative or too large"),
        ("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}", "'fortran_order' must be True or False"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (1.5,)}", "only decimal integers"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} x", "unexpected 'x' after"),
        ("{'descr' '<f8'}", "expected ':' after key 'descr'"),
        ("{'descr': '<f8' 'fortran_order': False}", "expected ',' or '}'"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)", "expected ',' or '}'"),
        ("['descr', '<f8']", "not a dictionary"),
        ("{1: 2}", "header key 1 is not a string"),
        ("", "unexpected end of header"),
        (String(repeating: "(", count: 100), "nesting deeper than 32 levels"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4)}", "describes more bytes"),
    ])
    func badHeader(header: String, fact: String) throws {
        let data = NPYDecodingTests.npy(header: header, payload: [])
        let error = try #require(npyError { _ = try NPY.decode(data, source: "h.npy") })
        #expect(error.code == .badHeader)
        #expect(error.message.contains(fact), "message: \(error.message)")
        #expect(error.description.hasPrefix("h.npy: "))
    }

    @Test("unsupported dtypes are named", arguments: [
        ("'<f2'", "'<f2' (16-bit float)"), ("'<i2'", "'<i2' (16-bit signed integer)"),
        ("'<u8'", "'<u8' (64-bit unsigned integer)"), ("'<M8[ns]'", "'<M8[ns]' (datetime64)"),
        ("[('a', '<f8'), ('b', '<i4')]", "structured (record) arrays"), ("'<c999999999999999999'", "'<c999999999999999999' (complex)"),
    ])
    func unsupportedDType(descr: String, fact: String) throws {
        let data = NPYDecodingTests.npy(header: "{'descr': \(descr), 'fortran_order': False, 'shape': (0,)}", payload: [])
        let error = try #require(npyError { _ = try NPY.decode(data) })
        #expect(error.code == .unsupportedDType)
        #expect(error.message.contains(fact), "message: \(error.message)")
        #expect(error.message.contains("Supported dtypes are"))
    }

    @Test func decodesDataSlicesThatDoNotStartAtZero() throws {
        let golden = try Fixture.data("i4_2x3x4.npy")
        let slice = (Data([1, 2, 3]) + golden + Data([4])).dropFirst(3).dropLast()
        #expect(slice.startIndex == 3)
        #expect(try NPY.decode(slice) == (try Expected.array("i4", [2, 3, 4])))
    }

    @Test func emptyAndTinyInputs() throws {
        #expect(npyError { _ = try NPY.decode(Data()) }?.code == .truncated)
        #expect(npyError { _ = try NPY.decode(Data([0x93, 0x4E, 0x55])) }?.code == .truncated)
        #expect(npyError { _ = try NPY.decode(Data("hello".utf8)) }?.code == .badMagic)
        let zip = npyError { _ = try NPY.read(contentsOf: try Fixture.url("savez.npz")) }
        #expect(zip?.code == .badMagic)
        #expect(zip?.message.contains("use NPZ.read") == true)
    }

    @Test func everyTruncationOfAValidFileFails() throws {
        for name in ["f8_3x4.npy", "v2_f8_3x4.npy", "fortran_i4_2x3x4.npy"] {
            let data = try Fixture.data(name)
            for length in 0..<data.count {
                let error = npyError { _ = try NPY.decode(data.prefix(length)) }
                #expect(error?.code == .truncated, "\(name) cut to \(length) bytes: \(String(describing: error))")
            }
        }
    }

    @Test func shapeMismatchOnInit() throws {
        let error = try #require(npyError { _ = try NPYArray([1.0, 2.0, 3.0], shape: [2, 2]) })
        #expect(error.code == .shapeMismatch)
        #expect(error.message.contains("shape (2, 2) needs 4 elements but 3 float64 values were given"))
        #expect(npyError { _ = try NPYArray([Int32](), shape: [-1]) }?.code == .shapeMismatch)
        #expect(npyError { _ = try NPYArray([UInt8](), shape: [Int.max, 2]) }?.code == .shapeMismatch)
    }
}

// MARK: - Round trips, accessors and files

@Suite("NPY round trips and files") struct NPYRoundTripTests {
    @Test("decode(encode(a)) == a", arguments: Expected.dtypeTags,
          [[], [0], [1], [5], [3, 4], [2, 3, 4], [1, 1], [0, 3], [4, 0], [2, 1, 3, 1]])
    func roundTrip(dtype: String, shape: [Int]) throws {
        let array = try Expected.array(dtype, shape)
        let decoded = try NPY.decode(NPY.encode(array))
        #expect(decoded == array)
        #expect(decoded.shape == shape)
        #expect(decoded.dtype == array.dtype)
    }

    @Test func accessorsAndConversions() throws {
        let ints = try NPYArray([Int32(-2), 7], shape: [2])
        #expect(ints.int32s == [-2, 7])
        #expect(ints.doubles == nil && ints.floats == nil && ints.int64s == nil && ints.uint8s == nil && ints.bools == nil)
        #expect(ints.asDoubles() == [-2, 7])
        #expect(try NPYArray([true, false], shape: [2]).asDoubles() == [1, 0])
        #expect(try NPYArray([UInt8(255)], shape: []).asDoubles() == [255])
        #expect(try NPYArray([Float(0.5)], shape: [1, 1]).asDoubles() == [0.5])
        #expect(try NPYArray([Int64(1) << 40], shape: [1]).asDoubles() == [1_099_511_627_776])
        let scalar = try NPYArray([3.0], shape: [])
        #expect(scalar.count == 1 && scalar.doubles == [3] && scalar.dtype == .float64)
        #expect(NPYDType.allCases.map(\.itemSize) == [8, 4, 8, 4, 1, 1])
    }

    @Test func writeThenReadFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("a.npy")
        let array = try Expected.array("i8", [2, 3, 4])
        try NPY.write(array, to: url)
        #expect(try NPY.read(contentsOf: url) == array)
        #expect(try Data(contentsOf: url) == NPY.encode(array))
    }

    @Test func atomicWriteOverwritesAndLeavesNoTemporaryFiles() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("data.npy")
        try Data("old contents, much longer than the new file will be ".utf8 + Data(count: 4096)).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        let array = try Expected.array("f4", [5])
        try NPY.write(array, to: url)
        #expect(try Data(contentsOf: url) == NPY.encode(array))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["data.npy"])
        let permissions = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        try NPY.write(try Expected.array("b1", [2, 2]), to: url)
        #expect(try NPY.read(contentsOf: url) == (try Expected.array("b1", [2, 2])))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["data.npy"])
    }

    @Test func failedWriteLeavesTheDestinationAlone() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("missing-subdirectory/x.npy")
        let error = try #require(npyError { try NPY.write(try Expected.array("f8", [1]), to: url) })
        #expect(error.code == .io)
        #expect(error.description.contains("x.npy"))
        #expect(error.message.contains("No such file or directory"))
        #expect(error.cause is SystemCallError)

        var array = try Expected.array("f8", [4])
        array.shape = [5]
        let inconsistent = try #require(npyError { try NPY.write(array, to: directory.appendingPathComponent("y.npy")) })
        #expect(inconsistent.code == .shapeMismatch)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func readErrorsNameThePath() throws {
        let missing = URL(fileURLWithPath: "/nonexistent-dir/data.npy")
        let error = try #require(npyError { _ = try NPY.read(contentsOf: missing) })
        #expect(error.code == .io)
        #expect(error.description == "/nonexistent-dir/data.npy: cannot open the file for reading: No such file or "
                + "directory. (cause: open failed: No such file or directory (errno 2))")
        let directory = npyError { _ = try NPY.read(contentsOf: FileManager.default.temporaryDirectory) }
        #expect(directory?.code == .io)
        #expect(directory?.message.contains("not a regular file") == true)
    }
}
