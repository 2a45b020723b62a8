import Foundation
import TangentCore
import TangentNTK
import TangentPipeline

/// `data.load` with `dataset`: a data set shipped in the repository's `data/` folder (`ShippedData` finds it),
/// split into train and test samples by `split_seed` (`ClassSelection.split`).
extension DataLoadStage {
    /// A shipped data set as read: the file found, its SHA-256, the inputs and the class ids.
    struct ShippedArrays {
        var dataset: ShippedDataset
        var path: String
        var sha256: String
        var inputs: LoadedArray
        var labels: LoadedArray
        var ids: [Int]
        /// `digits (/abs/data/digits.npz)`: how messages name it.
        var label: String { "\(dataset.rawValue) (\(path))" }
    }

    /// Finds and reads `dataset`'s file; errors name the file (or, when it is not found, the places searched).
    func readShipped(_ dataset: ShippedDataset, locator: ShippedData = ShippedData(),
                     log: (String) -> Void) throws -> ShippedArrays {
        let path = try locator.locate(dataset)
        let inputs = try ArrayFileReader.read(path: path, member: ShippedDataset.inputsMember)
        let labels = try ArrayFileReader.read(path: path, member: ShippedDataset.labelsMember)
        guard inputs.rows > 0, inputs.rows == labels.rows else {
            throw DataFileError(.corrupt, "\(inputs.source) has shape \(inputs.shapeText) but \(labels.source) has "
                                + "shape \(labels.shapeText): the file is damaged; restore it from the repository or "
                                + "remake it with the script named in data/README.md", source: path)
        }
        let ids = try labels.classIDs(role: ShippedDataset.labelsMember)
        let sha256 = try SHA256Sum.hexOfFile(at: URL(fileURLWithPath: path))
        log("dataset \(dataset.rawValue): \(path) (sha256 \(sha256)), x \(inputs.shapeText) \(inputs.dtype), "
            + "labels \(labels.shapeText)")
        return ShippedArrays(dataset: dataset, path: path, sha256: sha256, inputs: inputs, labels: labels, ids: ids)
    }

    /// Validation with `dataset`: the file is found and read (it is small), then the class selection and the
    /// split sizes are checked against its classes, each problem at its parameter.
    func validateShipped(_ dataset: ShippedDataset, _ check: inout StageCheck) -> DatasetShape {
        let empty = DatasetShape(train: 0, test: 0, inputDim: 0, outputs: 0, labels: false)
        do {
            let data = try readShipped(dataset, log: { _ in })
            check.needsMemory(try ArrayFileReader.estimatedBytes(path: data.path) * 2, for: "the \(dataset.rawValue) data set")
            let problems = selectionProblems(data)
            for problem in problems { check.fail(problem.field, problem.message, remedy: problem.remedy) }
            guard problems.isEmpty else { return empty }
            return try finish(try shippedSplits(data, log: { _ in })).shape
        } catch let error as DataFileError {
            check.fail($dataset, error.description)
        } catch {
            check.fail($dataset, "\(error)")
        }
        return empty
    }

