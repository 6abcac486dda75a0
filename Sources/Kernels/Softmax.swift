import Tensor

/// Row-wise softmax over the last dimension (torch.softmax(x, dim=-1)), numerically stable: the
/// row maximum is subtracted before exponentiating with `FastMath.exp`.
///
/// Sizes: `rows` rows of `cols` values each.
public enum Softmax {
    /// out[r] = softmax(inp[r]) for every row. `out` may alias `inp`.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (rows, cols)
        inp: UnsafePointer<Float>,  // (rows, cols)
        rows: Int, cols: Int
    ) {
        precondition(rows >= 0 && cols > 0, "Softmax.forward: bad sizes rows \(rows), cols \(cols)")
        for r in 0..<rows { forwardRow(out + r * cols, inp + r * cols, cols) }
    }

    /// dinp += out * (dout - sum(out * dout)) row by row; ACCUMULATED into `dinp`, which must not
    /// alias `dout`.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (rows, cols)
        dout: UnsafePointer<Float>,  // (rows, cols)
        out: UnsafePointer<Float>,  // (rows, cols) the forward's output
        rows: Int, cols: Int
    ) {
        precondition(rows >= 0 && cols > 0, "Softmax.backward: bad sizes rows \(rows), cols \(cols)")
        for r in 0..<rows {
            let y = out + r * cols, g = dout + r * cols, dx = dinp + r * cols
            let dotYG = VectorOps.dot(y, g, cols)
            let dv = SIMD16<Float>(repeating: dotYG)
            var i = 0
            while i + 16 <= cols {
                dx.store(dx.vector(at: i).addingProduct(y.vector(at: i), g.vector(at: i) - dv), at: i)
                i += 16
            }
            while i < cols { dx[i] += y[i] * (g[i] - dotYG); i += 1 }
        }
    }

    /// Replaces `grad` (rows, cols), holding d(loss)/d(out), by d(loss)/d(inp) in place (not
    /// accumulated): the attention backward's scratch path.
    static func backwardInPlace(grad: UnsafeMutablePointer<Float>, out: UnsafePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let y = out + r * cols, g = grad + r * cols
            let dotYG = VectorOps.dot(y, g, cols)
            let dv = SIMD16<Float>(repeating: dotYG)
            var i = 0
            while i + 16 <= cols {
                g.store(y.vector(at: i) * (g.vector(at: i) - dv), at: i)
                i += 16
            }
            while i < cols { g[i] = y[i] * (g[i] - dotYG); i += 1 }
        }
    }

    @inline(__always)
    static func forwardRow(_ o: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
        // max
        var mv = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= n { mv = pointwiseMax(mv, x.vector(at: i)); i += 16 }
        var m = mv.max()
        while i < n { m = Swift.max(m, x[i]); i += 1 }
        // exp(x - max) and its sum
        let mb = SIMD16<Float>(repeating: m)
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>()
        i = 0
        while i + 32 <= n {
            let e0 = FastMath.exp(x.vector(at: i) - mb), e1 = FastMath.exp(x.vector(at: i + 16) - mb)
            o.store(e0, at: i)
            o.store(e1, at: i + 16)
            s0 += e0
            s1 += e1
            i += 32
        }
        if i + 16 <= n {
            let e = FastMath.exp(x.vector(at: i) - mb)
            o.store(e, at: i)
            s0 += e
            i += 16
        }
        if i < n {
            // Padding lanes hold -inf, whose exp is 0, so they add nothing to the sum.
            let e = FastMath.exp(x.tail(at: i, count: n - i, fill: -.infinity) - mb)
            o.storeTail(e, at: i, count: n - i)
            s0 += e
        }
        let inv = 1 / (s0 + s1).sum()
        VectorOps.scale(o, inv, n)
    }
}
