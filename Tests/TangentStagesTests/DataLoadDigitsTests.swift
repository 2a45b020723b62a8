import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

/// The shipped digits (data/digits.npz) as the tests read them directly.
enum Digits {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let file = repository.appendingPathComponent("data/digits.npz")
    /// Samples per digit 0..9, as data/README.md lists them.
    static let classCounts = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]

    /// x (1797 rows of 64 values) and the labels, read with TangentCore's NPZ reader.
    static func arrays() throws -> (x: [[Double]], labels: [Int]) {
        let members = try NPZ.read(contentsOf: file)
        let x = try #require(members["x"]), labels = try #require(members["labels"])
        let values = x.asDoubles()
        let rows = (0..<x.shape[0]).map { Array(values[$0 * 64..<($0 + 1) * 64]) }
        return (rows, labels.asDoubles().map { Int($0) })
    }

    /// For each row of `m`, a distinct row of the file with the same values and a class id in `classes` at its
    /// label: fails when there is none left. Returns the file rows used.
    static func match(_ m: Matrix<Double>, labels: [Int], classes: [Int], in file: (x: [[Double]], labels: [Int]),
                      used: inout Set<Int>) -> [Int] {
        var rowsOf: [[Double]: [Int]] = [:]
        for (i, row) in file.x.enumerated() { rowsOf[row, default: []].append(i) }
        var matched: [Int] = []
        for i in 0..<m.rows {
            let values = (0..<m.columns).map { m[i, $0] }
            let candidates = (rowsOf[values] ?? []).filter { !used.contains($0) && file.labels[$0] == classes[labels[i]] }
            guard let row = candidates.first else {
                Issue.record("row \(i) (label \(labels[i])) is not an unused row of class \(classes[labels[i]]) of the file")
                continue
            }
            used.insert(row)
            matched.append(row)
        }
        return matched
    }
}

@Suite("data.load: the shipped digits (dataset: digits)")
struct DataLoadDigitsTests {
    /// The stage decoded with `with` (defaults for the rest), its dataset assembled without validation.
    func run(_ with: [String: Any]) throws -> DatasetArtifact {
        try StageHarness.stage(DataLoadStage.self, parameters: with.mapValues(parameterValue)).assemble(log: { _ in })
    }

    /// The diagnostics of validating (and running) the stage with `with` through the harness.
    func diagnostics(_ with: [String: Any]) -> [Diagnostic] {
        do {
            _ = try StageHarness.run(DataLoadStage.self, parameters: with.mapValues(parameterValue))
            Issue.record("expected validation to fail")
        } catch let error as PipelineError {
            return error.diagnostics
        } catch {
            Issue.record("expected a PipelineError, got \(error)")
        }
        return []
    }

    @Test("data/digits.npz: x uint8 (1797, 64) with values 0..16, labels int64 (1797,), class counts summing to 1797")
    func file() throws {
        let members = try NPZ.read(contentsOf: Digits.file)
        let x = try #require(members["x"]), labels = try #require(members["labels"])
        #expect(x.shape == [1797, 64] && x.dtype.name == "uint8")
        #expect(labels.shape == [1797] && labels.dtype.name == "int64")
        #expect(x.asDoubles().allSatisfy { (0...16).contains($0) })
        let counts = (0..<10).map { k in labels.asDoubles().filter { $0 == Double(k) }.count }
        #expect(counts == Digits.classCounts && counts.reduce(0, +) == 1797)
        // data/README.md records the file's digest.
        let readme = try String(contentsOf: Digits.repository.appendingPathComponent("data/README.md"), encoding: .utf8)
        #expect(readme.contains(try SHA256Sum.hexOfFile(at: Digits.file)))
    }

