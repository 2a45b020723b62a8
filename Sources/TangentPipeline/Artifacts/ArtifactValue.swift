import TangentCore
import Foundation

/// The kind of artifact a stage produces or consumes; input slots accept only the kind they declare (or `any`).
public struct ArtifactKind: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let dataset: ArtifactKind = "dataset"
    public static let model: ArtifactKind = "model"
    public static let trajectory: ArtifactKind = "trajectory"
    public static let kernels: ArtifactKind = "kernels"
    public static let table: ArtifactKind = "table"
    public static let report: ArtifactKind = "report"
    /// In an input slot: accepts every kind.
    public static let any: ArtifactKind = "any"

    func accepts(_ other: ArtifactKind) -> Bool { self == .any || self == other }
}

/// One kind of artifact, owning both its writing into a stage's folder and its reading back.
///
/// A stage returns its `Output` (an `ArtifactValue`); the engine calls `write(to:)` on the stage's fresh folder,
/// records the files, and later stages (in this run or a re-run that reuses the result) get it back through
/// `init(reading:)`. `Shape` is what validation knows of the artifact without computing it (sizes, dimensions);
/// a stage's `validate` returns its output's shape and sees its inputs' shapes.
public protocol ArtifactValue: InputValue where Shape: Sendable {
    static var kind: ArtifactKind { get }
    /// What validation would know of this artifact.
    var shape: Shape { get }
    /// Reads the artifact from a finished stage folder (large arrays lazily, memory-mapped).
    init(reading folder: ArtifactFolder) throws
    /// Writes the artifact into the stage's folder (arrays the stage already streamed there stay as they are).
    func write(to writer: ArtifactWriter) throws
    /// This artifact type's shape from what an upstream stage's `validate` returned.
    static func shape(of upstream: any Sendable) throws -> Shape
}

extension ArtifactValue {
    public static func shape(of upstream: any Sendable) throws -> Shape {
        guard let shape = upstream as? Shape else {
            throw PipelineError(.artifact, "internal error: a \(kind) input received the shape \(type(of: upstream))")
        }
        return shape
    }
}

/// Any artifact, for slots that accept every kind (`ordering only`): gives access to the upstream folder.
public struct AnyArtifact: ArtifactValue {
    public struct Shape: Sendable {}
    public static var kind: ArtifactKind { .any }
    public let folder: ArtifactFolder
    public var shape: Shape { Shape() }
    public init(reading folder: ArtifactFolder) throws { self.folder = folder }
    public func write(to writer: ArtifactWriter) throws {
        throw PipelineError(.artifact, "internal error: AnyArtifact is an input type only")
    }
    public static func shape(of upstream: any Sendable) throws -> Shape { Shape() }
}

/// What validation knows of a table: nothing beyond its existence.
public struct TableShape: Sendable, Equatable {
    public init() {}
}
