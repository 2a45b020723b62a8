import TangentCore
import TangentNTK
import TangentPipeline

/// A `model` artifact: an MLP. `weights.npz` holds `W0, b0, W1, b1, …` (W_l of shape (fan_out, fan_in), b_l of
/// shape (fan_out,), biases only when the architecture has them); `summary.json` holds the architecture
/// (`input_dim`, `hidden`, `outputs`, `activation`, `bias`, `parametrization`, `init_scale`, `bias_scale`,
/// `gamma0`) and `parameter_count`. Its shape is the architecture.
extension MLP: ArtifactValue {
    public typealias Shape = MLPArchitecture
    public static var kind: ArtifactKind { .model }
    public var shape: MLPArchitecture { architecture }

    /// The npz members W0, b0, W1, … in order.
    public var namedArrays: [(name: String, array: NPYArray)] {
        var out: [(name: String, array: NPYArray)] = []
        for l in 0..<weights.count {
            out.append(("W\(l)", NPYArray(weights[l])))
            if architecture.bias { out.append(("b\(l)", NPYArray(vector: biases[l]))) }
        }
        return out
    }

    public func write(to writer: ArtifactWriter) throws {
        try writer.writeArchive(namedArrays, as: "weights.npz")
        var summary = architecture.summary
        summary["parameter_count"] = .int(architecture.parameterCount)
        try writer.writeSummary(summary)
    }

    public init(reading folder: ArtifactFolder) throws {
        let source = "stage `\(folder.stageID)`"
        let architecture = try MLPArchitecture(summary: try folder.summary(), source: source)
        let members = try folder.archive("weights.npz")
        try self.init(architecture: architecture, arrays: Dictionary(members.map { ($0.name, $0.array) }) { a, _ in a },
                      source: "weights.npz of \(source)")
    }

    /// A network from named arrays `W0, b0, …`, checking every name and shape against `architecture`.
    /// `source` names the file in errors.
    public init(architecture: MLPArchitecture, arrays: [String: NPYArray], source: String) throws {
        let widths = architecture.widths
        var expected = Set<String>()
        var weights: [Matrix<Double>] = []
        var biases: [[Double]] = []
        for l in 0..<architecture.layerCount {
            let (fanIn, fanOut) = (widths[l], widths[l + 1])
            expected.insert("W\(l)")
            guard let w = arrays["W\(l)"] else {
                throw PipelineError(.artifact, "\(source) has no array W\(l): the declared architecture \(widths) needs "
                                    + "W0…W\(architecture.layerCount - 1) of shape (fan_out, fan_in)")
            }
            guard w.shape == [fanOut, fanIn] else {
                throw PipelineError(.artifact, "\(source): W\(l) has shape \(w.shape) but the declared architecture "
                                    + "\(widths) needs (\(fanOut), \(fanIn)) = (fan_out, fan_in)")
            }
            weights.append(try Matrix<Double>(w, name: "W\(l)"))
            if architecture.bias {
                expected.insert("b\(l)")
                guard let b = arrays["b\(l)"] else {
                    throw PipelineError(.artifact, "\(source) has no array b\(l), but the architecture has biases "
                                        + "(set bias: false if the file has none)")
                }
                guard b.shape == [fanOut] else {
                    throw PipelineError(.artifact, "\(source): b\(l) has shape \(b.shape) but the declared architecture needs (\(fanOut),)")
                }
                biases.append(b.asDoubles())
            } else {
                biases.append([])
            }
        }
        if let extra = Set(arrays.keys).subtracting(expected).sorted().first {
            throw PipelineError(.artifact, "\(source) has an array `\(extra)` that the declared architecture \(widths) "
                                + "(bias: \(architecture.bias)) does not use; expected only \(expected.sorted().joined(separator: ", "))")
        }
        try self.init(architecture: architecture, weights: weights, biases: biases)
    }
}

extension MLPArchitecture {
    /// The architecture as summary fields.
    public var summary: [String: Value] {
        [
            "input_dim": .int(inputDimension), "hidden": .list(hidden.map(Value.int)), "outputs": .int(outputs),
            "activation": .string(activation.rawValue), "bias": .bool(bias),
            "parametrization": .string(parametrization.rawValue), "init_scale": .double(initScale),
            "bias_scale": .double(biasScale), "gamma0": .double(gamma0),
        ]
    }

    /// Reads the architecture fields of a summary.
    public init(summary s: [String: Value], source: String) throws {
        guard let d = s["input_dim"]?.intValue, let hidden = s["hidden"]?.listValue?.compactMap(\.intValue),
              let c = s["outputs"]?.intValue, let act = s["activation"]?.stringValue.flatMap(Activation.init(rawValue:)),
              let bias = s["bias"]?.boolValue,
              let param = s["parametrization"]?.stringValue.flatMap(Parametrization.init(rawValue:)),
              let sigma = s["init_scale"]?.doubleValue, let sigmaB = s["bias_scale"]?.doubleValue,
              let gamma0 = s["gamma0"]?.doubleValue
        else {
            throw PipelineError(.artifact, "\(source) does not describe a model architecture (summary: \(Value.object(s).canonicalJSON))")
        }
        self.init(inputDimension: d, hidden: hidden, outputs: c, activation: act, bias: bias, parametrization: param,
                  initScale: sigma, biasScale: sigmaB, gamma0: gamma0)
    }
}
