/// Memory estimates of the NTK computation (bytes), used to decide on blocking and printed before large runs.
public struct NTKMemory: Sendable {
    public let n: Int
    public let nTest: Int
    public let architecture: MLPArchitecture
    public let bytesPerElement: Int
    public let options: NTKOptions

    public init(n: Int, nTest: Int, architecture: MLPArchitecture, bytesPerElement: Int, options: NTKOptions) {
        self.n = n
        self.nTest = nTest
        self.architecture = architecture
        self.bytesPerElement = bytesPerElement
        self.options = options
    }

    /// The kernels returned: C·N² + N² (+ C·N_test·N, + C²·N² cross, + (L+1)·C·N² per layer).
    public var outputBytes: Int {
        let c = architecture.outputs, l = architecture.layerCount
        var elements = c * n * n + n * n + c * nTest * n
        if options.crossHeads { elements += c * c * n * n }
        if options.perLayer { elements += l * c * n * n }
        return elements * bytesPerElement
    }

    /// The precomputed layer factors A_l (N × N and N_test × N each).
    public var factorBytes: Int { architecture.layerCount * (n * n + nTest * n) * bytesPerElement }

    /// Forward activations and derivatives, and one head's backward signals.
    public var activationBytes: Int {
        let widths = architecture.widths
        let hiddenTotal = widths.dropFirst().dropLast().reduce(0, +)
        return (n + nTest) * (widths[0] + 3 * hiddenTotal) * bytesPerElement
    }

    /// `outputBytes`, `factorBytes` and `activationBytes` in floating point, for sizes whose byte counts would
    /// overflow `Int` (validation of absurd configurations).
    public var outputEstimate: Double {
        let (c, l, n, nt) = (Double(architecture.outputs), Double(architecture.layerCount), Double(n), Double(nTest))
        var elements = c * n * n + n * n + c * nt * n
        if options.crossHeads { elements += c * c * n * n }
        if options.perLayer { elements += l * c * n * n }
        return elements * Double(bytesPerElement)
    }
    public var factorEstimate: Double {
        Double(architecture.layerCount) * (Double(n) * Double(n) + Double(nTest) * Double(n)) * Double(bytesPerElement)
    }
    public var activationEstimate: Double {
        let widths = architecture.widths.map(Double.init)
        let hiddenTotal = widths.dropFirst().dropLast().reduce(0, +)
        return (Double(n) + Double(nTest)) * (widths[0] + 3 * hiddenTotal) * Double(bytesPerElement)
    }

    /// Rows per block so that the per-block temporaries (L+1 factor blocks and a Gram block) fit `budget`.
    public func blockRows(budget: Int) -> Int {
        let perRow = (architecture.layerCount + 2) * n * bytesPerElement
        return max(1, min(max(n, nTest), budget / max(perRow, 1)))
    }
}
