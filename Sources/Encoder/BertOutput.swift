import Kernels
import Tensor

/// transformers' `BertOutput` (modeling_bert.py): out = LayerNorm(dropout(dense(a)) + h), with the
/// Linear `output.dense` (I → C) and `output.LayerNorm` (`DenseAddNorm`); h is `BertSelfOutput`'s output.
///
/// Sizes: N tokens, C hidden, I intermediate.
enum BertOutput {
    /// Inference: out (N, C) from a (N, I) and h (N, C); `sum` (N, C) is scratch.
    static func forward(
        out: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>, activated a: UnsafePointer<Float>,
        residual h: UnsafePointer<Float>, layer: FrozenBertLayer, n: Int, config: BertConfig, threads: Int
    ) {
        DenseAddNorm.forward(
            out: out, sum: sum, inp: a, residual: h, dense: layer.linears.output, norm: layer.weights.outputLayerNorm,
            n: n, threads: threads, eps: config.layerNormEps)
    }

    /// Training: fills acts.layerOutput from acts.activated and acts.selfOutput.
    static func forward(
        acts: LayerActivations, linears: BertLinears<AdaptedLinear>, weights: BertLayerParameters,
        hiddenDropout p: Float, rng: inout SplitMix64, n: Int, config: BertConfig
    ) {
        DenseAddNorm.forward(
            saved: acts.layerOutput, inp: acts.activated.pointer, residual: acts.selfOutput.normed.pointer,
            dense: linears.output, norm: weights.outputLayerNorm, hiddenDropout: p, rng: &rng, n: n,
            eps: config.layerNormEps)
    }

    /// From dout (N, C): dActivated (N, I) and dh (N, C), written over, and the parameters' gradients,
    /// ACCUMULATED (+=). `activatedEpilogue(lo, hi)` runs on dActivated's rows lo..<hi once they are
    /// final, while they are in cache (GELU's backward, `BertIntermediate.activationBackward`).
    static func backward(
        dActivated: UnsafeMutablePointer<Float>, dh: UnsafeMutablePointer<Float>, scratch s: LayerGradientScratch,
        dout: UnsafePointer<Float>, acts: LayerActivations, linears: BertLinears<AdaptedLinear>,
        weights: BertLayerParameters, weightGrads: BertLayerParameters?, hiddenDropout p: Float, n: Int,
        activatedEpilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil
    ) {
        DenseAddNorm.backward(
            dinp: dActivated, dresidual: dh, dSum: s.dSum.pointer, dout: dout,
            saved: acts.layerOutput, inp: acts.activated.pointer, dense: linears.output,
            norm: weights.outputLayerNorm, normGrads: weightGrads?.outputLayerNorm, hiddenDropout: p, n: n,
            dinpEpilogue: activatedEpilogue)
    }
}
