import TangentCore
import TangentNTK
import TangentPipeline

/// `data.load`: a dataset from files on disk (`.npy`, `.npz`, `.csv`, MNIST-style IDX, each optionally `.gz`), or a
/// data set shipped in the repository's `data/` folder by name (`dataset: digits`, `DataLoadShipped.swift`).
///
/// Reading is `ArrayFileReader`'s; this stage checks that the files fit together, selects classes, encodes
/// targets and normalizes inputs. Every problem is a `DataFileError` naming the files and their shapes.
public struct DataLoadStage: Stage {
    public static let name = "data.load"
    /// 2: the `dataset` and `split_seed` parameters (train_inputs and train_targets became optional).
    public static let version = 2
    public static let summary = "A dataset from .npy, .npz, .csv or MNIST-style IDX files (optionally .gz), or shipped (digits)."
    public static let doc = """
        A dataset from files: .npy, .npz (the only array, or the one named by the matching `*_key`), .csv \
        (numbers separated by commas, with or without a header row) and MNIST-style IDX files \
        (train-images-idx3-ubyte, …), each optionally gzipped (.gz). Rows are samples; arrays of rank 3 or more \
        are flattened per sample, so (N, 28, 28) images become (N, 784) inputs. Targets are used as given \
        (`encoding: none`) or read as class ids (one column of integers) and encoded. `classes` keeps a subset \
        of the class ids, in the given order, relabelled 0..k-1; `per_class` keeps the first N train samples of \
        each class in file order. `normalize` is fitted on the selected train inputs and applied unchanged to \
        the test inputs.

        Or `dataset: digits`, a data set shipped in the repository's data/ folder (data/README.md: the UCI \
        optical handwritten digits, 1,797 images of 8 × 8 counts 0..16, classes 0..9), instead of the files. It is \
        found in $TANGENT_DATA, else in data/ of the current directory or of the tangent executable's folder, or \
        of one of their parents. Its train/test split is fixed by `split_seed` (independent of the run's seed): \
        the samples of each selected class are shuffled (xoshiro256** seeded by split_seed and the class id), the \
        first `per_class` (default: half the class, rounded down) are train samples and the next \
        `test_per_class` (default: the rest of the class) test samples; both splits keep the file's order. \
        `classes`, `encoding` and `normalize` work as for files. The summary records the file found, its \
        SHA-256, the split seed and the samples per class.
        """
    public enum Encoding: String, CaseIterable, ParameterChoice {
        case none, onehot, plusminus, zeroone
        var targetEncoding: TargetEncoding? { TargetEncoding(rawValue: rawValue) }
    }
    public enum Normalize: String, CaseIterable, ParameterChoice { case none, standardize, scale }

    @Param("a data set shipped in data/, instead of the files (digits: 8 × 8 handwritten digits, classes 0..9)")
    var dataset: ShippedDataset?
    @Param("train inputs, one sample per row (.npy, .npz, .csv, IDX; .gz ok); required without dataset")
    var trainInputs: InputFile?
    @Param("train targets: a matrix, or class ids (one integer column) to encode; required without dataset")
    var trainTargets: InputFile?
    @Param("test inputs, with the train inputs' features") var testInputs: InputFile?
    @Param("test targets (required with test_inputs)") var testTargets: InputFile?
    @Param("keep only these class ids, in this order, relabelled 0..k-1 (default: all train classes)") var classes: [Int]?
    @Param("keep the first N train samples of each class, in file order (dataset: N of each class's shuffled samples)",
           minimum: 1) var perClass: Int?
    @Param("keep the first N test samples of each class, in file order (dataset: the N after per_class)", minimum: 1)
    var testPerClass: Int?
    @Param("with dataset: the seed of its fixed train/test split, independent of the run's seed") var splitSeed = 0
    @Param("none: targets as given; else class ids encoded (plusminus/zeroone: one column for 2 classes)")
    var encoding = Encoding.none
    @Param("standardize: train mean/std per feature; scale: divide by the largest absolute train value (255 for pixels)")
    var normalize = Normalize.none
    @Param("the array in an .npz train_inputs") var trainInputsKey: String?
    @Param("the array in an .npz train_targets") var trainTargetsKey: String?
    @Param("the array in an .npz test_inputs") var testInputsKey: String?
    @Param("the array in an .npz test_targets") var testTargetsKey: String?

    public init() {}

    public static let outputs = [
        OutputFile("train_x.npy", doc: "train inputs (P, D), float64"),
        OutputFile("train_y.npy", doc: "train targets (P, C), float64"),
        OutputFile("test_x.npy", doc: "test inputs (P_test, D); (0, D) without test files"),
        OutputFile("test_y.npy", doc: "test targets (P_test, C)"),
        OutputFile("train_labels.npy", doc: "train labels 0..k-1 (int64), when targets are class ids"),
        OutputFile("test_labels.npy", doc: "test labels 0..k-1 (int64), when targets are class ids"),
        OutputFile("input_shift.npy", doc: "with normalize: subtracted from each feature"),
        OutputFile("input_divisor.npy", doc: "with normalize: each feature is then divided by this"),
        OutputFile("summary.json", doc: "source files and shapes, classes and samples per class, settings"),
    ]

