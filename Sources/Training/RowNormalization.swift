import Tensor

/// L2 normalisation of the rows of a (N, D) matrix as `torch.nn.functional.normalize(x, p=2, dim=1,
/// eps=1e-12)`: `out = x / max(||x||, eps)`, the first step of sentence-transformers' `util.cos_sim`.
enum RowNormalization {
    static let epsilon: Float = 1e-12

    /// out (N, D), norms (N) saved for backward, inp (N, D).
    static func forward(
        out: UnsafeMutablePointer<Float>, norms: UnsafeMutablePointer<Float>,
        inp: UnsafePointer<Float>, rows: Int, dimension: Int
    ) {
        for r in 0..<rows {
            let x = inp + r * dimension
            let norm = VectorOps.dot(x, x, dimension).squareRoot()
            norms[r] = norm
            let denominator = max(norm, epsilon)
            let y = out + r * dimension
            for d in 0..<dimension { y[d] = x[d] / denominator }
        }
    }

    /// dinp (N, D) is overwritten (not accumulated), dout (N, D), out (N, D) and norms (N) from forward.
    ///
    /// Differentiates `out = x / max(||x||, eps)`: for ||x|| > eps,
    /// `dx = (dout - out * (out · dout)) / ||x||`; when the clamp is active the norm is a constant and
    /// `dx = dout / eps`.
    static func backward(
        dinp: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, out: UnsafePointer<Float>, norms: UnsafePointer<Float>,
        rows: Int, dimension: Int
    ) {
        for r in 0..<rows {
            let g = dout + r * dimension, y = out + r * dimension, dx = dinp + r * dimension
            if norms[r] > epsilon {
                let projection = VectorOps.dot(y, g, dimension)
                let inverse = 1 / norms[r]
                for d in 0..<dimension { dx[d] = (g[d] - y[d] * projection) * inverse }
            } else {
                for d in 0..<dimension { dx[d] = g[d] / epsilon }
            }
        }
    }
}
