import TangentCore

/// Empirical neural tangent kernels of an MLP on inputs X (N samples) and optionally X_test (N_test samples).
///
/// Θ^c(x, x') = Σ_θ ∂f_c(x)/∂θ · ∂f_c(x')/∂θ, one kernel per output head c. Shapes (row-major):
/// `heads` C × (N × N), `trace` = Σ_c Θ^c (N × N), `test` C × (N_test × N) with Θ^c(x_test, x),
/// `cross` C × C × (N × N) with Θ^{c,d}(x, x') = ∂f_c(x)/∂θ · ∂f_d(x')/∂θ, `layers` (L+1) × C × (N × N).
public struct EmpiricalNTK<Scalar: TangentScalar>: Sendable {
    public var heads: [Matrix<Scalar>]
    public var trace: Matrix<Scalar>
    public var test: [Matrix<Scalar>]
    public var cross: [[Matrix<Scalar>]]?
    public var layers: [[Matrix<Scalar>]]?
    /// True when the layer factors did not fit the memory budget and rows were processed in blocks.
    public var blocked: Bool
}

/// The forward quantities the kernel needs, in the kernel's precision: x_0 … x_L and φ'(h_1) … φ'(h_L).
typealias NTKForward<Scalar: TangentScalar> = LayerWalk<Scalar>

