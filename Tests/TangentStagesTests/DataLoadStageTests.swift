import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

/// The fixtures written by tools/make_data_fixtures.py and the values its formulas give.
enum LoadFixtures {
    static func folder() throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    }

    static func path(_ name: String) throws -> String { try folder().appendingPathComponent(name).path }

    /// x[i, j] = i + j/10 (12 x 3); test: 100 + i + j/10 (6 x 3)
    static func trainX(_ rows: [Int] = Array(0..<12)) -> Matrix<Double> {
        Matrix(rows: rows.count, columns: 3) { k, j in Double(rows[k]) + Double(j) / 10 }
    }
    static func testX(_ rows: [Int] = Array(0..<6)) -> Matrix<Double> {
        Matrix(rows: rows.count, columns: 3) { k, j in 100 + Double(rows[k]) + Double(j) / 10 }
    }
    /// Class ids: train i % 3, test (i + 1) % 3
    static let trainIDs = (0..<12).map { $0 % 3 }
    static let testIDs = (0..<6).map { ($0 + 1) % 3 }
    /// img[n] = 16n + k for pixel k (test: 200 minus that), rows `rows`, divided by `scale`
    static func images(_ rows: [Int], test: Bool = false, scale: Double = 1) -> Matrix<Double> {
        Matrix(rows: rows.count, columns: 16) { i, k in
            (test ? Double(200 - (16 * rows[i] + k)) : Double(16 * rows[i] + k)) / scale
        }
    }
}

/// A parameter value written in a test: a `Value`, a `String`, an `Int` or an `[Int]`.
func parameterValue(_ x: Any) -> Value {
    switch x {
    case let v as Value: v
    case let s as String: .string(s)
    case let i as Int: .int(i)
    case let l as [Int]: .list(l.map(Value.int))
    default: .null
    }
}

@Suite("data.load: formats, classes, encodings and normalization")
struct DataLoadStageTests {
    typealias F = LoadFixtures

    /// Runs the stage directly; `with` holds fixture names for path parameters and values for the others.
    func run(_ with: [String: Any]) throws -> DatasetArtifact {
        var values: [String: Value] = [:]
        for p in DataLoadStage.parameters { values[p.name] = p.defaultValue ?? .null }
        for (name, value) in with {
            let isPath = ["train_inputs", "train_targets", "test_inputs", "test_targets"].contains(name)
            let value = parameterValue(value)
            if isPath, let file = value.stringValue, !file.hasPrefix("/") {
                values[name] = .string(try F.path(file))
            } else {
                values[name] = value
            }
        }
        return try StageHarness.stage(DataLoadStage.self, parameters: values).assemble(log: { _ in })
    }

    func dataset(_ with: [String: Any]) throws -> Dataset { try run(with).dataset }

    /// Runs a pipeline file from the fixtures through the loader and runner, into a fresh folder.
    func runPipeline(_ name: String) throws -> Table {
        let registry = StageRegistry(BuiltinStages.all)
        let pipeline = try PipelineLoader.load(file: try F.path(name), registry: registry)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-load-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try PipelineRunner(options: RunOptions(outputDirectory: out, progress: SilentProgress())).run(pipeline)
        for file in ["train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy", "train_labels.npy", "summary.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("data/\(file)").path), "\(file)")
        }
        return try #require(result.artifacts["data"])
    }

    /// The error of running the stage with `with`, as text.
    func failure(_ with: [String: Any], code: DataFileError.Code) -> String {
        do {
            _ = try run(with)
            Issue.record("expected an error")
        } catch let error as DataFileError {
            #expect(error.code == code, "\(error)")
            return error.description
        } catch {
            Issue.record("expected a DataFileError, got \(error)")
        }
        return ""
    }

    @Test("every supported format loads the same train split", arguments: [
        ("x_f64.npy", nil, "y_int64.npy", nil), ("x_f32.npy", nil, "y_int64.npy", nil),
        ("x_f64.npy.gz", nil, "y_labels.csv", nil), ("x_header.csv", nil, "y_int64.npy", nil),
        ("x_noheader.csv.gz", nil, "y_labels.csv", nil), ("data.npz", "x_train", "data.npz", "y_train"),
        ("single.npz", nil, "y_int64.npy", nil),
    ] as [(String, String?, String, String?)])
    func formats(inputs: String, inputsKey: String?, targets: String, targetsKey: String?) throws {
        let d = try dataset(["train_inputs": inputs, "train_targets": targets,
                             "train_inputs_key": inputsKey.map(Value.string) ?? .null,
                             "train_targets_key": targetsKey.map(Value.string) ?? .null, "encoding": "onehot"])
        let expected = inputs == "x_f32.npy" ? F.trainX().map { Double(Float($0)) } : F.trainX()
        #expect(d.trainInputs == expected)
        #expect(d.trainLabels == F.trainIDs)
        #expect(d.trainTargets == (try TargetEncoding.onehot.encode(F.trainIDs, classCount: 3)))
        #expect(!d.hasTest)
    }

