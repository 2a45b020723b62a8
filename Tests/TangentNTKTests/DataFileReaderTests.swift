import Foundation
import Testing
import TangentCore
@testable import TangentNTK

/// The formulas of tools/make_data_fixtures.py, which wrote the files in Tests/TangentStagesTests/Fixtures.
enum FixtureValues {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TangentStagesTests/Fixtures")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// x[i, j] = i + j/10, 12 x 3
    static let trainX = Matrix<Double>(rows: 12, columns: 3) { i, j in Double(i) + Double(j) / 10 }
    /// tx[i, j] = 100 + i + j/10, 6 x 3
    static let testX = Matrix<Double>(rows: 6, columns: 3) { i, j in 100 + Double(i) + Double(j) / 10 }
    /// y[i] = i % 3
    static let trainY = (0..<12).map { $0 % 3 }
    /// ty[i] = (i + 1) % 3
    static let testY = (0..<6).map { ($0 + 1) % 3 }
    /// img[n, r, c] = 16n + 4r + c (test: 200 minus that), flattened to n x 16
    static func images(_ n: Int, test: Bool = false) -> Matrix<Double> {
        Matrix(rows: n, columns: 16) { i, k in test ? Double(200 - (16 * i + k)) : Double(16 * i + k) }
    }

    static func column(_ values: [Int]) -> Matrix<Double> {
        Matrix(rows: values.count, columns: 1) { i, _ in Double(values[i]) }
    }
}

/// The error `body` throws, as a `DataFileError` (nil, recorded as a failure, if it throws nothing or another type).
func dataError(_ body: () throws -> Any) -> DataFileError? {
    do {
        _ = try body()
        Issue.record("expected a DataFileError, nothing was thrown")
    } catch let error as DataFileError {
        return error
    } catch {
        Issue.record("expected a DataFileError, got \(type(of: error)): \(error)")
    }
    return nil
}

@Suite("Data file readers: every format loads the values numpy wrote")
struct DataFileReaderTests {
    typealias F = FixtureValues

    func read(_ name: String, member: String? = nil) throws -> LoadedArray {
        try ArrayFileReader.read(path: F.path(name), member: member)
    }

