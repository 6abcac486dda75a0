import Kernels
import Tensor

/// transformers' `BertSelfOutput` (modeling_bert.py): h = LayerNorm(dropout(dense(context)) + x), with
/// the Linear `attention.output.dense` and `attention.output.LayerNorm` (`DenseAddNorm`).
///
/// Sizes: N tokens, C hidden.
enum BertSelfOutput {
    /// Inference: out (N, C) from context and the layer input x (N, C); `sum` (N, C) is scratch.
    static func forward(
        out: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>, context: UnsafePointer<Float>,
        residual x: UnsafePointer<Float>, layer: FrozenBertLayer, n: Int, config: BertConfig, threads: Int
    ) {
        DenseAddNorm.forward(
            out: out, sum: sum, inp: context, residual: x, dense: layer.linears.attentionOutput,
            norm: layer.weights.attentionLayerNorm, n: n, threads: threads, eps: config.layerNormEps)
    }

    /// Training: fills acts.selfOutput from acts.context and x.
    static func forward(
        acts: LayerActivations, residual x: UnsafePointer<Float>, linears: BertLinears<AdaptedLinear>,
        weights: BertLayerParameters, hiddenDropout p: Float, rng: inout SplitMix64, n: Int, config: BertConfig
    ) {
        DenseAddNorm.forward(
            saved: acts.selfOutput, inp: acts.context.pointer, residual: x, dense: linears.attentionOutput,
            norm: weights.attentionLayerNorm, hiddenDropout: p, rng: &rng, n: n, eps: config.layerNormEps)
    }

    /// From dout (N, C): dContext (N, C) and dx (N, C), written over, and the parameters' gradients,
    /// ACCUMULATED (+=).
    static func backward(
        dContext: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>, scratch s: LayerGradientScratch,
        dout: UnsafePointer<Float>, acts: LayerActivations, linears: BertLinears<AdaptedLinear>,
        weights: BertLayerParameters, weightGrads: BertLayerParameters?, hiddenDropout p: Float, n: Int
    ) {
        DenseAddNorm.backward(
            dinp: dContext, dresidual: dx, dSum: s.dSum.pointer, dout: dout,
            saved: acts.selfOutput, inp: acts.context.pointer, dense: linears.attentionOutput,
            norm: weights.attentionLayerNorm, normGrads: weightGrads?.attentionLayerNorm, hiddenDropout: p, n: n)
    }
}