    @Test("MNIST-style IDX (gzipped) through a pipeline: classes [2, 0], per_class 3, plusminus, scale")
    func idxPipeline() throws {
        let artifact = try runPipeline("load_idx.yaml")
        let d = try datasetOf(artifact)
        // Train ids i % 3: the first three of class 2 and of class 0, in file order.
        let trainRows = [0, 2, 3, 5, 6, 8]
        let max = Double(16 * 8 + 15)  // the largest pixel of the kept train images
        #expect(d.trainInputs == F.images(trainRows, scale: max))
        #expect(d.trainLabels == [1, 0, 1, 0, 1, 0])  // class 2 is label 0, class 0 is label 1
        #expect(d.trainTargets.elements == [1, -1, 1, -1, 1, -1])
        // Test ids (i + 1) % 3 = 1, 2, 0, 1, 2, 0: class 1 is dropped; scaled by the train maximum.
        #expect(d.testInputs == F.images([1, 2, 4, 5], test: true, scale: max))
        #expect(d.testLabels == [0, 1, 0, 1])
        #expect(artifact.summary["classes"] == .list([.int(2), .int(0)]))
        #expect(artifact.summary["class_count"] == .int(2))
        #expect(artifact.summary["train_class_counts"] == .list([.int(3), .int(3)]))
        #expect(artifact.summary["test_class_counts"] == .list([.int(2), .int(2)]))
        #expect(artifact.summary["scale"] == .double(max))
        #expect(artifact.summary["sources"]?["train_inputs"]?.stringValue?.hasSuffix("train-images-idx3-ubyte.gz") == true)
        #expect(artifact.summary["shapes"]?["train_inputs"] == .list([.int(12), .int(4), .int(4)]))
    }

    @Test(".npz members through a pipeline: onehot, standardize with the train statistics applied to test")
    func npzPipeline() throws {
        let artifact = try runPipeline("load_npz.yaml")
        let d = try datasetOf(artifact)
        // Column j of x is i + j/10 for i = 0..11: mean 5.5 + j/10, population std sqrt(143/12).
        let std = (143.0 / 12).squareRoot()
        for i in 0..<12 { for j in 0..<3 { #expect(abs(d.trainInputs[i, j] - (Double(i) - 5.5) / std) < 1e-12) } }
        for i in 0..<6 { for j in 0..<3 { #expect(abs(d.testInputs[i, j] - (94.5 + Double(i)) / std) < 1e-12) } }
        #expect(d.trainTargets == (try TargetEncoding.onehot.encode(F.trainIDs, classCount: 3)))
        #expect(d.testTargets == (try TargetEncoding.onehot.encode(F.testIDs, classCount: 3)))
        let shift = try artifact.array("input_shift").asDoubles()
        let divisor = try artifact.array("input_divisor").asDoubles()
        for j in 0..<3 {
            #expect(abs(shift[j] - (5.5 + Double(j) / 10)) < 1e-12)
            #expect(abs(divisor[j] - std) < 1e-12)
        }
        #expect(artifact.summary["sources"]?["test_targets"]?.stringValue?.hasSuffix("data.npz:y_test") == true)
    }

    @Test("each encoding of class ids", arguments: ["none", "onehot", "plusminus", "zeroone"])
    func encodings(encoding: String) throws {
        let d = try dataset(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy",
                             "test_inputs": "test_x_f64.npy", "test_targets": "test_y_int64.npy",
                             "encoding": encoding])
        #expect(d.trainInputs == F.trainX() && d.testInputs == F.testX())
        if let kind = TargetEncoding(rawValue: encoding) {
            #expect(d.trainTargets == (try kind.encode(F.trainIDs, classCount: 3)))
            #expect(d.testTargets == (try kind.encode(F.testIDs, classCount: 3)))
            #expect(d.trainLabels == F.trainIDs && d.testLabels == F.testIDs)
        } else {
            #expect(d.trainTargets.elements == F.trainIDs.map(Double.init))
            #expect(d.trainLabels == nil && d.testLabels == nil)
        }
    }

    @Test("two classes give one plusminus column; a class subset is relabelled in the given order")
    func binary() throws {
        let d = try dataset(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy",
                             "classes": [1, 0], "encoding": "plusminus"])
        let rows = F.trainIDs.indices.filter { F.trainIDs[$0] != 2 }
        #expect(d.trainInputs == F.trainX(rows))
        #expect(d.trainLabels == rows.map { F.trainIDs[$0] == 1 ? 0 : 1 })
        #expect(d.trainTargets.columns == 1)
        #expect(d.trainTargets.elements == rows.map { F.trainIDs[$0] == 1 ? -1 : 1 })
    }

    @Test("per_class keeps the first samples of each class in file order; test_per_class thins the test split")
    func perClass() throws {
        let artifact = try run(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy",
                                "test_inputs": "test_x_f64.npy", "test_targets": "test_y_int64.npy",
                                "per_class": 2, "test_per_class": 1, "encoding": "zeroone"])
        let d = artifact.dataset
        #expect(d.trainInputs == F.trainX([0, 1, 2, 3, 4, 5]) && d.trainLabels == [0, 1, 2, 0, 1, 2])
        #expect(d.testInputs == F.testX([0, 1, 2]) && d.testLabels == [1, 2, 0])
        #expect(artifact.summary["train_class_counts"] == .list([.int(2), .int(2), .int(2)]))
        #expect(artifact.summary["test_class_counts"] == .list([.int(1), .int(1), .int(1)]))
    }

    @Test("encoding none with classes keeps the targets as given and still outputs labels")
    func noneWithClasses() throws {
        let d = try dataset(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy", "classes": [1],
                             "per_class": 2])
        #expect(d.trainInputs == F.trainX([1, 4]))
        #expect(d.trainTargets.elements == [1, 1] && d.trainLabels == [0, 0])
    }