    @Test("formats are told by the file name, .gz included")
    func formats() {
        let cases: [(String, ArrayFileReader.Format?, Bool)] = [
            ("/d/x.npy", .npy, false), ("X.NPZ", .npz, false), ("a/b.csv.gz", .csv, true), ("m.idx", .idx, false),
            ("train-images-idx3-ubyte", .idx, false), ("t10k-labels-idx1-ubyte.gz", .idx, true),
            ("emnist.idx3-ubyte", .idx, false), ("data.idx2", .idx, false), ("x.npy.gz", .npy, true),
            ("notes.txt", nil, false), ("csv", nil, false), ("my-csv", nil, false), ("x.gz", nil, true),
        ]
        for (path, format, gzipped) in cases {
            let found = ArrayFileReader.format(ofPath: path)
            #expect(found?.format == format, "\(path)")
            if format != nil { #expect(found?.gzipped == gzipped, "\(path)") }
        }
    }

    @Test(".npy float64, float32, int64 labels, and uint8 images flattened per sample")
    func npy() throws {
        let x = try read("x_f64.npy")
        #expect(x.matrix == F.trainX && x.shape == [12, 3] && x.dtype == "float64" && !x.isIntegerType)
        let x32 = try read("x_f32.npy")
        #expect(x32.matrix == F.trainX.map { Double(Float($0)) } && x32.dtype == "float32")
        let y = try read("y_int64.npy")
        #expect(y.shape == [12] && y.matrix == F.column(F.trainY) && y.isIntegerType)
        #expect(try y.classIDs() == F.trainY)
        let images = try read("images_u8.npy")
        #expect(images.shape == [12, 4, 4] && images.shapeText == "(12, 4, 4)" && images.matrix == F.images(12))
        let unzipped = try read("x_f64.npy.gz")
        #expect(unzipped.matrix == x.matrix && unzipped.shape == x.shape && unzipped.dtype == x.dtype)
    }

    @Test(".npz: a named member, the only member, and a compressed member")
    func npz() throws {
        let x = try read("data.npz", member: "x_train")
        #expect(x.matrix == F.trainX && x.source == F.path("data.npz") + ":x_train")
        #expect(try read("data.npz", member: "y_test").matrix == F.column(F.testY))
        #expect(try read("data.npz", member: "x_test").matrix == F.testX)
        #expect(try read("single.npz").matrix == F.trainX)
        #expect(try read("single.npz", member: "x").matrix == F.trainX)
    }

    @Test(".npz: several members and no name, or a wrong name, list the members")
    func npzMembers() {
        let several = dataError { try read("data.npz") }
        #expect(several?.code == .missingMember)
        #expect(several?.description.contains("data.npz") == true)
        #expect(several?.message.contains("4 arrays (`x_train`, `y_train`, `x_test`, `y_test`)") == true)
        let wrong = dataError { try read("data.npz", member: "images") }
        #expect(wrong?.code == .missingMember)
        #expect(wrong?.message.contains("no array named `images`; it holds `x_train`") == true)
        let notArchive = dataError { try read("x_f64.npy", member: "x") }
        #expect(notArchive?.code == .unsupportedFormat)
    }

    @Test(".csv with a header, without one (CRLF, blank lines, no final newline), gzipped, and labels")
    func csv() throws {
        let withHeader = try CSVReader.parse(try ArrayFileReader.contents(of: F.path("x_header.csv")),
                                             source: "x_header.csv")
        #expect(withHeader.header == ["a", "b", "c"] && withHeader.matrix == F.trainX)
        let plain = try CSVReader.read(path: F.path("x_noheader.csv"))
        #expect(plain.header == nil && plain.matrix == F.trainX)
        let x = try read("x_header.csv")
        #expect(x.matrix == F.trainX && x.shape == [12, 3] && x.dtype == "text")
        #expect(try read("x_noheader.csv.gz").matrix == F.trainX)
        let labels = try read("y_labels.csv")
        #expect(try labels.classIDs() == F.trainY)
    }

    @Test("CSV details: byte-order mark, quotes, spaces, a header alone, special numbers")
    func csvDetails() throws {
        func parse(_ text: String) throws -> CSVReader.Table { try CSVReader.parse(Data(text.utf8), source: "t.csv") }
        let bom = try CSVReader.parse(Data([0xEF, 0xBB, 0xBF] + Array("\"x, 1\",y\n 1 , \"2\"\n".utf8)), source: "t.csv")
        let row = try Matrix([[1.0, 2.0]])
        #expect(bom.header == ["x, 1", "y"] && bom.matrix == row)
        let headerOnly = try parse("a,b,c\n")
        #expect(headerOnly.matrix.rows == 0 && headerOnly.matrix.columns == 3)
        let special = try parse("1e-3,-inf,+2\n")
        #expect(special.matrix.elements == [0.001, -.infinity, 2])
        let five = try Matrix([[5.0]])
        #expect(try parse("\n\n5\n\n").matrix == five)
        let empty = dataError { try parse(" \n\n") }
        #expect(empty?.code == .corrupt && empty?.message.contains("no rows") == true)
        let blankCell = dataError { try parse("1,2\n3,\n") }
        #expect(blankCell?.code == .notNumeric && blankCell?.message.contains("line 2, column 2: the cell is empty") == true)
        let headerRagged = dataError { try parse("a,b\n1,2,3\n") }
        #expect(headerRagged?.message.contains("line 2 has 3 columns but the header (line 1) has 2") == true)
    }

    @Test("IDX: MNIST images and labels, plain and gzipped")
    func idx() throws {
        let images = try read("train-images-idx3-ubyte")
        #expect(images.shape == [12, 4, 4] && images.dtype == "uint8" && images.matrix == F.images(12))
        let unzipped = try read("train-images-idx3-ubyte.gz")
        #expect(unzipped.matrix == images.matrix && unzipped.shape == images.shape)
        let labels = try read("train-labels-idx1-ubyte")
        #expect(labels.shape == [12])
        #expect(try labels.classIDs() == F.trainY)
        #expect(try read("train-labels-idx1-ubyte.gz").matrix == labels.matrix)
        #expect(try read("t10k-images-idx3-ubyte.gz").matrix == F.images(6, test: true))
        #expect(try read("t10k-labels-idx1-ubyte.gz").classIDs() == F.testY)
    }

    @Test("IDX: every element type, big-endian")
    func idxTypes() throws {
        #expect(try read("values_i1.idx").matrix.elements == [-2, -1, 0, 1, 2])
        #expect(try read("values_i2.idx").matrix.elements == [-300, -150, 0, 150, 300])
        #expect(try read("values_i4.idx").matrix.elements == [-70000, -35000, 0, 35000, 70000])
        let f4 = try read("values_f4.idx")
        #expect(f4.shape == [2, 3] && f4.dtype == "float32" && f4.matrix.elements == [-1, -0.75, -0.5, -0.25, 0, 0.25])
        let f8 = try read("values_f8.idx")
        #expect(f8.dtype == "float64" && f8.matrix.elements == [-1, -0.5, 0, 0.5, 1, 1.5])
        #expect(try read("values_i2.idx").dtype == "int16")
        #expect(try read("values_i1.idx").isIntegerType)
    }

    @Test("gzip: concatenated members decompress to the concatenation; damaged data is an error")
    func gzip() throws {
        let a = try ArrayFileReader.contents(of: F.path("train-labels-idx1-ubyte.gz"))
        let b = try ArrayFileReader.contents(of: F.path("t10k-labels-idx1-ubyte.gz"))
        let both = try Gzip.decompress(a + b + Data([0, 0, 0]), source: "ab.gz")
        #expect(both == (try Gzip.decompress(a, source: "a")) + (try Gzip.decompress(b, source: "b")))
        #expect(both.count == 12 + 8 + 6 + 8)
        // Highly compressed: the whole input is consumed long before the output is all given out.
        let zeros = try ArrayFileReader.read(path: F.path("zeros_u8.npy.gz"))
        #expect(zeros.shape == [50000, 4] && zeros.dtype == "uint8" && zeros.matrix.elements.allSatisfy { $0 == 0 })
        #expect(throws: NPYError.self) { try Gzip.decompress(a + Data("junk".utf8), source: "x.gz") }
        #expect(throws: NPYError.self) { try Gzip.decompress(Data("plain".utf8), source: "x.gz") }
        #expect(throws: NPYError.self) { try Gzip.decompress(Data(), source: "x.gz") }
        #expect(throws: NPYError.self) { try Gzip.decompress(a, source: "x.gz", maximumSize: 10) }
    }
}

@Suite("Data file readers: each malformed file gives its error, naming the file")
struct MalformedDataFileTests {
    typealias F = FixtureValues

