import TangentCore
import TangentNTK
import TangentPipeline

/// One split (train or test) of `data.load` while it is assembled: the files as read, then the rows kept and
/// the targets as encoded. Its errors name the split's files (with `.npz` members) and their shapes.
struct DataLoadSplit {
    /// A file parameter: its role (the parameter's name), the absolute path and the `.npz` key.
    struct File {
        var role: String
        var path: String
        var key: String?
    }

    /// `train` or `test`.
    let name: String
    let inputs: LoadedArray
    let targets: LoadedArray
    /// The inputs and targets as they will be output (after selection, encoding and normalization).
    var x: Matrix<Double>
    var y: Matrix<Double>
    /// Labels 0..k-1 when the targets are class ids.
    var labels: [Int]?

    var inputsRole: String { "\(name)_inputs" }
    var targetsRole: String { "\(name)_targets" }
    /// `train_targets (/abs/y.npy)`: how messages name a file.
    var inputsLabel: String { "\(inputsRole) (\(inputs.source))" }
    var targetsLabel: String { "\(targetsRole) (\(targets.source))" }

    /// Reads a split's two files and checks that they have the same number of rows.
    static func read(name: String, inputs: File, targets: File, log: (String) -> Void) throws -> DataLoadSplit {
        let x = try load(inputs, log: log)
        let y = try load(targets, log: log)
        guard x.rows > 0 else {
            throw DataFileError(.missingData, "\(inputs.role) (\(x.source)) holds no samples (shape \(x.shapeText))",
                                source: x.source)
        }
        guard x.rows == y.rows else {
            throw DataFileError(.shapeMismatch,
                                "\(targets.role) (\(y.source)) has \(counted(y.rows, "row")) (shape \(y.shapeText)) but "
                                + "\(inputs.role) (\(x.source)) has \(x.rows) (shape \(x.shapeText)): each input row "
                                + "needs one target row", source: y.source)
        }
        return DataLoadSplit(name: name, inputs: x, targets: y, x: x.matrix, y: y.matrix, labels: nil)
    }

    /// Reads the test split, if any, and checks it against the train split's features (and outputs, for targets
    /// used as given).
    static func readTest(_ test: (inputs: File?, targets: File?), train: DataLoadSplit, targetsAsGiven: Bool,
                         log: (String) -> Void) throws -> DataLoadSplit? {
        switch test {
        case (nil, nil):
            return nil
        case let (inputs?, nil), let (nil, inputs?):
            let (given, missing) = inputs.role == "test_inputs" ? ("test_inputs", "test_targets")
                                                                 : ("test_targets", "test_inputs")
            throw DataFileError(.missingData, "\(given) is set but \(missing) is not: give both test files, or "
                                + "neither", source: inputs.path)
        case let (inputs?, targets?):
            let split = try read(name: "test", inputs: inputs, targets: targets, log: log)
            guard split.x.columns == train.x.columns else {
                throw DataFileError(.shapeMismatch,
                                    "\(split.inputsLabel) has \(counted(split.x.columns, "feature")) per row (shape "
                                    + "\(split.inputs.shapeText)) but \(train.inputsLabel) has \(train.x.columns) "
                                    + "(shape \(train.inputs.shapeText)): test inputs need the train inputs' "
                                    + "features", source: split.inputs.source)
            }
            guard !targetsAsGiven || split.y.columns == train.y.columns else {
                throw DataFileError(.shapeMismatch,
                                    "\(split.targetsLabel) has \(counted(split.y.columns, "value")) per row (shape "
                                    + "\(split.targets.shapeText)) but \(train.targetsLabel) has \(train.y.columns) "
                                    + "(shape \(train.targets.shapeText)): test targets need as many outputs as "
                                    + "train targets", source: split.targets.source)
            }
            return split
        }
    }

    /// The targets as class ids (`.notClassIDs` naming the file and the first value that is not an integer).
    func classIDs() throws -> [Int] { try targets.classIDs(role: targetsRole) }