    @Test("targets used as given: a matrix of outputs, no labels")
    func regression() throws {
        let d = try dataset(["train_inputs": "x_f64.npy", "train_targets": "y_regression.npy", "normalize": "scale"])
        #expect(d.trainTargets == Matrix(rows: 12, columns: 2) { i, k in k == 0 ? Double(i) * 0.5 : -Double(i) })
        #expect(d.trainInputs == F.trainX().map { $0 / 11.2 } && d.trainLabels == nil)
    }

    @Test("scale divides test inputs by the train maximum; standardize centres constant features")
    func normalization() throws {
        let d = try dataset(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy", "test_inputs": "test_x_f64.npy",
                             "test_targets": "test_y_int64.npy", "normalize": "scale"])
        #expect(d.testInputs == F.testX().map { $0 / 11.2 })
        let constant = try Matrix<Double>(rows: 3, columns: 2, elements: [7, 1, 7, 2, 7, 3])
        let scaling = FeatureScaling.standardize(fittedOn: constant)
        #expect(scaling.apply(constant).column(0) == [0, 0, 0])
        #expect(scaling.divisor[0] == 1 && abs(scaling.apply(constant)[2, 1] - 1.5.squareRoot()) < 1e-12)
    }
}

@Suite("data.load: mismatched files are errors that name both files and shapes")
struct DataLoadStageErrorTests {
    typealias F = LoadFixtures

    func failure(_ with: [String: Any], code: DataFileError.Code) -> String {
        DataLoadStageTests().failure(with, code: code)
    }

    @Test("inputs with a NaN are refused, naming the file and the position")
    func nonFinite() throws {
        let message = failure(["train_inputs": "x_nan.csv", "train_targets": "y_int64.npy"], code: .notNumeric)
        #expect(message.contains("train_inputs (\(try F.path("x_nan.csv"))) has a non-finite value nan at (4, 2)"))
        #expect(message.contains("clean or drop those samples"))
    }