    @Test("classes [3, 8], per_class 40, test_per_class 60: shapes, disjoint rows of the file with the right labels")
    func split() throws {
        let artifact = try StageHarness.run(DataLoadStage.self, parameters: [
            "dataset": .string("digits"), "classes": .list([.int(3), .int(8)]), "per_class": .int(40),
            "test_per_class": .int(60), "encoding": .string("onehot"),
        ])
        let d = artifact.dataset
        #expect(d.trainInputs.rows == 80 && d.trainInputs.columns == 64)
        #expect(d.testInputs.rows == 120 && d.testInputs.columns == 64)
        let trainLabels = try #require(d.trainLabels), testLabels = try #require(d.testLabels)
        #expect(trainLabels.filter { $0 == 0 }.count == 40 && trainLabels.filter { $0 == 1 }.count == 40)
        #expect(testLabels.filter { $0 == 0 }.count == 60 && testLabels.filter { $0 == 1 }.count == 60)
        #expect(d.trainTargets == (try TargetEncoding.onehot.encode(trainLabels, classCount: 2)))
        let file = try Digits.arrays()
        var used = Set<Int>()
        let trainRows = Digits.match(d.trainInputs, labels: trainLabels, classes: [3, 8], in: file, used: &used)
        let testRows = Digits.match(d.testInputs, labels: testLabels, classes: [3, 8], in: file, used: &used)
        #expect(trainRows.count == 80 && testRows.count == 120 && used.count == 200)
        // summary.json: the data set, the file's digest, the split seed and the counts.
        let summary = artifact.summary
        #expect(summary["dataset"] == .string("digits"))
        #expect(summary["sha256"] == .string(try SHA256Sum.hexOfFile(at: Digits.file)))
        #expect(summary["path"]?.stringValue?.hasSuffix("data/digits.npz") == true)
        #expect(summary["split_seed"] == .int(0))
        #expect(summary["classes"] == .list([.int(3), .int(8)]))
        #expect(summary["available_class_counts"] == .list([.int(183), .int(174)]))
        #expect(summary["train_class_counts"] == .list([.int(40), .int(40)]))
        #expect(summary["test_class_counts"] == .list([.int(60), .int(60)]))
    }

    @Test("the same split_seed gives the same split, another seed another; the run's seed does not matter")
    func seeds() throws {
        let base: [String: Any] = ["dataset": "digits", "classes": [3, 8], "per_class": 40, "test_per_class": 60]
        let a = try run(base).dataset
        let b = try run(base).dataset
        var other = base
        other["split_seed"] = 1
        let c = try run(other).dataset
        #expect(a.trainInputs == b.trainInputs && a.testInputs == b.testInputs && a.trainLabels == b.trainLabels)
        #expect(a.trainInputs != c.trainInputs && a.testInputs != c.testInputs)
        let seeded = try StageHarness.run(DataLoadStage.self, parameters: base.mapValues(parameterValue), seed: 7).dataset
        #expect(seeded.trainInputs == a.trainInputs && seeded.testInputs == a.testInputs)
    }

    @Test("a class's split depends on split_seed and its own id only, not on the other classes or their order")
    func classIndependence() throws {
        let ids = try Digits.arrays().labels
        let pair = ClassSelection(classes: [3, 8]).split(ids, seed: 5, perClass: 40, testPerClass: 60)
        let three = ClassSelection(classes: [8, 1, 3]).split(ids, seed: 5, perClass: 40, testPerClass: 60)
        let rowsOf3 = { (rows: [Int]) in rows.filter { ids[$0] == 3 } }
        #expect(rowsOf3(pair.train.rows) == rowsOf3(three.train.rows) && rowsOf3(pair.test.rows) == rowsOf3(three.test.rows))
        #expect(Set(pair.train.rows).isDisjoint(with: pair.test.rows))
        #expect(pair.train.rows == pair.train.rows.sorted() && pair.train.counts == [40, 40])
        #expect(three.train.labels == three.train.rows.map { [8, 1, 3].firstIndex(of: ids[$0])! })
        // The permutation is a permutation of the class's rows.
        let shuffled = ClassSelection.shuffledRows(ofClass: 3, in: ids, seed: 5)
        #expect(shuffled.sorted() == ids.indices.filter { ids[$0] == 3 } && shuffled != shuffled.sorted())
    }