    /// Keeps the samples of `selection`'s classes, at most `perClass` each, in file order; relabels them 0..k-1.
    /// Returns the samples kept per class. Throws `.classSelection` when a class has fewer than `perClass`.
    mutating func select(_ selection: ClassSelection, ids: [Int], perClass: Int?, perClassName: String) throws -> [Int] {
        let (rows, labels, counts) = selection.select(ids, perClass: perClass)
        if let perClass {
            let short = zip(selection.classes, counts).filter { $0.1 < perClass }
            if !short.isEmpty {
                let list = short.map { "class \($0.0): \($0.1)" }.joined(separator: ", ")
                throw DataFileError(.classSelection,
                                    "\(perClassName) is \(perClass) but \(targetsLabel) has fewer samples of some "
                                    + "classes (\(list)); lower \(perClassName) or leave it unset",
                                    source: targets.source)
            }
        }
        x = x.rows(at: rows)
        y = y.rows(at: rows)
        self.labels = labels
        return counts
    }

    /// Replaces the targets by the encoding of the labels.
    mutating func encode(_ encoding: TargetEncoding, classCount: Int) throws {
        y = try encoding.encode(labels ?? [], classCount: classCount)
    }

    /// The classes to keep: `requested` checked against the train ids, or every train class. Test samples of
    /// classes the train split lacks are an error unless `requested` leaves them out.
    static func selection(_ requested: [Int]?, trainIDs: [Int], train: DataLoadSplit, testIDs: [Int]?,
                          test: DataLoadSplit?) throws -> ClassSelection {
        let all = ClassSelection(allOf: trainIDs)
        let present = all.classes.count <= 20 ? all.classes.map(String.init).joined(separator: ", ")
            : all.classes.prefix(20).map(String.init).joined(separator: ", ") + ", … (\(all.classes.count) in all)"
        guard let requested else {
            if let test, let testIDs, let (row, id) = testIDs.enumerated().first(where: { !all.classes.contains($0.1) }) {
                throw DataFileError(.classSelection,
                                    "\(test.targetsLabel) has class id \(id) (row \(row)), which \(train.targetsLabel) "
                                    + "does not contain (its class ids are \(present)); list the classes to keep in "
                                    + "`classes`", source: test.targets.source)
            }
            return all
        }
        let selection = ClassSelection(classes: requested)
        guard !requested.isEmpty else {
            throw DataFileError(.classSelection, "classes is empty; list at least one of the class ids of "
                                + "\(train.targetsLabel): \(present)", source: train.targets.source)
        }
        let repeated = selection.duplicates
        guard repeated.isEmpty else {
            throw DataFileError(.classSelection,
                                "classes lists \(repeated.map(String.init).joined(separator: ", ")) more than once; "
                                + "list each class id once", source: train.targets.source)
        }
        let missing = selection.missing(in: trainIDs)
        guard missing.isEmpty else {
            throw DataFileError(.classSelection,
                                "classes asks for \(missing.map(String.init).joined(separator: ", ")), which "
                                + "\(train.targetsLabel) does not contain; its class ids are \(present)",
                                source: train.targets.source)
        }
        return selection
    }

    /// Reads one file, adding the parameter to set when an `.npz` member is missing or not expected.
    private static func load(_ file: File, log: (String) -> Void) throws -> LoadedArray {
        do {
            let array = try ArrayFileReader.read(path: file.path, member: file.key)
            log("\(file.role): \(array.source), shape \(array.shapeText), \(array.dtype)")
            do {
                try array.matrix.checkFinite("\(file.role) (\(array.source))")
            } catch let error as NumericsError {
                throw DataFileError(.notNumeric, error.message + " (row, column); NaN and infinite values cannot be "
                                    + "trained on: clean or drop those samples", source: array.source)
            }
            return array
        } catch let error as DataFileError where error.code == .missingMember
                    || (error.code == .unsupportedFormat && file.key != nil) {
            let message = error.code == .unsupportedFormat ? "\(error.message); remove `\(file.role)_key`"
                : error.message.hasSuffix("name one of them") ? "\(error.message) in `\(file.role)_key`" : error.message
            throw DataFileError(error.code, "\(file.role): \(message)", source: error.source, cause: error)
        }
    }
}

/// `1 row`, `3 rows`.
func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
