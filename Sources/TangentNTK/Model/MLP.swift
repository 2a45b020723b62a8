import TangentCore

/// A fully connected network: its architecture and trainable parameters W_l (fan_out × fan_in) and b_l.
public struct MLP: Sendable, Equatable {
    public let architecture: MLPArchitecture
    /// W_1 … W_{L+1}, each n_l × n_{l−1}.
    public var weights: [Matrix<Double>]
    /// b_1 … b_{L+1} (empty arrays when the architecture has no biases).
    public var biases: [[Double]]

    /// A network with the given parameters; throws when a shape does not fit the architecture.
    public init(architecture: MLPArchitecture, weights: [Matrix<Double>], biases: [[Double]]? = nil) throws {
        let widths = architecture.widths
        guard weights.count == architecture.layerCount else {
            throw NumericsError(.shapeMismatch, "expected \(architecture.layerCount) weight matrices, got \(weights.count)")
        }
        for (l, w) in weights.enumerated() where w.rows != widths[l + 1] || w.columns != widths[l] {
            throw NumericsError(.shapeMismatch,
                                "W\(l) has shape (\(w.rows), \(w.columns)) but the architecture needs (\(widths[l + 1]), \(widths[l])) = (fan_out, fan_in)")
        }
        let b = biases ?? (0..<architecture.layerCount).map { architecture.bias ? [Double](repeating: 0, count: widths[$0 + 1]) : [] }
        for (l, bl) in b.enumerated() where bl.count != (architecture.bias ? widths[l + 1] : 0) {
            throw NumericsError(.shapeMismatch,
                                "b\(l) has \(bl.count) entries but the architecture needs \(architecture.bias ? widths[l + 1] : 0)")
        }
        self.architecture = architecture
        self.weights = weights
        self.biases = b
    }

    /// A freshly initialized network, drawing every parameter from `rng` (layer by layer, W then b).
    public init(architecture: MLPArchitecture, rng: inout Xoshiro256StarStar) throws {
        guard architecture.inputDimension >= 1, architecture.outputs >= 1, architecture.hidden.allSatisfy({ $0 >= 1 }) else {
            throw NumericsError(.invalidArgument, "every width must be at least 1, got \(architecture.widths)")
        }
        let widths = architecture.widths
        var weights: [Matrix<Double>] = []
        var biases: [[Double]] = []
        for l in 0..<architecture.layerCount {
            let s = architecture.scaling(layer: l)
            var w = Matrix<Double>.randomNormal(rows: widths[l + 1], columns: widths[l], std: s.weightInitStd, using: &rng)
            if let target = s.spectralInitNorm {
                let norm = try w.spectralNorm()
                if norm > 0 { w = (target / norm) * w }
            }
            weights.append(w)
            biases.append(architecture.bias ? rng.normals(widths[l + 1], std: s.biasInitStd) : [])
        }
        try self.init(architecture: architecture, weights: weights, biases: biases)
    }

    /// All parameters flattened in the order W_1, b_1, W_2, b_2, … (for optimizers and finite differences).
    public var flatParameters: [Double] {
        var out: [Double] = []
        out.reserveCapacity(architecture.parameterCount)
        for l in 0..<weights.count {
            out += weights[l].elements
            out += biases[l]
        }
        return out
    }

    /// Replaces all parameters from a flat array in `flatParameters` order.
    public mutating func setFlatParameters(_ flat: [Double]) {
        precondition(flat.count == architecture.parameterCount, "wrong number of parameters")
        var offset = 0
        for l in 0..<weights.count {
            let n = weights[l].count
            weights[l].elements = Array(flat[offset..<offset + n])
            offset += n
            let m = biases[l].count
            biases[l] = Array(flat[offset..<offset + m])
            offset += m
        }
    }
}
