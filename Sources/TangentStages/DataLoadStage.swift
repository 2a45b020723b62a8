import TangentCore
import TangentNTK
import TangentPipeline

/// `data.load`: a dataset from files on disk (`.npy`, `.npz`, `.csv`, MNIST-style IDX, each optionally `.gz`).
///
/// Reading is `ArrayFileReader`'s; this stage checks that the files fit together, selects classes, encodes
/// targets and normalizes inputs. Every problem is a `DataFileError` naming the files and their shapes.
public struct DataLoadStage: Stage {
    public static let name = "data.load"
    public static let summary = "A dataset from .npy, .npz, .csv or MNIST-style IDX files (optionally .gz)."
    public static let doc = """
        A dataset from files: .npy, .npz (the only array, or the one named by the matching `*_key`), .csv \
        (numbers separated by commas, with or without a header row) and MNIST-style IDX files \
        (train-images-idx3-ubyte, …), each optionally gzipped (.gz). Rows are samples; arrays of rank 3 or more \
        are flattened per sample, so (N, 28, 28) images become (N, 784) inputs. Targets are used as given \
        (`encoding: none`) or read as class ids (one column of integers) and encoded. `classes` keeps a subset \
        of the class ids, in the given order, relabelled 0..k-1; `per_class` keeps the first N train samples of \
        each class in file order. `normalize` is fitted on the selected train inputs and applied unchanged to \
        the test inputs.
        """
    public static let outputKind = ArtifactKind.dataset
    public static let parameters = [
        Parameter("train_inputs", .path, doc: "train inputs, one sample per row (.npy, .npz, .csv, IDX; .gz ok)"),
        Parameter("train_targets", .path, doc: "train targets: a matrix, or class ids (one integer column) to encode"),
        Parameter("test_inputs", .path, nullable: true, doc: "test inputs, with the train inputs' features"),
        Parameter("test_targets", .path, nullable: true, doc: "test targets (required with test_inputs)"),
        Parameter("classes", .list(.int), nullable: true,
                  doc: "keep only these class ids, in this order, relabelled 0..k-1 (default: all train classes)"),
        Parameter("per_class", .int, minimum: 1, nullable: true,
                  doc: "keep the first N train samples of each class, in file order"),
        Parameter("test_per_class", .int, minimum: 1, nullable: true,
                  doc: "keep the first N test samples of each class, in file order"),
        Parameter("encoding", .choice(["none", "onehot", "plusminus", "zeroone"]), default: .string("none"),
                  doc: "none: targets as given; else class ids encoded (plusminus/zeroone: one column for 2 classes)"),
        Parameter("normalize", .choice(["none", "standardize", "scale"]), default: .string("none"),
                  doc: "standardize: train mean/std per feature; scale: divide by the largest absolute train value (255 for pixels)"),
        Parameter("train_inputs_key", .string, nullable: true, doc: "the array in an .npz train_inputs"),
        Parameter("train_targets_key", .string, nullable: true, doc: "the array in an .npz train_targets"),
        Parameter("test_inputs_key", .string, nullable: true, doc: "the array in an .npz test_inputs"),
        Parameter("test_targets_key", .string, nullable: true, doc: "the array in an .npz test_targets"),
    ]
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

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let encoding = parameters.string("encoding")
        let normalize = parameters.string("normalize")
        let requestedClasses = parameters["classes"].listValue?.compactMap(\.intValue)
        let perClass = parameters.optionalInt("per_class")
        let testPerClass = parameters.optionalInt("test_per_class")
        // Class ids are needed to encode targets, to select classes, or to thin them.
        let usesClasses = encoding != "none" || requestedClasses != nil || perClass != nil || testPerClass != nil

        guard let trainInputs = file("train_inputs", parameters), let trainTargets = file("train_targets", parameters)
        else { preconditionFailure("data.load: train_inputs and train_targets are required parameters") }
        var train = try DataLoadSplit.read(name: "train", inputs: trainInputs, targets: trainTargets, context: context)
        var test = try DataLoadSplit.readTest((file("test_inputs", parameters), file("test_targets", parameters)),
                                              train: train, targetsAsGiven: !usesClasses, context: context)
        let splits = [train] + (test.map { [$0] } ?? [])
        var summary: [String: Value] = [
            "encoding": .string(encoding), "normalize": .string(normalize),
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
            let selection = try DataLoadSplit.selection(requestedClasses, trainIDs: trainIDs, train: train,
                                                        testIDs: testIDs, test: test)
            let trainCounts = try train.select(selection, ids: trainIDs, perClass: perClass, perClassName: "per_class")
            if let kind = TargetEncoding(rawValue: encoding) {
                try train.encode(kind, classCount: selection.classes.count)
            }
            if var split = test, let testIDs {
                let testCounts = try split.select(selection, ids: testIDs, perClass: testPerClass,
                                                  perClassName: "test_per_class")
                if let kind = TargetEncoding(rawValue: encoding) {
                    try split.encode(kind, classCount: selection.classes.count)
                }
                test = split
                summary["test_class_counts"] = .list(testCounts.map(Value.int))
            }
            summary["classes"] = .list(selection.classes.map(Value.int))
            summary["class_count"] = .int(selection.classes.count)
            summary["train_class_counts"] = .list(trainCounts.map(Value.int))
        }

        var extra: [String: NPYArray] = [:]
        let scaling: FeatureScaling? = switch normalize {
        case "standardize": .standardize(fittedOn: train.x)
        case "scale": .maxAbs(fittedOn: train.x)
        default: nil
        }
        if let scaling {
            train.x = scaling.apply(train.x)
            if let split = test { test?.x = scaling.apply(split.x) }
            extra["input_shift"] = NPYArray(vector: scaling.shift)
            extra["input_divisor"] = NPYArray(vector: scaling.divisor)
            if normalize == "scale" { summary["scale"] = .double(scaling.divisor.first ?? 1) }
        }

        let dataset = try Dataset(trainInputs: train.x, trainTargets: train.y, testInputs: test?.x,
                                  testTargets: test?.y, trainLabels: train.labels, testLabels: test?.labels)
        context.log("\(dataset.trainCount) train and \(dataset.testCount) test samples, \(dataset.inputDimension) "
                    + "features, \(dataset.outputDimension) outputs")
        var artifact = dataset.artifact(summary: summary)
        artifact.arrays.merge(extra) { kept, _ in kept }
        return artifact
    }

    /// The file parameter `role` (e.g. `train_inputs`) with its `.npz` key, or nil when not set.
    static func file(_ role: String, _ parameters: Parameters) -> DataLoadSplit.File? {
        parameters.optionalString(role).map {
            DataLoadSplit.File(role: role, path: $0, key: parameters.optionalString(role + "_key"))
        }
    }
}