    /// The files as the split reader takes them, with the parameter each came from.
    var files: [(role: String, file: DataLoadSplit.File?, field: FieldReference)] {
        [("train_inputs", trainInputs, trainInputsKey, $trainInputs), ("train_targets", trainTargets, trainTargetsKey, $trainTargets),
         ("test_inputs", testInputs, testInputsKey, $testInputs), ("test_targets", testTargets, testTargetsKey, $testTargets)]
            .map { role, path, key, field in (role, path.map { DataLoadSplit.File(role: role, path: $0.path, key: key) }, field) }
    }

    public func validate(_ check: inout StageCheck) throws -> DatasetShape {
        let empty = DatasetShape(train: 0, test: 0, inputDim: 0, outputs: 0, labels: false)
        // Exactly one source: a shipped data set, or the train files.
        let sourceProblems = sourceProblems
        for problem in sourceProblems { check.fail(problem.field, problem.message, remedy: problem.remedy) }
        guard sourceProblems.isEmpty else { return empty }
        if let dataset { return validateShipped(dataset, &check) }
        if splitSeed != 0 {
            check.warn($splitSeed, "split_seed only applies with dataset; the files' train and test samples are used "
                       + "as given", remedy: "remove split_seed")
        }
        // Memory first, from headers, directories and gzip trailers: a file that will not fit is never read.
        var total = 0.0
        for (_, file, field) in files {
            guard let file else { continue }
            do {
                let bytes = try ArrayFileReader.estimatedBytes(path: file.path)
                total += bytes
                if bytes > Double(check.availableMemory) {
                    check.fail(field, "\(file.path) decodes to about \(formatBytes(bytes)), more than the "
                               + "\(formatBytes(Double(check.availableMemory))) of memory available",
                               remedy: "use a smaller file or a machine with more memory")
                }
            } catch let error as DataFileError {
                check.fail(field, error.description)
            }
        }
        guard !check.hasErrors else { return empty }
        check.needsMemory(total * 2, for: "the data files and the dataset", remedy: "use smaller files")
        // Then the same assembly as the run (reading the files), so every problem of the files is found here.
        do {
            return try assemble(log: { _ in }).shape
        } catch let error as DataFileError {
            check.fail(field(for: error), error.description)
        }
        return empty
    }

    /// A problem with the parameters, where it is and what to do.
    struct Problem {
        var field: FieldReference
        var message: String
        var remedy: String
        var code = DataFileError.Code.classSelection
        /// As a thrown error (the remedy ends the message).
        var error: DataFileError { DataFileError(code, "\(message); \(remedy)") }
    }

    /// Exactly one source of data: `dataset`, or `train_inputs` and `train_targets` (and optional test files).
    var sourceProblems: [Problem] {
        if let dataset {
            let given: [(String, Bool, FieldReference)] = [
                ("train_inputs", trainInputs != nil, $trainInputs), ("train_targets", trainTargets != nil, $trainTargets),
                ("test_inputs", testInputs != nil, $testInputs), ("test_targets", testTargets != nil, $testTargets),
                ("train_inputs_key", trainInputsKey != nil, $trainInputsKey),
                ("train_targets_key", trainTargetsKey != nil, $trainTargetsKey),
                ("test_inputs_key", testInputsKey != nil, $testInputsKey),
                ("test_targets_key", testTargetsKey != nil, $testTargetsKey),
            ]
            return given.filter(\.1).map { name, _, field in
                Problem(field: field, message: "\(name) cannot be given with dataset: \(dataset.rawValue), which brings "
                        + "its own samples and splits them itself",
                        remedy: "remove \(name), or remove dataset to load your own files", code: .invalidArgument)
            }
        }
        switch (trainInputs, trainTargets) {
        case (nil, nil):
            return [Problem(field: $trainInputs, message: "no data: neither dataset nor train_inputs and train_targets is given",
                            remedy: "set dataset: digits, or give train_inputs and train_targets", code: .missingData)]
        case (_?, nil):
            return [Problem(field: $trainTargets, message: "train_inputs is given but train_targets is not",
                            remedy: "give train_targets (one target row per input row), or use dataset: digits instead",
                            code: .missingData)]
        case (nil, _?):
            return [Problem(field: $trainInputs, message: "train_targets is given but train_inputs is not",
                            remedy: "give train_inputs (one sample per row), or use dataset: digits instead",
                            code: .missingData)]
        case (_?, _?):
            return []
        }
    }

    /// The parameter a data-file problem is about: the file it names, or the class selection.
    func field(for error: DataFileError) -> FieldReference {
        if error.code == .classSelection {
            if error.message.contains("test_per_class") { return $testPerClass }
            if error.message.contains("per_class") { return $perClass }
            if classes != nil { return $classes }
            if encoding != .none { return $encoding }
        }
        let byPath = files.first { _, file, _ in
            guard let file else { return false }
            return error.source == file.path || (error.source?.hasPrefix(file.path + ":") ?? false)
        }
        return byPath?.field ?? (dataset != nil ? $dataset : $trainInputs)
    }

