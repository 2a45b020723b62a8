import Foundation
import TangentCore
import TangentPipeline

/// Reading the small files a report needs, defensively: a missing file is nil; a file too large, damaged or not
/// UTF-8 is nil too (the callers add a note). Arrays are memory-mapped (`MappedNPY`) and read only when they are
/// small, so a report never loads a kernel.
public enum ReportFiles {
    /// The most elements an array may have to be read for a plot.
    public static let arrayLimit = 400_000

    /// The file's text, when it exists, is at most `limit` bytes and is UTF-8.
    public static func text(_ url: URL, limit: Int = 64 << 20) -> String? {
        guard let data = try? FileContents.read(url, maximumSize: limit) else { return nil }
        return String(validating: data, as: UTF8.self)
    }

    /// A JSON object file.
    public static func jsonObject(_ url: URL) -> [String: Value]? {
        text(url, limit: 64 << 20).flatMap { try? JSONReader.parse($0) }?.objectValue
    }

    /// An RFC 4180 CSV file with a header row.
    public static func csv(_ url: URL, limit: Int = 256 << 20) -> CSVTable? {
        text(url, limit: limit).flatMap { try? CSVTable(csv: $0) }
    }

    public static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// A small numeric array: its shape and its elements in C order, as Double.
    public struct SmallArray: Sendable {
        public var shape: [Int]
        public var values: [Double]

        /// Row `i` of a 2-D array.
        public func row(_ i: Int) -> [Double] {
            guard shape.count == 2, i < shape[0] else { return [] }
            return Array(values[(i * shape[1])..<((i + 1) * shape[1])])
        }

        /// Column `j` of a 2-D array.
        public func column(_ j: Int) -> [Double] {
            guard shape.count == 2, j < shape[1] else { return [] }
            return (0..<shape[0]).map { values[$0 * shape[1] + j] }
        }
    }

    public enum ArrayProblem: Error { case missing, tooLarge(Int), unreadable(String) }

    /// The `.npy` file at `url`, read through a memory mapping when it has at most `arrayLimit` elements.
    public static func array(_ url: URL, limit: Int = arrayLimit) -> Result<SmallArray, ArrayProblem> {
        guard exists(url) else { return .failure(.missing) }
        do { return read(try MappedNPY(url: url, maximumSize: limit * 8), limit: limit) } catch {
            return .failure(.unreadable(TangentError.userText(error) ?? "unreadable"))
        }
    }

    /// The member `name` (without `.npy`) of the `.npz` archive at `url`, mapped, when small.
    public static func archiveMember(_ url: URL, _ name: String, limit: Int = arrayLimit) -> Result<SmallArray, ArrayProblem> {
        guard exists(url) else { return .failure(.missing) }
        do {
            guard try NPZ.memberNames(contentsOf: url).contains(where: { $0 == name || $0 == name + ".npy" }) else {
                return .failure(.missing)
            }
            return read(try NPZ.mappedMember(name, contentsOf: url, maximumSize: limit * 8), limit: limit)
        } catch {
            return .failure(.unreadable(TangentError.userText(error) ?? "unreadable"))
        }
    }

    static func read(_ mapped: MappedNPY, limit: Int) -> Result<SmallArray, ArrayProblem> {
        guard mapped.count <= limit else { return .failure(.tooLarge(mapped.count)) }
        do { return .success(SmallArray(shape: mapped.shape, values: try mapped.doubles(range: 0..<mapped.count))) } catch {
            return .failure(.unreadable(TangentError.userText(error) ?? "unreadable"))
        }
    }
}
