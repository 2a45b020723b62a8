import Foundation
import TangentCore
import TangentPipeline

/// `example.power_law`: a kernel spectrum λ_k = scale·k^(−α), k = 1…size, the shape assumed by kernel-regression
/// learning-curve theory. Produces `eigenvalues.npy` and a summary with the trace Σ_k λ_k.
public struct PowerLawSpectrum: Stage {
    public static let name = "example.power_law"
    public static let version = 1
    public static let summary = "A power-law spectrum λ_k = scale·k^(−alpha) (an example plugin stage)."
    public static let doc = """
        Writes eigenvalues.npy with λ_k = scale·k^(−alpha) for k = 1…size and summary.json with their sum.
        It shows how a plugin declares parameters with types, defaults and ranges.
        """
    public static let outputs = [
        OutputFile("eigenvalues.npy", doc: "λ_k, shape (size,)"),
        OutputFile("summary.json", doc: "`trace`: Σ_k λ_k"),
    ]

    @Param("number of eigenvalues", minimum: 1, maximum: 10_000_000) var size = 100
    @Param("decay exponent", minimum: 0) var alpha = 1.5
    @Param("λ_1", minimum: 0) var scale = 1.0

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        check.needsMemory(8 * Double(size), for: "the eigenvalues")
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        let values = (1...size).map { scale * pow(Double($0), -alpha) }
        context.log("generated \(size) eigenvalues")
        return Table(arrays: ["eigenvalues": NPYArray(vector: values)],
                     summary: ["trace": .double(values.reduce(0, +)), "alpha": .double(alpha)])
    }
}
