import Foundation
import TangentCore

/// A data set shipped in the repository's `data/` folder, which `data.load` reads by name (`dataset: digits`).
///
/// Each is an `.npz` with two arrays: `x` (N, D), the inputs, and `labels` (N,), integer class ids. `data/README.md`
/// describes each one, its licence and citation, and `tools/` holds the script that made it.
public enum ShippedDataset: String, CaseIterable, Sendable {
    /// The UCI optical handwritten digits as scikit-learn ships them: 1,797 images of 8 × 8 counts 0..16, digits 0..9.
    case digits

    /// The file's name: `digits.npz`.
    public var fileName: String { "\(rawValue).npz" }
    /// The archive member holding the inputs.
    public static let inputsMember = "x"
    /// The archive member holding the class ids.
    public static let labelsMember = "labels"
}

/// Finds the file of a shipped data set. The places, in order:
///
/// 1. `$TANGENT_DATA/<file>`, when the environment variable `TANGENT_DATA` is set;
/// 2. `data/<file>` in the current directory, then in each of its parents;
/// 3. `data/<file>` in the directory of the running executable (`/proc/self/exe`, symbolic links resolved), then
///    in each of its parents: a `tangent` built in `<repository>/.build/…` finds `<repository>/data/`.
///
/// The first regular file found is used. When none is, the error names every place searched and what to do.
public struct ShippedData: Sendable {
    /// The environment variable naming a folder that holds the shipped files.
    public static let environmentVariable = "TANGENT_DATA"

    /// The value of `TANGENT_DATA` (nil or empty: not set).
    public var dataDirectory: String?
    public var currentDirectory: String
    /// The running executable's path, symbolic links resolved (nil: unknown).
    public var executable: String?

    /// A locator for this process: its environment, current directory and executable.
    public init() {
        self.init(dataDirectory: ProcessInfo.processInfo.environment[Self.environmentVariable],
                  currentDirectory: FileManager.default.currentDirectoryPath, executable: Self.runningExecutable())
    }

    public init(dataDirectory: String?, currentDirectory: String, executable: String?) {
        self.dataDirectory = dataDirectory
        self.currentDirectory = currentDirectory
        self.executable = executable
    }

    /// The running executable's path: `/proc/self/exe` resolved on Linux, else the main bundle's executable.
    public static func runningExecutable() -> String? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), path.hasPrefix("/") {
            return path
        }
        return Bundle.main.executablePath.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
    }

    /// Every path tried for `dataset`, in order.
    public func candidates(for dataset: ShippedDataset) -> [String] {
        var paths: [String] = []
        if let folder = environmentFolder { paths.append(Self.join(folder, dataset.fileName)) }
        for start in [currentDirectory, executable.map(Self.parent)].compactMap({ $0 }) {
            for folder in Self.selfAndParents(start) {
                let path = Self.join(Self.join(folder, "data"), dataset.fileName)
                if !paths.contains(path) { paths.append(path) }
            }
        }
        return paths
    }

    /// The absolute path of `dataset`'s file. Throws `.missingData` naming the places searched and the remedy.
    public func locate(_ dataset: ShippedDataset) throws -> String {
        if let found = candidates(for: dataset).first(where: Self.isRegularFile) { return found }
        var places: [String] = []
        if let folder = environmentFolder {
            places.append("\(Self.join(folder, dataset.fileName)) ($\(Self.environmentVariable))")
        } else {
            places.append("$\(Self.environmentVariable) (not set)")
        }
        places.append("data/\(dataset.fileName) in \(currentDirectory) and each of its parents")
        if let executable {
            places.append("data/\(dataset.fileName) in \(Self.parent(executable)) (the executable's folder) and each of "
                          + "its parents")
        }
        throw DataFileError(.missingData,
                            "the shipped data set `\(dataset.rawValue)` (\(dataset.fileName)) was not found; looked "
                            + "for \(places.joined(separator: "; ")). Set \(Self.environmentVariable) to the folder "
                            + "that holds \(dataset.fileName) (the repository's data/ folder), or run tangent from "
                            + "inside the repository")
    }

    // MARK: - Internals

    private var environmentFolder: String? {
        guard let folder = dataDirectory, !folder.isEmpty else { return nil }
        return folder.hasPrefix("/") ? folder : Self.join(currentDirectory, folder)
    }

    private static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// The folder holding `path` (`/` for `/` itself).
    private static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), path != "/" else { return "/" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `/a/b/c`, `/a/b`, `/a`, `/`.
    private static func selfAndParents(_ path: String) -> [String] {
        var folder = URL(fileURLWithPath: path).standardizedFileURL.path
        var folders = [folder]
        while folder != "/" && folder.contains("/") {
            folder = parent(folder)
            folders.append(folder)
        }
        return folders
    }

    /// An existing regular file (symbolic links followed), never a directory, FIFO or device.
    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}