    public func run(_ context: StageContext) throws -> DatasetArtifact {
        let dataset = try assemble(log: context.log)
        context.log("\(dataset.trainCount) train and \(dataset.testCount) test samples, \(dataset.dataset.inputDimension) "
                    + "features, \(dataset.dataset.outputDimension) outputs")
        return dataset
    }

    /// Reads the files (or the shipped data set), checks that they fit together, selects classes, encodes targets
    /// and normalizes inputs.
    func assemble(log: (String) -> Void) throws -> DatasetArtifact {
        if let problem = sourceProblems.first { throw problem.error }
        if let dataset { return try finish(try shippedSplits(try readShipped(dataset, log: log), log: log)) }
        return try finish(try fileSplits(log: log))
    }

    /// The dataset of the selected and encoded splits: inputs normalized, the settings added to the summary.
    func finish(_ splits: (train: DataLoadSplit, test: DataLoadSplit?, summary: [String: Value])) throws -> DatasetArtifact {
        var (train, test, summary) = splits
        summary["encoding"] = .string(encoding.rawValue)
        summary["normalize"] = .string(normalize.rawValue)

        var extra: [String: NPYArray] = [:]
        let scaling: FeatureScaling? = switch normalize {
        case .standardize: .standardize(fittedOn: train.x)
        case .scale: .maxAbs(fittedOn: train.x)
        case .none: nil
        }
        if let scaling {
            train.x = scaling.apply(train.x)
            if let split = test { test?.x = scaling.apply(split.x) }
            extra["input_shift"] = NPYArray(vector: scaling.shift)
            extra["input_divisor"] = NPYArray(vector: scaling.divisor)
            if normalize == .scale { summary["scale"] = .double(scaling.divisor.first ?? 1) }
        }
        let dataset = try Dataset(trainInputs: train.x, trainTargets: train.y, testInputs: test?.x,
                                  testTargets: test?.y, trainLabels: train.labels, testLabels: test?.labels)
        return DatasetArtifact(dataset, extras: extra, summary: summary)
    }

    /// The train and test splits of the files, classes selected and targets encoded, and the summary so far.
    func fileSplits(log: (String) -> Void) throws -> (DataLoadSplit, DataLoadSplit?, [String: Value]) {
        // Class ids are needed to encode targets, to select classes, or to thin them.
        let usesClasses = encoding != .none || classes != nil || perClass != nil || testPerClass != nil
        let file = Dictionary(uniqueKeysWithValues: files.map { ($0.role, $0.file) })
        guard let trainInputsFile = file["train_inputs"] ?? nil, let trainTargetsFile = file["train_targets"] ?? nil else {
            throw DataFileError(.missingData, "train_inputs and train_targets are required")
        }
        var train = try DataLoadSplit.read(name: "train", inputs: trainInputsFile, targets: trainTargetsFile, log: log)
        var test = try DataLoadSplit.readTest((file["test_inputs"] ?? nil, file["test_targets"] ?? nil),
                                              train: train, targetsAsGiven: !usesClasses, log: log)
        let splits = [train] + (test.map { [$0] } ?? [])
        var summary: [String: Value] = [
            "sources": .object(Dictionary(uniqueKeysWithValues: splits.flatMap {
                [($0.inputsRole, Value.string($0.inputs.source)), ($0.targetsRole, .string($0.targets.source))]
            })),
            "shapes": .object(Dictionary(uniqueKeysWithValues: splits.flatMap {
                [($0.inputsRole, Value.list($0.inputs.shape.map(Value.int))),
                 ($0.targetsRole, .list($0.targets.shape.map(Value.int)))]
            })),
        ]

        if usesClasses {
            let trainIDs = try train.classIDs()
            let testIDs = try test?.classIDs()
            let selection = try DataLoadSplit.selection(classes, trainIDs: trainIDs, train: train, testIDs: testIDs, test: test)
            if let kind = encoding.targetEncoding, selection.classes.count < 2 {
                throw DataFileError(.classSelection,
                                    "\(train.targetsLabel) holds a single class (id \(selection.classes.first.map(String.init) ?? "-")) "
                                    + "but encoding \(kind.rawValue) needs at least two; use encoding: none for targets as given",
                                    source: train.targets.source)
            }
            let trainCounts = try train.select(selection, ids: trainIDs, perClass: perClass, perClassName: "per_class")
            if let kind = encoding.targetEncoding { try train.encode(kind, classCount: selection.classes.count) }
            if var split = test, let testIDs {
                let testCounts = try split.select(selection, ids: testIDs, perClass: testPerClass, perClassName: "test_per_class")
                if let kind = encoding.targetEncoding { try split.encode(kind, classCount: selection.classes.count) }
                test = split
                summary["test_class_counts"] = .list(testCounts.map(Value.int))
            }
            summary["classes"] = .list(selection.classes.map(Value.int))
            summary["class_count"] = .int(selection.classes.count)
            summary["train_class_counts"] = .list(trainCounts.map(Value.int))
        }
        return (train, test, summary)
    }
}