    @Test("encoding plusminus with classes [3, 8]: one column, -1 for 3 and +1 for 8; scale divides by 16")
    func plusminus() throws {
        let artifact = try run(["dataset": "digits", "classes": [3, 8], "per_class": 40, "test_per_class": 60,
                                "encoding": "plusminus", "normalize": "scale"])
        let d = artifact.dataset
        #expect(d.trainTargets.columns == 1 && d.testTargets.columns == 1)
        #expect(d.trainTargets.elements == (d.trainLabels ?? []).map { $0 == 0 ? -1 : 1 })
        #expect(d.testTargets.elements == (d.testLabels ?? []).map { $0 == 0 ? -1 : 1 })
        #expect(Set(d.trainTargets.elements) == [-1, 1])
        #expect(artifact.summary["scale"] == .double(16) && d.trainInputs.elements.max() == 1)
    }

    @Test("without per_class: half of each class (rounded down) to train, the rest to test; encoding none gives the ids")
    func defaults() throws {
        let artifact = try run(["dataset": "digits", "classes": [8, 3]])
        #expect(artifact.summary["train_class_counts"] == .list([.int(87), .int(91)]))
        #expect(artifact.summary["test_class_counts"] == .list([.int(87), .int(92)]))
        let d = artifact.dataset
        #expect(d.trainCount == 178 && d.testCount == 179)
        #expect(d.trainTargets.elements == (d.trainLabels ?? []).map { $0 == 0 ? 8 : 3 })
        let all = try run(["dataset": "digits"])
        #expect(all.dataset.trainCount + all.dataset.testCount == 1797)
        #expect(all.summary["classes"] == .list((0..<10).map(Value.int)))
    }

    @Test("too large per_class, or per_class + test_per_class: a validation error at the field, with the counts")
    func tooLarge() throws {
        let perClass = diagnostics(["dataset": "digits", "classes": [3, 8], "per_class": 180])
        let d = try #require(perClass.first)
        #expect(perClass.count == 1 && d.field == "with.per_class")
        #expect(d.message.contains("per_class is 180 but digits (") && d.message.contains("(class 8: 174)"))
        #expect(d.suggestion?.contains("lower per_class to at most 174") == true)
        let sum = diagnostics(["dataset": "digits", "classes": [3, 8], "per_class": 100, "test_per_class": 80])
        let s = try #require(sum.first)
        #expect(sum.count == 1 && s.field == "with.test_per_class")
        #expect(s.message.contains("per_class 100 + test_per_class 80 = 180 is more than digits (")
                && s.message.contains("(class 8: 174)"))
        #expect(s.suggestion?.contains("lower test_per_class to at most 74") == true)
        let unknown = diagnostics(["dataset": "digits", "classes": [3, 12]])
        #expect(unknown.first?.field == "with.classes" && unknown.first?.message.contains("classes asks for 12") == true)
        let single = diagnostics(["dataset": "digits", "classes": [3], "encoding": "plusminus"])
        #expect(single.first?.field == "with.classes" && single.first?.message.contains("single class (3)") == true)
        // Without validation the stage throws the same problem, remedy included.
        #expect(throws: DataFileError.self) { try run(["dataset": "digits", "classes": [3, 8], "per_class": 180]) }
    }

    @Test("dataset with train_inputs (or any file parameter) is an error; neither dataset nor files is an error")
    func exactlyOneSource() throws {
        let fixture = try LoadFixtures.path("x_f64.npy")
        let both = diagnostics(["dataset": "digits", "train_inputs": fixture, "test_targets_key": "y"])
        #expect(both.map(\.field) == ["with.train_inputs", "with.test_targets_key"])
        #expect(both.first?.message.contains("train_inputs cannot be given with dataset: digits") == true)
        #expect(both.first?.suggestion == "remove train_inputs, or remove dataset to load your own files")
        let neither = diagnostics([:])
        #expect(neither.count == 1 && neither.first?.field == "with.train_inputs")
        #expect(neither.first?.suggestion == "set dataset: digits, or give train_inputs and train_targets")
        let half = diagnostics(["train_inputs": fixture])
        #expect(half.first?.field == "with.train_targets")
        #expect(throws: DataFileError.self) { try run(["dataset": "digits", "train_inputs": fixture]) }
    }

    @Test("through a pipeline file: dataset: digits validates, runs and writes summary.json")
    func pipeline() throws {
        let text = """
            pipeline: digits
            stages:
              data: { use: data.load, with: { dataset: digits, classes: [3, 8], per_class: 10, test_per_class: 20, split_seed: 3 } }
            """
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-digits-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipeline = try PipelineLoader.load(text: text, file: folder.appendingPathComponent("p.yaml").path,
                                               registry: StageRegistry(BuiltinStages.all))
        let result = try PipelineRunner(options: RunOptions(outputDirectory: folder, progress: SilentProgress())).run(pipeline)
        let artifact = try datasetOf(try #require(result.artifacts["data"]))
        #expect(artifact.trainCount == 20 && artifact.testCount == 40)
        let summary = try JSONReader.parse(try Data(contentsOf: folder.appendingPathComponent("data/summary.json")))
        #expect(summary["dataset"] == .string("digits") && summary["split_seed"] == .int(3))
        #expect(summary["sha256"] == .string(try SHA256Sum.hexOfFile(at: Digits.file)))
        #expect(summary["test_class_counts"] == .list([.int(20), .int(20)]))
    }
}

