import Foundation
import TangentCore
import TangentPipeline

/// `example.fit_exponent`: reads a spectrum from an upstream stage and fits λ_k ≈ c·k^(−α) by least squares of
/// log λ_k on log k over k = first … last. Shows a plugin stage that reads an input artifact, checks its
/// parameters before anything runs, and writes arrays.
public struct PowerLawFit: Stage {
    public static let name = "example.fit_exponent"
    public static let summary = "Fits λ_k ≈ c·k^(−α) to an upstream stage's eigenvalues (an example plugin stage)."
    public static let outputs = [
        OutputFile("log_k.npy", doc: "log k over the fitted range"),
        OutputFile("fitted.npy", doc: "c·k^(−α) over the fitted range"),
        OutputFile("summary.json", doc: "`alpha` and `coefficient` c"),
    ]

    @Input("a table with eigenvalues.npy (e.g. example.power_law or analysis stages)") var spectrum: Table
    @Param("first k of the fit (1-based)", minimum: 1) var first = 1
    @Param("last k of the fit (default: all)", minimum: 2) var last: Int?

    public init() {}

    public func validate(_ check: inout StageCheck) throws -> TableShape {
        if let last {
            check.require(first < last, $first, "is \(first), not below last = \(last)", remedy: "fit at least two points")
        }
        return TableShape()
    }

    public func run(_ context: StageContext) throws -> Table {
        let lambda = try spectrum.array("eigenvalues").asDoubles()
        let upper = min(last ?? lambda.count, lambda.count)
        guard upper - first >= 1, lambda[(first - 1)..<upper].allSatisfy({ $0 > 0 }) else {
            throw PipelineError(.stageFailed, "\(Self.name): need at least two positive eigenvalues in k = \(first) … \(upper)")
        }
        let x: [Double] = (first...upper).map { log(Double($0)) }
        let y: [Double] = lambda[(first - 1)..<upper].map { log($0) }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0
        for (xi, yi) in zip(x, y) {
            sxy += (xi - mx) * (yi - my)
            sxx += (xi - mx) * (xi - mx)
        }
        let slope = sxy / sxx
        let coefficient = exp(my - slope * mx)
        context.log("α = \(-slope) over k = \(first) … \(upper)")
        return Table(arrays: ["log_k": NPYArray(vector: x), "fitted": NPYArray(vector: x.map { (xi: Double) -> Double in coefficient * exp(slope * xi) })],
                     summary: ["alpha": .double(-slope), "coefficient": .double(coefficient)])
    }
}
