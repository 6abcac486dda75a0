import CSIMD

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

    /// `forward` through the vector kernels (`embedtune_layer_norm_reference_forward`, every CPU path);
    /// also the reference the AVX-512 kernel is tested against.
    static func portableForward(
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, n: Int, c: Int, eps: Float
    ) {
        embedtune_layer_norm_reference_forward(inp, weight, bias, n, c, eps, mean, rstd, out)
    }

    /// Gradients of `forward`, ACCUMULATED (+=) into `dinp` (or written over it, not read, with
    /// `overwrite`) and, when non-nil, `dweight` and `dbias` (nil for a frozen LayerNorm). `dinp` must
    /// not alias `dout`.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (N, C)
        dweight: UnsafeMutablePointer<Float>?,  // (C)
        dbias: UnsafeMutablePointer<Float>?,  // (C)
        dout: UnsafePointer<Float>,  // (N, C)
        inp: UnsafePointer<Float>,  // (N, C)
        weight: UnsafePointer<Float>,  // (C)
        mean: UnsafePointer<Float>,  // (N)
        rstd: UnsafePointer<Float>,  // (N)
        n: Int, c: Int, overwrite: Bool = false
    ) {
        precondition(n >= 0 && c > 0, "LayerNorm.backward: bad sizes n \(n), c \(c)")
        embedtune_layer_norm_backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, n, c, overwrite ? 1 : 0)
    }
}
