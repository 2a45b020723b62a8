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
    public static let outputKind = ArtifactKind.table
    public static let parameters = [
        Parameter("size", .int, default: .int(100), minimum: 1, maximum: 10_000_000, doc: "number of eigenvalues"),
        Parameter("alpha", .float, default: .double(1.5), minimum: 0, doc: "decay exponent"),
        Parameter("scale", .float, default: .double(1), minimum: 0, doc: "λ_1"),
    ]
    public static let outputs = [
        OutputFile("eigenvalues.npy", doc: "λ_k, shape (size,)"),
        OutputFile("summary.json", doc: "`trace`: Σ_k λ_k"),
    ]

    public static func run(inputs: StageInputs, parameters: Parameters, context: StageContext) throws -> Artifact {
        let (n, alpha, scale) = (parameters.int("size"), parameters.double("alpha"), parameters.double("scale"))
        let values = (1...n).map { scale * pow(Double($0), -alpha) }
        context.log("generated \(n) eigenvalues")
        return Artifact(kind: .table, arrays: ["eigenvalues": NPYArray(vector: values)],
                        summary: ["trace": .double(values.reduce(0, +)), "alpha": .double(alpha)])
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
