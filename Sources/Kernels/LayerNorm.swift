import CSIMD
import Tensor

/// Layer normalisation over the last dimension, HF `BertLayerNorm` = `torch.nn.LayerNorm(C, eps)`:
/// out = (x - mean) / sqrt(var + eps) * weight + bias with the biased variance (divided by C).
/// Follows llm.c's `layernorm_forward`/`layernorm_backward` (doc/layernorm/layernorm.md).
///
/// Sizes: N rows (tokens), C channels.
public enum LayerNorm {
    /// Normalises every row of `inp`. `mean` and `rstd` (1/sqrt(var + eps)) are saved for backward
    /// when non-nil (pass nil in inference). `out` may alias `inp`.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, C)
        mean: UnsafeMutablePointer<Float>?,  // (N) saved for backward
        rstd: UnsafeMutablePointer<Float>?,  // (N) saved for backward
        inp: UnsafePointer<Float>,  // (N, C)
        weight: UnsafePointer<Float>,  // (C)
        bias: UnsafePointer<Float>,  // (C)
        n: Int, c: Int, eps: Float
    ) {
        precondition(n >= 0 && c > 0, "LayerNorm.forward: bad sizes n \(n), c \(c)")
        if embedtune_layer_norm_available(c) != 0 {
            // The same two-pass formula in C (AVX-512), the row kept in L1 across its passes.
            embedtune_layer_norm_forward(inp, weight, bias, n, c, eps, mean, rstd, out)
            return
        }
        portableForward(out: out, mean: mean, rstd: rstd, inp: inp, weight: weight, bias: bias, n: n, c: c, eps: eps)
    }

    /// `forward` on `SIMD16` (any CPU); also the reference the C kernel is tested against.
    static func portableForward(
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, n: Int, c: Int, eps: Float
    ) {
        let vectorEnd = c - c % 16
        for row in 0..<n {
            let x = inp + row * c
            let o = out + row * c
            let m = VectorOps.sum(x, c) / Float(c)
            // Two-pass variance: sum of squared deviations, two accumulators.
            let mv = SIMD16<Float>(repeating: m)
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
            var i = 0
            while i + 32 <= c {
                let d0 = x.vector(at: i) - mv, d1 = x.vector(at: i + 16) - mv
                a0.addProduct(d0, d0)
                a1.addProduct(d1, d1)
                i += 32
            }
            if i < vectorEnd {
                let d = x.vector(at: i) - mv
                a0.addProduct(d, d)
                i += 16
            }
            var variance = (a0 + a1).horizontalSum
            while i < c { let d = x[i] - m; variance += d * d; i += 1 }
            variance /= Float(c)
            let s = 1 / (variance + eps).squareRoot()
            mean?[row] = m
            rstd?[row] = s
            // out = (x - mean) * rstd * weight + bias
            let sv = SIMD16<Float>(repeating: s)
            i = 0
            while i < vectorEnd {
                let norm = (x.vector(at: i) - mv) * sv
                o.store(bias.vector(at: i).addingProduct(norm, weight.vector(at: i)), at: i)
                i += 16
            }
            while i < c { o[i] = (x[i] - m) * s * weight[i] + bias[i]; i += 1 }
        }
    }

    /// Gradients of `forward`, ACCUMULATED (+=) into `dinp` and, when non-nil, `dweight` and `dbias`
    /// (nil for a frozen LayerNorm). `dinp` must not alias `dout`.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (N, C)
        dweight: UnsafeMutablePointer<Float>?,  // (C)
        dbias: UnsafeMutablePointer<Float>?,  // (C)
        dout: UnsafePointer<Float>,  // (N, C)
        inp: UnsafePointer<Float>,  // (N, C)
        weight: UnsafePointer<Float>,  // (C)
        mean: UnsafePointer<Float>,  // (N)
        rstd: UnsafePointer<Float>,  // (N)
        n: Int, c: Int
    ) {
        precondition(n >= 0 && c > 0, "LayerNorm.backward: bad sizes n \(n), c \(c)")
        let vectorEnd = c - c % 16
        for row in 0..<n {
            let x = inp + row * c, g = dout + row * c, dx = dinp + row * c
            let m = mean[row], s = rstd[row]
            let mv = SIMD16<Float>(repeating: m), sv = SIMD16<Float>(repeating: s)
            // norm = (x - mean) * rstd; dnorm = weight * dout
            // Two reductions: mean(dnorm) and mean(dnorm * norm).
            var sumD = SIMD16<Float>(), sumDN = SIMD16<Float>()
            var i = 0
            while i < vectorEnd {
                let norm = (x.vector(at: i) - mv) * sv
                let dnorm = weight.vector(at: i) * g.vector(at: i)
                sumD += dnorm
                sumDN.addProduct(dnorm, norm)
                i += 16
            }
            var dMean = sumD.horizontalSum, dNormMean = sumDN.horizontalSum
            while i < c {
                let norm = (x[i] - m) * s
                let dnorm = weight[i] * g[i]
                dMean += dnorm
                dNormMean += dnorm * norm
                i += 1
            }
            dMean /= Float(c)
            dNormMean /= Float(c)
            // dinp += (dnorm - mean(dnorm) - norm * mean(dnorm * norm)) * rstd
            // dweight += norm * dout; dbias += dout
            let dmv = SIMD16<Float>(repeating: dMean), dnmv = SIMD16<Float>(repeating: dNormMean)
            i = 0
            while i < vectorEnd {
                let norm = (x.vector(at: i) - mv) * sv
                let gv = g.vector(at: i)
                let dnorm = weight.vector(at: i) * gv
                let term = (dnorm - dmv - norm * dnmv) * sv
                dx.store(dx.vector(at: i) + term, at: i)
                if let dweight { dweight.store(dweight.vector(at: i).addingProduct(norm, gv), at: i) }
                if let dbias { dbias.store(dbias.vector(at: i) + gv, at: i) }
                i += 16
            }
            while i < c {
                let norm = (x[i] - m) * s
                let dnorm = weight[i] * g[i]
                dx[i] += (dnorm - dMean - norm * dNormMean) * s
                dweight?[i] += norm * g[i]
                dbias?[i] += g[i]
                i += 1
            }
        }
    }
}
