internal import CKernels

extension Matrix where Scalar == Double {
    /// Writes the per-sample Jacobian of one dense layer h = α·W·x + β·b (W: fanOut × fanIn, b: fanOut) into this
    /// matrix J (N × total parameters, one row per sample μ), starting at column `c`:
    ///
    ///     J[μ, c + i·fanIn + j]        = α·δ[μ, i]·x[μ, j]    (∂f/∂W_ij, W row-major)
    ///     J[μ, c + fanOut·fanIn + i]   = β·δ[μ, i]            (∂f/∂b_i, only when `biasMultiplier` is given)
    ///
    /// where δ = `signals` (N × fanOut) holds δ[μ, i] = ∂f(x_μ)/∂h_i, the layer's backward signals, and x = `inputs`
    /// (N × fanIn) the layer's inputs. One C kernel pass (OpenMP over samples); other columns are left untouched.
    ///
    /// - Returns: the number of columns written, fanOut·fanIn (+ fanOut with a bias): the next layer's `c`.
    /// - Throws: `NumericsError.shapeMismatch` when the row counts differ or the layer does not fit in J's columns.
    @discardableResult
    public mutating func setDenseLayerJacobian(signals delta: Matrix, inputs x: Matrix, weightMultiplier alpha: Double,
                                               biasMultiplier beta: Double?, atColumn c: Int) throws -> Int {
        let (n, fanOut, fanIn) = (rows, delta.columns, x.columns)
        guard delta.rows == n, x.rows == n else {
            throw NumericsError(.shapeMismatch, "dense-layer Jacobian: J has \(n) rows (samples), the signals "
                                + "\(delta.rows) and the inputs \(x.rows)")
        }
        let width = fanOut * fanIn + (beta == nil ? 0 : fanOut)
        guard c >= 0, c + width <= columns else {
            throw NumericsError(.shapeMismatch, "dense-layer Jacobian: columns \(c)..<\(c + width) of a \(fanOut)×\(fanIn) "
                                + "layer\(beta == nil ? "" : " with bias") do not fit in J's \(columns) columns")
        }
        guard n > 0, width > 0 else { return width }
        // The kernel skips the bias block when β = 0; its entries are then β·δ = 0.
        if let beta, beta == 0 {
            for mu in 0..<n {
                let start = mu * columns + c + fanOut * fanIn
                for i in 0..<fanOut { elements[start + i] = 0 }
            }
        }
        let ldj = columns
        tk_dense_jacobian_f64(Int64(n), Int64(fanOut), Int64(fanIn), alpha, beta ?? 0, delta.elements, Int64(fanOut),
                              x.elements, Int64(fanIn), &elements, Int64(ldj), Int64(c))
        return width
    }
}