    /// What keeps the shipped data set from being selected and split as asked.
    func selectionProblems(_ data: ShippedArrays) -> [Problem] {
        let all = ClassSelection(allOf: data.ids)
        let name = data.dataset.rawValue
        let present = all.classes.map(String.init).joined(separator: ", ")
        let selection = classes.map(ClassSelection.init(classes:)) ?? all
        if classes != nil {
            var problems: [Problem] = []
            if selection.classes.isEmpty {
                problems.append(Problem(field: $classes, message: "classes is empty",
                                        remedy: "list at least one of the class ids of \(name): \(present)"))
            }
            let repeated = selection.duplicates
            if !repeated.isEmpty {
                problems.append(Problem(field: $classes, message: "classes lists "
                                        + "\(repeated.map(String.init).joined(separator: ", ")) more than once",
                                        remedy: "list each class id once"))
            }
            let missing = selection.missing(in: data.ids)
            if !missing.isEmpty {
                problems.append(Problem(field: $classes, message: "classes asks for "
                                        + "\(missing.map(String.init).joined(separator: ", ")), which \(data.label) "
                                        + "does not contain", remedy: "list class ids of \(name): \(present)"))
            }
            if !problems.isEmpty { return problems }
        }
        if let kind = encoding.targetEncoding, selection.classes.count < 2 {
            return [Problem(field: classes != nil ? $classes : $encoding,
                            message: "classes keeps a single class (\(selection.classes.first.map(String.init) ?? "-")) "
                            + "but encoding \(kind.rawValue) needs at least two",
                            remedy: "list at least two classes, or use encoding: none for the class ids as given")]
        }
        let available = selection.counts(in: data.ids)
        func list(_ short: [Int], _ text: (Int) -> String) -> String {
            short.map { "class \(selection.classes[$0]): \(text($0))" }.joined(separator: ", ")
        }
        if let perClass {
            let short = available.indices.filter { available[$0] < perClass }
            if !short.isEmpty {
                return [Problem(field: $perClass,
                                message: "per_class is \(perClass) but \(data.label) has fewer samples of some classes "
                                + "(\(list(short) { "\(available[$0])" }))",
                                remedy: "lower per_class to at most \(available.min() ?? 0), or leave it unset (half "
                                + "of each class)")]
            }
        }
        if let testPerClass {
            let train = available.map { perClass ?? ClassSelection.defaultTrainCount(of: $0) }
            let left = available.indices.map { available[$0] - train[$0] }
            let short = left.indices.filter { left[$0] < testPerClass }
            if !short.isEmpty {
                let message = if let perClass {
                    "per_class \(perClass) + test_per_class \(testPerClass) = \(perClass + testPerClass) is more than "
                        + "\(data.label) has of some classes (\(list(short) { "\(available[$0])" }))"
                } else {
                    "test_per_class is \(testPerClass) but \(data.label) has fewer samples left after the default "
                        + "train share (half of each class) of some classes (\(list(short) { "\(left[$0]) of \(available[$0])" }))"
                }
                return [Problem(field: $testPerClass, message: message,
                                remedy: "lower test_per_class to at most \(left.min() ?? 0)"
                                + (perClass == nil ? ", or set a smaller per_class" : ", or lower per_class"))]
            }
        }
        return []
    }

    /// The train and test splits of the shipped data set: each selected class shuffled by `split_seed`, the first
    /// `per_class` to train and the next `test_per_class` to test; labels 0..k-1 in the order of `classes`; targets
    /// encoded. The summary records the data set, the file, its SHA-256, the split seed and the counts.
    func shippedSplits(_ data: ShippedArrays, log: (String) -> Void)
        throws -> (train: DataLoadSplit, test: DataLoadSplit?, summary: [String: Value]) {
        if let problem = selectionProblems(data).first { throw problem.error }
        let selection = classes.map(ClassSelection.init(classes:)) ?? ClassSelection(allOf: data.ids)
        let (trainPart, testPart) = selection.split(data.ids, seed: splitSeed, perClass: perClass, testPerClass: testPerClass)
        func split(_ name: String, rows: [Int], labels: [Int]) throws -> DataLoadSplit {
            var split = DataLoadSplit(name: name, inputs: data.inputs, targets: data.labels,
                                      x: data.inputs.matrix.rows(at: rows), y: data.labels.matrix.rows(at: rows),
                                      labels: labels)
            if let kind = encoding.targetEncoding { try split.encode(kind, classCount: selection.classes.count) }
            return split
        }
        let train = try split("train", rows: trainPart.rows, labels: trainPart.labels)
        let test = testPart.rows.isEmpty ? nil : try split("test", rows: testPart.rows, labels: testPart.labels)
        log("dataset \(data.dataset.rawValue), split_seed \(splitSeed): \(trainPart.rows.count) train and "
            + "\(testPart.rows.count) test samples of classes \(selection.classes.map(String.init).joined(separator: ", "))")
        let ints = { (values: [Int]) in Value.list(values.map(Value.int)) }
        let summary: [String: Value] = [
            "dataset": .string(data.dataset.rawValue), "path": .string(data.path), "sha256": .string(data.sha256),
            "split_seed": .int(splitSeed),
            "sources": .object(["x": .string(data.inputs.source), "labels": .string(data.labels.source)]),
            "shapes": .object(["x": ints(data.inputs.shape), "labels": ints(data.labels.shape)]),
            "classes": ints(selection.classes), "class_count": .int(selection.classes.count),
            "available_class_counts": ints(selection.counts(in: data.ids)),
            "train_class_counts": ints(trainPart.counts), "test_class_counts": ints(testPart.counts),
        ]
        return (train, test, summary)
    }
}