    /// The error reading fixture `name`; checks the code and that the message names the file.
    func failure(_ name: String, _ code: DataFileError.Code) -> String {
        guard let error = dataError({ try ArrayFileReader.read(path: F.path(name)) }) else { return "" }
        #expect(error.code == code, "\(name): \(error)")
        #expect(error.description.contains(name), "\(error)")
        return error.description
    }

    @Test("ragged CSV: the line and both column counts")
    func ragged() {
        #expect(failure("ragged.csv", .raggedRows).contains("line 3 has 2 columns but line 1 has 3"))
    }

    @Test("non-numeric CSV cell: the line, the column and the cell's text")
    func nonNumeric() {
        #expect(failure("nonnumeric.csv", .notNumeric).contains("line 4, column 2: `abc` is not a number"))
    }

    @Test("truncated IDX: the declared shape and both byte counts")
    func truncatedIDX() {
        let message = failure("truncated-images-idx3-ubyte", .truncated)
        #expect(message.contains("shape (12, 4, 4) of uint8 = 192 bytes but only 100 bytes follow"))
    }

    @Test("IDX with a bad magic number or an unknown element type")
    func badIDX() {
        #expect(failure("badmagic.idx", .badMagic).contains("starts with 01 02 08 03"))
        #expect(failure("badtype.idx", .unsupportedType).contains("unknown IDX element type 0x0A"))
    }

    @Test("IDX header problems in memory: short file, rank 0, short header, extra bytes, gzip data")
    func idxHeaders() {
        func decode(_ bytes: [UInt8]) -> DataFileError? { dataError { try IDXReader.decode(Data(bytes), source: "m.idx") } }
        #expect(decode([0, 0])?.code == .truncated)
        #expect(decode([0, 0, 8, 0])?.code == .corrupt)
        #expect(decode([0, 0, 8, 2, 0, 0, 0, 1])?.code == .truncated)
        let extra = decode([0, 0, 8, 1, 0, 0, 0, 2, 7, 7, 7])
        #expect(extra?.code == .corrupt && extra?.message.contains("1 extra") == true)
        #expect(decode([0x1F, 0x8B, 8, 0])?.message.contains("gzip") == true)
        let huge = decode([0, 0, 8, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(huge?.code == .corrupt && huge?.message.contains("more data than can exist") == true)
    }

    @Test("shapes too large to be real are errors, not crashes")
    func hugeShape() {
        let error = dataError { try LoadedArray(source: "x.npy", shape: [0, Int.max, 2], dtype: "float64", values: []) }
        #expect(error?.code == .corrupt)
        #expect(dataError { try LoadedArray(source: "x.npy", shape: [], dtype: "float64", values: [1]) }?.code == .shapeMismatch)
    }

    @Test("corrupt and truncated gzip files")
    func badGzip() {
        #expect(failure("corrupt.npy.gz", .corrupt).contains("corrupt gzip data"))
        #expect(failure("truncated.npy.gz", .corrupt).contains("truncated gzip data"))
    }

    @Test("unknown file names and missing files")
    func unknown() {
        #expect(failure("README.md", .unsupportedFormat).contains("cannot tell the file's format"))
        #expect(failure("no-such-file.npy", .io).contains("cannot open the file for reading: No such file or directory"))
    }

    @Test("targets that are not class ids: the first value that is not an integer, or the shape")
    func notClassIDs() throws {
        let halves = try ArrayFileReader.read(path: F.path("y_halves.npy"))
        let error = dataError { try halves.classIDs(role: "train_targets") }
        #expect(error?.code == .notClassIDs)
        #expect(error?.description.contains("y_halves.npy: train_targets row 1 holds 0.5, which is not a class id") == true)
        let matrix = try ArrayFileReader.read(path: F.path("y_regression.npy"))
        let wide = dataError { try matrix.classIDs() }
        #expect(wide?.message.contains("has shape (12, 2), 2 values per row; class ids need one column") == true)
    }
}
