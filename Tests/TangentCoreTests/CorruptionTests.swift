import Foundation
import Testing
@testable import TangentCore

/// One randomly corrupted fixture with numpy's verdict on it (tools/make_corruption_cases.py).
struct CorruptionCase: Sendable, CustomTestStringConvertible {
    let fixture: String
    let index: Int
    /// [offset, new byte]
    let edits: [(Int, UInt8)]
    /// nil when numpy refuses the file; else every array numpy reads (one for a .npy, by member for a .npz).
    let arrays: [String: Expected]?

    struct Expected: Sendable {
        var shape: [Int]
        var dtype: String
        var float64Bits: [Int64]
    }

    var testDescription: String { "\(fixture) #\(index)" }

    func corrupted() throws -> Data {
        var data = try Fixture.data(fixture)
        for (offset, byte) in edits { data[offset] = byte }
        return data
    }

    static func load(_ fixture: String) -> [CorruptionCase] {
        guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil),
              let data = try? Data(contentsOf: folder.appendingPathComponent("corruption/\(fixture).json")),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else { return [] }
        return cases.enumerated().map { index, c in
            let edits = (c["edits"] as? [[Int]] ?? []).map { ($0[0], UInt8($0[1])) }
            let numpy = c["numpy"] as? [String: Any] ?? [:]
            func expected(_ v: [String: Any]) -> Expected {
                Expected(shape: v["shape"] as? [Int] ?? [], dtype: v["dtype"] as? String ?? "",
                         float64Bits: (v["float64_bits"] as? [NSNumber] ?? []).map(\.int64Value))
            }
            var arrays: [String: Expected]? = nil
            if numpy["ok"] as? Bool == true {
                if let members = numpy["members"] as? [String: [String: Any]] {
                    arrays = members.mapValues(expected)
                } else {
                    arrays = ["": expected(numpy)]
                }
            }
            return CorruptionCase(fixture: fixture, index: index, edits: edits, arrays: arrays)
        }
    }
}

/// Reads `data` as Tangent does: one array for a `.npy` (name ""), every member of an `.npz`.
func tangentArrays(_ data: Data, archive: Bool) throws -> [String: NPYArray] {
    archive ? try NPZ.decode(data) : ["": try NPY.decode(data)]
}

/// The numpy dtype string of an array as numpy reports it after a load (`<i4`, `<f8`, `>i4` read as `>i4`, …).
func matchesNumpy(_ array: NPYArray, _ expected: CorruptionCase.Expected) -> Bool {
    // Tangent stores every array little-endian in C order; numpy keeps the file's byte order in the dtype string.
    let kinds: [NPYDType: String] = [.float64: "f8", .float32: "f4", .int64: "i8", .int32: "i4", .uint8: "u1", .bool: "b1"]
    guard let kind = kinds[array.dtype], expected.dtype.hasSuffix(kind) else { return false }
    return array.shape == expected.shape && array.asDoubles().map { Int64(bitPattern: $0.bitPattern) } == expected.float64Bits
}

/// Random corruptions of files numpy writes, each with the outcome numpy gives, and the outcome Tangent must have:
/// - numpy refuses it: Tangent refuses it, with an `NPYError` of the file layer (never a crash, never a silent read);
/// - numpy reads it as an element type Tangent does not support (float16, …): `.unsupportedDType`;
/// - numpy reads it: a `.npy` reads the same (shape, element type and values, NaN bit patterns included); an `.npz`
///   reads the same or is refused as `.corruptArchive`, since Tangent also checks zip fields that Python's zipfile
///   ignores (a STORED member's two sizes, every member's data inside the archive, directory records' lengths).
@Suite("Random corruption: the same verdict as numpy")
struct CorruptionTests {
    static let npy = ["i4_2x3x4.npy", "fortran_i4_2x3x4.npy", "f8_3x4.npy"].flatMap(CorruptionCase.load)
    static let npz = ["savez.npz", "savez_compressed.npz"].flatMap(CorruptionCase.load)
    static let refusals: Set<NPYError.Code> = [.badMagic, .unsupportedVersion, .badHeader, .unsupportedDType, .truncated,
                                                 .shapeMismatch, .corruptArchive, .unsupportedCompression, .missingMember]

    @Test("the reference holds the cases") func counts() {
        #expect(Self.npy.count == 1200 && Self.npz.count == 800)
        #expect(Self.npy.filter { $0.arrays != nil }.count > 100 && Self.npz.filter { $0.arrays != nil }.count > 50)
    }

    @Test(".npy: read what numpy reads, refuse what it refuses", arguments: [0, 1, 2])
    func npyFiles(_ part: Int) throws { try check(Self.npy.filter { $0.index % 3 == part }, archive: false) }

    @Test(".npz: read what numpy reads, refuse what it refuses", arguments: [0, 1])
    func npzFiles(_ part: Int) throws { try check(Self.npz.filter { $0.index % 2 == part }, archive: true) }

    static let supported: Set<String> = ["f8", "f4", "i8", "i4", "u1", "b1"]

    func check(_ cases: [CorruptionCase], archive: Bool) throws {
        for c in cases {
            let unsupported = c.arrays?.values.contains { !Self.supported.contains(String($0.dtype.dropFirst())) } ?? false
            let data = try c.corrupted()
            let result = Result { try tangentArrays(data, archive: archive) }
            switch (result, c.arrays) {
            case let (.success(arrays), expected?):
                #expect(!unsupported, "\(c.testDescription): read an element type numpy reads as unsupported")
                #expect(arrays.keys.sorted() == expected.keys.sorted(), "\(c.testDescription)")
                for (name, array) in arrays {
                    #expect(expected[name].map { matchesNumpy(array, $0) } == true,
                            "\(c.testDescription) \(name): \(array.shape) \(array.dtype) \(array.asDoubles().map { Int64(bitPattern: $0.bitPattern) }) vs numpy \(String(describing: expected[name]))")
                }
            case (.success, nil):
                Issue.record("\(c.testDescription): numpy refuses it but Tangent read it")
            case let (.failure(error), expected):
                let code = (error as? NPYError)?.code
                #expect(code.map(Self.refusals.contains) == true, "\(c.testDescription): \(error)")
                if expected != nil {
                    let allowed: Bool = unsupported ? code == .unsupportedDType : archive && code == .corruptArchive
                    #expect(allowed, "\(c.testDescription): numpy reads it but Tangent refused: \(error)")
                }
            }
        }
    }
}
