// TEMPORARY stub until the results helper lands.
import Foundation
public struct SweepPointResult: @unchecked Sendable {
    public var name: String
    public var overrides: [(key: String, value: String)]
    public var folder: URL
    public init(name: String, overrides: [(key: String, value: String)], folder: URL) {
        self.name = name; self.overrides = overrides; self.folder = folder
    }
}
public struct SweepTables: Sendable { public var warnings: [String] = []; public var aggregateCSV = ""; public var aggregateJSON = ""; public var aggregateText = "" }
public enum SweepResults {
    public static func readAggregate(at out: URL) throws -> SweepTables { SweepTables() }
    public static func write(points: [SweepPointResult], axes: [String], groupOver: String = "seed", to out: URL) throws -> SweepTables { SweepTables() }
}
