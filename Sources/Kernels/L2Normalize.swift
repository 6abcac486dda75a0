import Tensor

/// Row-wise L2 normalisation, sentence-transformers `Normalize` =
/// `torch.nn.functional.normalize(x, p=2, dim=1, eps=1e-12)`: out = x / max(||x||, eps).
///
/// Sizes: B rows (sentences), C channels.
public enum L2Normalize {
    public static let eps: Float = 1e-12

    /// out[b] = inp[b] / max(||inp[b]||, eps); `norms` (B) receives ||inp[b]|| for backward.
    /// `out` may alias `inp`.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (B, C)
        norms: UnsafeMutablePointer<Float>,  // (B) saved for backward
        inp: UnsafePointer<Float>,  // (B, C)
        b: Int, c: Int
    ) {
        precondition(b >= 0 && c > 0, "L2Normalize.forward: bad sizes b \(b), c \(c)")
        for row in 0..<b {
            let x = inp + row * c
            let norm = VectorOps.dot(x, x, c).squareRoot()
            norms[row] = norm
            let o = out + row * c
            if o != UnsafeMutablePointer(mutating: x) { o.update(from: x, count: c) }
            VectorOps.scale(o, 1 / Swift.max(norm, eps), c)
        }
    }

    /// Gradients of `forward`, ACCUMULATED (+=) into `dinp`:
    /// dinp += (dout - out * (out · dout)) / ||x|| when ||x|| > eps, else dout / eps.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (B, C)
        dout: UnsafePointer<Float>,  // (B, C)
        out: UnsafePointer<Float>,  // (B, C) the forward's output
        norms: UnsafePointer<Float>,  // (B)
        b: Int, c: Int
    ) {
        precondition(b >= 0 && c > 0, "L2Normalize.backward: bad sizes b \(b), c \(c)")
        for row in 0..<b {
            let y = out + row * c, g = dout + row * c, dx = dinp + row * c
            let norm = norms[row]
            if norm > eps {
                let inv = 1 / norm
                VectorOps.axpy(inv, g, dx, c)
                VectorOps.axpy(-VectorOps.dot(y, g, c) * inv, y, dx, c)
            } else {
                VectorOps.axpy(1 / eps, g, dx, c)
            }
        }
    }
}