/// Computes the empirical NTK by the layer factorization (the Jacobian is never materialized):
///
///   Θ^c(x, x') = Σ_l [ c_W·a_l²·(x_{l−1}(x)·x_{l−1}(x')) + c_b·β_l² ] · (δ^c_l(x)·δ^c_l(x'))
///
/// with δ^c_l = ∂f_c/∂h_l the backward signal of head c (δ^c_{L+1} = e_c, δ^c_l = (a_{l+1}·W_{l+1}ᵀ·δ^c_{l+1}) ⊙ φ'(h_l)),
/// c_W = c_b = 1 for `.parameters` weighting or the learning-rate factors for `.learningRate`, and the bias term only
/// when the network has biases. Each layer costs two Gram products (SYRK) and a fused Hadamard accumulate.
///
/// With `headSink`, each head's kernel Θ^c (and its test block) is handed over as soon as it is computed, in head
/// order, and not kept: the result's `heads` and `test` are then empty (its `trace` is complete). A caller that
/// writes the kernels out can so overlap the writing with the next head's computation and hold fewer kernels.
public func empiricalNTK<Scalar: TangentScalar>(_ model: MLP, inputs x: Matrix<Double>, testInputs: Matrix<Double>? = nil,
                                               options: NTKOptions = NTKOptions(), as _: Scalar.Type = Scalar.self,
                                               headSink: ((_ head: Int, _ kernel: Matrix<Scalar>, _ test: Matrix<Scalar>?) throws -> Void)? = nil,
                                               progress: (Int, Int) -> Void = { _, _ in }) throws -> EmpiricalNTK<Scalar> {
    let arch = model.architecture
    guard x.columns == arch.inputDimension else {
        throw NumericsError(.shapeMismatch, "the model takes \(arch.inputDimension) input features, X has \(x.columns)")
    }
    if let t = testInputs, t.rows > 0, t.columns != arch.inputDimension {
        throw NumericsError(.shapeMismatch, "the model takes \(arch.inputDimension) input features, X_test has \(t.columns)")
    }
    let n = x.rows, c = arch.outputs, layerCount = arch.layerCount
    let weights = model.weights.map { $0.converted(to: Scalar.self) }
    let biases = model.biases.map { $0.map { Scalar($0) } }
    let train = try model.walk(x.converted(to: Scalar.self), weights: weights, biases: biases, keepDerivatives: true)
    let hasTest = (testInputs?.rows ?? 0) > 0
    let test = hasTest
        ? try model.walk(testInputs!.converted(to: Scalar.self), weights: weights, biases: biases, keepDerivatives: true) : nil

    // Layer factors A_l = c_W·a_l²·X_{l−1}·X_{l−1}ᵀ + c_b·β_l² (and the test-by-train blocks).
    func factorScales(_ l: Int) -> (Scalar, Scalar) { arch.ntkFactorScales(layer: l, weighting: options.weighting) }
    func factor(_ l: Int) -> Matrix<Scalar> {
        let (w, b) = factorScales(l)
        var a = train.inputs[l].gram(alpha: w)
        if b != 0 { a.addConstant(b) }
        return a
    }
    func testFactor(_ l: Int) throws -> Matrix<Scalar> {
        try layerFactor(test!.inputs[l], train.inputs[l], scales: factorScales(l))
    }

    /// δ^c_l for every layer l = 0 … L (0-based; the output layer's is the constant e_c and is not stored).
    func backwardSignals(head: Int, _ pass: NTKForward<Scalar>) throws -> [Matrix<Scalar>] {
        var signals = [Matrix<Scalar>](repeating: Matrix(rows: 0, columns: 0), count: layerCount)
        var delta: Matrix<Scalar>? = nil
        for l in stride(from: layerCount - 2, through: 0, by: -1) {
            delta = try nextSignal(head: head, layer: l, previous: delta, pass)
            signals[l] = delta!
        }
        return signals
    }

    let memory = NTKMemory(n: n, nTest: testInputs?.rows ?? 0, architecture: arch,
                           bytesPerElement: MemoryLayout<Scalar>.size, options: options)
    let blocked = options.memoryBudget.map { memory.factorBytes > $0 } ?? false
    var result = EmpiricalNTK<Scalar>(heads: [], trace: Matrix(rows: 0, columns: 0), test: [], cross: nil,
                                      layers: options.perLayer ? [] : nil, blocked: blocked)
    let totalWork = options.crossHeads ? layerCount : c
    if options.crossHeads {
        try crossHeadKernels(&result)
    } else if blocked {
        try blockedKernels(&result, blockRows: memory.blockRows(budget: options.memoryBudget!))
    } else {
        try headKernels(&result)
    }
    if result.trace.rows != n {
        var trace = result.heads.first ?? Matrix(rows: n, columns: n)
        for head in result.heads.dropFirst() { trace += head }
        result.trace = trace
    }
    if let headSink, !result.heads.isEmpty {  // paths that keep every head: hand them over now
        for (c, head) in result.heads.enumerated() { try headSink(c, head, hasTest ? result.test[c] : nil) }
        result.heads = []
        result.test = []
    }
    progress(totalWork, totalWork)
    return result

    // Per head: Θ^c = A_L ⊙ 1 + Σ_{l<L} A_l ⊙ (δ^c_l·δ^c_lᵀ), with every A_l precomputed (upper triangles only).
    // The fused C kernel accumulates A_l ⊙ (δδᵀ) without storing the Gram; the backward signals are made one
    // layer at a time; the output layer's factor waits in the trace buffer, which is only filled at the end.
    func headKernels(_ r: inout EmpiricalNTK<Scalar>) throws {
        func upperFactor(_ l: Int) throws -> Matrix<Scalar> {
            let (w, b) = factorScales(l)
            var a = Matrix<Scalar>(rows: n, columns: n, repeating: b)
            try a.addUpperGramHadamard(of: train.inputs[l], alpha: w)
            return a
        }
        let last = layerCount - 1
        var factors = try (0..<last).map(upperFactor)
        var outputFactor = try upperFactor(last)
        // Streaming heads out, the trace is summed as they come (each head is then released).
        let streaming = headSink != nil
        var runningTrace = Matrix<Scalar>(rows: streaming ? n : 0, columns: streaming ? n : 0)
        let testFactors = hasTest ? try (0..<layerCount).map(testFactor) : []
        if options.perLayer { r.layers = (0..<layerCount).map { _ in [] } }
        for head in 0..<c {
            // Θ starts as the output factor; without per_layer the first signal Gram writes A_L + A_l ⊙ (δδᵀ)
            // straight into a fresh buffer instead of copying A_L into it first.
            var theta = options.perLayer || last == 0 ? outputFactor : Matrix<Scalar>(rows: 0, columns: 0)
            var thetaTest = hasTest ? testFactors[last] : Matrix(rows: 0, columns: n)
            if options.perLayer {
                var output = outputFactor
                output.symmetrizeFromUpper()
                r.layers![last].append(output)
            }
            // δ of the last hidden layer, then δ_{l−1} = (a_l·δ_l·W_l) ⊙ φ'(h_{l−1}).
            var delta: Matrix<Scalar>? = nil, deltaTest: Matrix<Scalar>? = nil
            for l in stride(from: last - 1, through: 0, by: -1) {
                delta = try nextSignal(head: head, layer: l, previous: delta, train)
                if hasTest { deltaTest = try nextSignal(head: head, layer: l, previous: deltaTest, test!) }
                if options.perLayer {
                    var contribution = Matrix<Scalar>(rows: n, columns: n)
                    try contribution.addUpperGramHadamard(of: delta!, factor: factors[l])
                    theta += contribution
                    contribution.symmetrizeFromUpper()
                    r.layers![l].append(contribution)
                } else if l == last - 1 {
                    theta = try Matrix.upperGramHadamard(of: delta!, factor: factors[l], plus: outputFactor)
                } else {
                    try theta.addUpperGramHadamard(of: delta!, factor: factors[l])
                }
                if hasTest {
                    thetaTest.addHadamard(testFactors[l], try deltaTest!.matmul(delta!, transposeOther: true))
                }
            }
            theta.symmetrizeFromUpper()
            if let headSink {
                runningTrace += theta
                try headSink(head, theta, hasTest ? thetaTest : nil)
            } else {
                r.heads.append(theta)
                if hasTest { r.test.append(thetaTest) }
            }
            progress(head + 1, c)
        }
        if streaming {
            r.trace = runningTrace
            return
        }
        // The trace reuses the output factor's buffer (the peak of memory is here, with every head allocated).
        factors = []
        var trace = consume outputFactor
        trace.fill(0)
        for theta in r.heads { trace += theta }
        r.trace = trace
    }

    /// δ^c_l (0-based layer l ≤ L−1) from δ^c_{l+1} (nil for the last hidden layer, where δ_{L+1} = e_c).
    func nextSignal(head: Int, layer l: Int, previous: Matrix<Scalar>?, _ pass: NTKForward<Scalar>) throws -> Matrix<Scalar> {
        try backwardSignal(head: head, layer: l, previous: previous, rows: pass.inputs[0].rows, weights: weights,
                           derivative: pass.derivatives[l], architecture: arch)
    }

    // Rows in blocks when the factors do not fit: A_l[rows] and (δ_l[rows]·δ_lᵀ) recomputed per head by GEMM.
    func blockedKernels(_ r: inout EmpiricalNTK<Scalar>, blockRows: Int) throws {
        if options.perLayer { r.layers = (0..<layerCount).map { _ in [] } }
        for head in 0..<c {
            var theta = Matrix<Scalar>(rows: n, columns: n)
            var thetaTest = Matrix<Scalar>(rows: testInputs?.rows ?? 0, columns: n)
            var perLayer = options.perLayer ? (0..<layerCount).map { _ in Matrix<Scalar>(rows: n, columns: n) } : []
            let signals = try backwardSignals(head: head, train)
            let testSignals = hasTest ? try backwardSignals(head: head, test!) : []
            var jobs = [(pass: train, signals: signals, isTest: false)]
            if hasTest { jobs.append((test!, testSignals, true)) }
            for (pass, sig, isTest) in jobs {
                let rowsTotal = pass.inputs[0].rows
                for start in stride(from: 0, to: rowsTotal, by: blockRows) {
                    let range = start..<min(start + blockRows, rowsTotal)
                    var block = Matrix<Scalar>(rows: range.count, columns: n)
                    for l in 0..<layerCount {
                        var a = try layerFactor(pass.inputs[l].rows(range), train.inputs[l], scales: factorScales(l))
                        if l < layerCount - 1 {
                            a.multiplyElementwise(by: try sig[l].rows(range).matmul(signals[l], transposeOther: true))
                        }
                        block = block + a
                        if options.perLayer && !isTest { perLayer[l].setRows(range, from: a) }
                    }
                    if isTest { thetaTest.setRows(range, from: block) } else { theta.setRows(range, from: block) }
                }
            }
            r.heads.append(theta)
            if hasTest { r.test.append(thetaTest) }
            if options.perLayer { for l in 0..<layerCount { r.layers![l].append(perLayer[l]) } }
            progress(head + 1, c)
        }
    }

    // Cross-head blocks: every head's δ at one layer at a time; Θ^{c,d} += A_l ⊙ (δ^c_l·δ^dᵀ_l).
    func crossHeadKernels(_ r: inout EmpiricalNTK<Scalar>) throws {
        let signals = try (0..<c).map { try backwardSignals(head: $0, train) }
        let testSignals = hasTest ? try (0..<c).map { try backwardSignals(head: $0, test!) } : []
        let outputFactor = factor(layerCount - 1)
        var cross = (0..<c).map { i in (0..<c).map { j in i == j ? outputFactor : Matrix<Scalar>(rows: n, columns: n) } }
        let outputTestFactor = hasTest ? try testFactor(layerCount - 1) : Matrix(rows: 0, columns: n)
        var tests = (0..<c).map { _ in outputTestFactor }
        if options.perLayer {
            r.layers = (0..<layerCount).map { l in (0..<c).map { _ in l == layerCount - 1 ? outputFactor : Matrix(rows: n, columns: n) } }
        }
        for l in 0..<(layerCount - 1) {
            let a = factor(l)
            let at = hasTest ? try testFactor(l) : Matrix(rows: 0, columns: n)
            for i in 0..<c {
                for j in i..<c {
                    let g = i == j ? signals[i][l].gram() : try signals[i][l].matmul(signals[j][l], transposeOther: true)
                    cross[i][j].addHadamard(a, g)
                    if i == j, options.perLayer { r.layers![l][i] = a.hadamard(g) }
                }
                if hasTest { tests[i].addHadamard(at, try testSignals[i][l].matmul(signals[i][l], transposeOther: true)) }
            }
            progress(l + 1, layerCount)
        }
        for i in 0..<c { for j in 0..<i { cross[i][j] = cross[j][i].transposed } }
        r.heads = (0..<c).map { cross[$0][$0] }
        r.cross = cross
        r.test = hasTest ? tests : []
    }
}