@Suite("ShippedData: where a shipped data set is looked for")
struct ShippedDataTests {
    /// A temporary folder with `data/digits.npz` (a copy) under `root/a`, removed by the caller.
    func tree() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tangent-shipped-\(UUID().uuidString)")
        let data = root.appendingPathComponent("a/data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a/b/c"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Digits.file, to: data.appendingPathComponent("digits.npz"))
        return root
    }

    @Test("$TANGENT_DATA first, then data/ in the current directory's parents, then in the executable's")
    func order() throws {
        let root = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let inA = root.appendingPathComponent("a/data/digits.npz").path
        // From a subfolder: found in a parent.
        let fromCwd = ShippedData(dataDirectory: nil, currentDirectory: root.appendingPathComponent("a/b/c").path,
                                  executable: nil)
        #expect(try fromCwd.locate(.digits) == inA)
        // Beside (above) the executable, when the current directory has none.
        let fromExe = ShippedData(dataDirectory: nil, currentDirectory: "/", executable: root.appendingPathComponent("a/b/c/tangent").path)
        #expect(try fromExe.locate(.digits) == inA)
        // $TANGENT_DATA wins.
        let env = root.appendingPathComponent("env")
        try FileManager.default.createDirectory(at: env, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Digits.file, to: env.appendingPathComponent("digits.npz"))
        let fromEnv = ShippedData(dataDirectory: env.path, currentDirectory: root.appendingPathComponent("a/b").path,
                                  executable: nil)
        #expect(try fromEnv.locate(.digits) == env.appendingPathComponent("digits.npz").path)
        #expect(fromEnv.candidates(for: .digits).first == env.appendingPathComponent("digits.npz").path)
        // A directory of that name is not the file.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a/b/data/digits.npz"),
                                                withIntermediateDirectories: true)
        #expect(try fromCwd.locate(.digits) == inA)
    }

    @Test("not found: the error names every place searched and the remedy")
    func notFound() throws {
        let root = try tree()
        defer { try? FileManager.default.removeItem(at: root) }
        let empty = root.appendingPathComponent("a/b/c").path
        let missing = ShippedData(dataDirectory: root.appendingPathComponent("nowhere").path, currentDirectory: "/",
                                  executable: "/usr/bin/tangent")
        do {
            _ = try missing.locate(.digits)
            Issue.record("expected an error")
        } catch let error as DataFileError {
            #expect(error.code == .missingData)
            #expect(error.message.contains("the shipped data set `digits` (digits.npz) was not found"))
            #expect(error.message.contains(root.appendingPathComponent("nowhere/digits.npz").path + " ($TANGENT_DATA)"))
            #expect(error.message.contains("data/digits.npz in / and each of its parents"))
            #expect(error.message.contains("data/digits.npz in /usr/bin (the executable's folder) and each of its parents"))
            #expect(error.message.contains("Set TANGENT_DATA to the folder that holds digits.npz"))
        }
        let unset = ShippedData(dataDirectory: nil, currentDirectory: empty, executable: nil)
        #expect(unset.candidates(for: .digits).contains(root.appendingPathComponent("a/data/digits.npz").path))
        let none = ShippedData(dataDirectory: "", currentDirectory: "/", executable: nil)
        #expect(throws: DataFileError.self) { try none.locate(.digits) }
    }
}
