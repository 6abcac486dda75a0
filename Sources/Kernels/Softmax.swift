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
            if cols < 16 {
                for i in 0..<cols { g[i] = y[i] * (g[i] - dotYG) }
                continue
            }
            // The last 16 elements are read before any write (they may overlap the last full vector).
            let last = y.vector(at: cols - 16) * (g.vector(at: cols - 16) - dv)
            var i = 0
            while i + 16 <= cols {
                g.store(y.vector(at: i) * (g.vector(at: i) - dv), at: i)
                i += 16
            }
            if i < cols { g.store(last, at: cols - 16) }
        }
    }

    /// 16 zeros then 16 ones: the vector at offset `rem` keeps the last `rem` lanes. (Building this
    /// mask from a lane-index comparison compiled to a scalar loop with store-forwarding stalls.)
    nonisolated(unsafe) static let tailMask: UnsafePointer<Float> = {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 32)
        for i in 0..<32 { p[i] = i < 16 ? 0 : 1 }
        return UnsafePointer(p)
    }()

    /// One row. Rows of 16 or more handle their last partial vector by reloading the row's last 16
    /// elements (read before anything is written, so `o` may alias `x`); the overlapping lanes are
    /// recomputed to identical values and masked out of the sum.
    @inline(__always)
    static func forwardRow(_ o: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
        if n < 16 {
            let v = x.tail(at: 0, count: n, fill: -.infinity)
            let e = FastMath.exp(v - SIMD16(repeating: v.horizontalMax))
            o.storeTail(e * (1 / e.horizontalSum), at: 0, count: n)
            return
        }
        let full = n - n % 16, rem = n % 16
        let last = x.vector(at: n - 16)
        // max
        var m0 = last, m1 = last
        var i = 0
        while i + 32 <= full {
            let v0 = x.vector(at: i), v1 = x.vector(at: i + 16)
            m0.replace(with: v0, where: v0 .> m0)
            m1.replace(with: v1, where: v1 .> m1)
            i += 32
        }
        if i < full {
            let v = x.vector(at: i)
            m0.replace(with: v, where: v .> m0)
        }
        m0.replace(with: m1, where: m1 .> m0)
        let mb = SIMD16<Float>(repeating: m0.horizontalMax)
        // exp(x - max) and its sum
        let eLast = FastMath.exp(last - mb)
        var s0 = eLast * tailMask.vector(at: rem), s1 = SIMD16<Float>()
        i = 0
        while i + 32 <= full {
            let e0 = FastMath.exp(x.vector(at: i) - mb), e1 = FastMath.exp(x.vector(at: i + 16) - mb)
            o.store(e0, at: i)
            o.store(e1, at: i + 16)
            s0 += e0
            s1 += e1
            i += 32
        }
        if i < full {
            let e = FastMath.exp(x.vector(at: i) - mb)
            o.store(e, at: i)
            s0 += e
        }
        // normalise
        let inv = SIMD16<Float>(repeating: 1 / (s0 + s1).horizontalSum)
        i = 0
        while i < full {
            o.store(o.vector(at: i) * inv, at: i)
            i += 16
        }
        if rem > 0 { o.store(eLast * inv, at: n - 16) }
    }
}