extension Matrix {
    /// Overwrites rows `range` with `block` (block.rows == range.count).
    mutating func setRows(_ range: Range<Int>, from block: Matrix) {
        precondition(block.rows == range.count && block.columns == columns, "setRows shape")
        elements.replaceSubrange(range.lowerBound * columns..<range.upperBound * columns, with: block.elements)
    }
}

/// δ^c_l (0-based layer l ≤ L−1) of a batch of `rows` samples from δ^c_{l+1} (nil for the last hidden layer, where
/// δ_{L+1} = e_c): δ^c_l = (a_{l+1}·δ^c_{l+1}·W_{l+1}) ⊙ φ'(h_l). Shared by the in-memory and out-of-core kernels.
func backwardSignal<Scalar: TangentScalar>(head: Int, layer l: Int, previous: Matrix<Scalar>?, rows: Int,
                                           weights: [Matrix<Scalar>], derivative: Matrix<Scalar>,
                                           architecture arch: MLPArchitecture) throws -> Matrix<Scalar> {
    let a = Scalar(arch.scaling(layer: l + 1).weightMultiplier)
    var delta: Matrix<Scalar>
    if let previous {
        delta = try previous.matmul(weights[l + 1], alpha: a)
    } else {
        delta = Matrix<Scalar>(rows: rows, columns: weights[l + 1].columns)
        delta.addToEveryRow(weights[l + 1].row(head).map { a * $0 })
    }
    delta.multiplyElementwise(by: derivative)
    return delta
}

/// The layer factor A_l = w·X·Yᵀ + b of two batches' layer inputs (GEMM), with (w, b) = (c_W·a_l², c_b·β_l²) from
/// `MLPArchitecture.ntkFactorScales`.
func layerFactor<Scalar: TangentScalar>(_ x: Matrix<Scalar>, _ y: Matrix<Scalar>, scales: (Scalar, Scalar)) throws -> Matrix<Scalar> {
    var a = try x.matmul(y, transposeOther: true, alpha: scales.0)
    if scales.1 != 0 { a.addConstant(scales.1) }
    return a
}