    @Test("targets with another row count than the inputs")
    func rowCount() throws {
        let message = failure(["train_inputs": "x_f64.npy", "train_targets": "y_short.npy"], code: .shapeMismatch)
        #expect(message == "train_targets (\(try F.path("y_short.npy"))) has 11 rows (shape (11,)) but train_inputs "
                + "(\(try F.path("x_f64.npy"))) has 12 (shape (12, 3)): each input row needs one target row")
    }

    @Test("test inputs with another feature count than the train inputs")
    func featureCount() throws {
        let message = failure(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy",
                               "test_inputs": "test_x_wide.npy", "test_targets": "test_y_int64.npy"], code: .shapeMismatch)
        #expect(message == "test_inputs (\(try F.path("test_x_wide.npy"))) has 4 features per row (shape (6, 4)) but "
                + "train_inputs (\(try F.path("x_f64.npy"))) has 3 (shape (12, 3)): test inputs need the train inputs' "
                + "features")
    }

    @Test("test targets with another output count than the train targets, used as given")
    func outputCount() throws {
        let message = failure(["train_inputs": "x_f64.npy", "train_targets": "y_regression.npy",
                               "test_inputs": "test_x_f64.npy", "test_targets": "test_y_int64.npy"], code: .shapeMismatch)
        #expect(message.contains("test_targets (\(try F.path("test_y_int64.npy"))) has 1 value per row (shape (6,)) but "
                                 + "train_targets (\(try F.path("y_regression.npy"))) has 2 (shape (12, 2))"))
    }

    @Test("a class id that the train targets lack: say which ids exist")
    func unknownClass() throws {
        let message = failure(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy", "classes": [0, 7]],
                              code: .classSelection)
        #expect(message == "classes asks for 7, which train_targets (\(try F.path("y_int64.npy"))) does not contain; "
                + "its class ids are 0, 1, 2")
        let repeated = failure(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy", "classes": [1, 1]],
                               code: .classSelection)
        #expect(repeated.contains("classes lists 1 more than once"))
    }

    @Test("an encoding of targets that are not integers: the file and the first offending value")
    func notIntegral() throws {
        let message = failure(["train_inputs": "x_f64.npy", "train_targets": "y_halves.npy", "encoding": "onehot"],
                              code: .notClassIDs)
        #expect(message.hasPrefix("\(try F.path("y_halves.npy")): train_targets row 1 holds 0.5, which is not a class id"))
    }

    @Test("per_class larger than a class")
    func tooFew() throws {
        let message = failure(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy", "per_class": 5],
                              code: .classSelection)
        #expect(message.contains("per_class is 5 but train_targets (\(try F.path("y_int64.npy"))) has fewer samples of "
                                 + "some classes (class 0: 4, class 1: 4, class 2: 4)"))
    }

    @Test("test classes that the train split lacks, unless classes leaves them out")
    func testOnlyClass() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let testY = folder.appendingPathComponent("test_y.npy")
        try NPY.write(try NPYArray([0, 1, 5, 2, 0, 1] as [Int64], shape: [6]), to: testY)
        let with: [String: Any] = ["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy",
                                     "test_inputs": "test_x_f64.npy", "test_targets": testY.path,
                                     "encoding": "onehot"]
        let message = failure(with, code: .classSelection)
        #expect(message.contains("test_targets (\(testY.path)) has class id 5 (row 2), which train_targets"))
        var subset = with
        subset["classes"] = [0, 1]
        let d = try DataLoadStageTests().run(subset).dataset
        #expect(d.testLabels == [0, 1, 0, 1] && d.testInputs == F.testX([0, 1, 4, 5]))
    }

    @Test("test inputs without test targets")
    func halfTest() {
        let message = failure(["train_inputs": "x_f64.npy", "train_targets": "y_int64.npy",
                               "test_inputs": "test_x_f64.npy"], code: .missingData)
        #expect(message.contains("test_inputs is set but test_targets is not"))
    }

    @Test("an .npz with several arrays and no key names the key parameter; a key on a .npy is an error")
    func npzKeys() {
        let message = failure(["train_inputs": "data.npz", "train_targets": "y_int64.npy"], code: .missingMember)
        #expect(message.contains("train_inputs: the archive holds 4 arrays (`x_train`, `y_train`, `x_test`, `y_test`)"))
        #expect(message.hasSuffix("; name one of them in `train_inputs_key`"))
        let wrongKey = failure(["train_inputs": "x_f64.npy", "train_inputs_key": "x", "train_targets": "y_int64.npy"],
                               code: .unsupportedFormat)
        #expect(wrongKey.hasSuffix("remove `train_inputs_key`"))
    }

    @Test("malformed files stop the stage with the reader's error", arguments: [
        ("ragged.csv", DataFileError.Code.raggedRows), ("nonnumeric.csv", .notNumeric),
        ("truncated-images-idx3-ubyte", .truncated), ("badmagic.idx", .badMagic), ("corrupt.npy.gz", .corrupt),
    ])
    func malformed(file: String, code: DataFileError.Code) {
        let message = failure(["train_inputs": file, "train_targets": "y_int64.npy"], code: code)
        #expect(message.contains(file))
    }

    @Test("through the runner, validation names the parameter and keeps the reader's message")
    func runnerError() throws {
        let folder = try F.folder()
        let text = """
            pipeline: bad
            stages:
              data: { use: data.load, with: { train_inputs: x_f64.npy, train_targets: y_short.npy } }
            """
        let pipeline = try PipelineLoader.load(text: text, file: folder.appendingPathComponent("bad.yaml").path,
                                               registry: StageRegistry(BuiltinStages.all))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-load-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        do {
            _ = try PipelineRunner(options: RunOptions(outputDirectory: out, progress: SilentProgress())).run(pipeline)
            Issue.record("expected validation to refuse the pipeline")
        } catch let error as PipelineError {
            // Validation reads the files: the problem is reported before any stage runs, at the parameter.
            #expect(error.code == .invalidPipeline)
            let d = try #require(error.diagnostics.first)
            #expect(d.field == "stages.data.with.train_targets")
            #expect(d.message.contains("y_short.npy) has 11 rows (shape (11,)) but train_inputs"))
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }
}
