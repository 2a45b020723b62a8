import TangentCore
import TangentNTK
import TangentPipeline

/// What validation knows of a dataset: its sizes.
public struct DatasetShape: Sendable, Equatable {
    /// P, P_test, D, C.
    public var train: Int
    public var test: Int
    public var inputDim: Int
    public var outputs: Int
    /// Whether the dataset carries class labels.
    public var labels: Bool

    public init(train: Int, test: Int, inputDim: Int, outputs: Int, labels: Bool) {
        self.train = train
        self.test = test
        self.inputDim = inputDim
        self.outputs = outputs
        self.labels = labels
    }

    /// Bytes of the float64 inputs and targets.
    public var bytes: Double { Double(train + test) * Double(inputDim + outputs) * 8 }
}

/// A `dataset` artifact: the dataset, the other arrays its stage made (teacher, spectra, clean targets…), and a
/// summary. Its fields read through to the `Dataset` (`data.trainInputs`).
///
/// Files: `train_x.npy` (P, D), `train_y.npy` (P, C), `test_x.npy` (P_test, D), `test_y.npy` (P_test, C), float64;
/// when present `train_labels.npy` (P,) and `test_labels.npy` (P_test,) int64 class ids; every other array as
/// `<name>.npy`, archives as given, and `summary.json` with `train`, `test`, `input_dim`, `outputs`.
@dynamicMemberLookup
public struct DatasetArtifact: ArtifactValue {
    public typealias Shape = DatasetShape
    public static var kind: ArtifactKind { .dataset }

    public var dataset: Dataset
    /// Other arrays, written as `<name>.npy` beside the dataset's.
    public var extras: [String: NPYArray]
    /// `.npz` archives, by file name.
    public var archives: [String: [Table.NamedArray]]
    public var summary: [String: Value]

    static let datasetArrays: Set = ["train_x", "train_y", "test_x", "test_y", "train_labels", "test_labels"]

    public init(_ dataset: Dataset, extras: [String: NPYArray] = [:], archives: [String: [Table.NamedArray]] = [:],
                summary: [String: Value] = [:]) {
        self.dataset = dataset
        self.extras = extras.filter { !Self.datasetArrays.contains($0.key) }
        self.archives = archives
        self.summary = summary
    }

    public subscript<T>(dynamicMember path: KeyPath<Dataset, T>) -> T { dataset[keyPath: path] }

    public var shape: DatasetShape {
        DatasetShape(train: dataset.trainCount, test: dataset.testCount, inputDim: dataset.inputDimension,
                     outputs: dataset.outputDimension, labels: dataset.trainLabels != nil)
    }

    public init(reading folder: ArtifactFolder) throws {
        func matrix(_ name: String) throws -> Matrix<Double> {
            try Matrix<Double>(try folder.array(name), name: "\(name) of stage `\(folder.stageID)`")
        }
        func labels(_ name: String) throws -> [Int]? {
            guard folder.hasArray(name) else { return nil }
            return try folder.array(name).asDoubles().map { Int($0) }
        }
        // An empty test split takes the train split's widths.
        let trainX = try matrix("train_x"), trainY = try matrix("train_y")
        var testX = try matrix("test_x"), testY = try matrix("test_y")
        if testX.rows == 0 { testX = Matrix(rows: 0, columns: trainX.columns) }
        if testY.rows == 0 { testY = Matrix(rows: 0, columns: trainY.columns) }
        dataset = try Dataset(trainInputs: trainX, trainTargets: trainY, testInputs: testX, testTargets: testY,
                              trainLabels: try labels("train_labels"), testLabels: try labels("test_labels"))
        extras = [:]
        for name in folder.index.arrays where !Self.datasetArrays.contains(name) { extras[name] = try folder.array(name) }
        archives = [:]
        for file in folder.index.archives {
            archives[file] = try folder.archive(file).map { Table.NamedArray($0.name, $0.array) }
        }
        summary = try folder.summary()
    }

    public func write(to writer: ArtifactWriter) throws {
        let d = dataset
        try writer.write(NPYArray(d.trainInputs), as: "train_x")
        try writer.write(NPYArray(d.trainTargets), as: "train_y")
        try writer.write(NPYArray(d.testInputs), as: "test_x")
        try writer.write(NPYArray(d.testTargets), as: "test_y")
        if let l = d.trainLabels { try writer.write(try NPYArray(l.map(Int64.init), shape: [l.count]), as: "train_labels") }
        if let l = d.testLabels { try writer.write(try NPYArray(l.map(Int64.init), shape: [l.count]), as: "test_labels") }
        for (name, array) in extras.sorted(by: { $0.key < $1.key }) { try writer.write(array, as: name) }
        for (file, members) in archives.sorted(by: { $0.key < $1.key }) {
            try writer.writeArchive(members.map { ($0.name, $0.array) }, as: file)
        }
        var summary = self.summary
        summary["train"] = .int(d.trainCount)
        summary["test"] = .int(d.testCount)
        summary["input_dim"] = .int(d.inputDimension)
        summary["outputs"] = .int(d.outputDimension)
        try writer.writeSummary(summary)
    }
}
