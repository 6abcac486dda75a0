import Kernels
import Tensor

/// One transformer block of `BertModel` (transformers' modeling_bert.py: BertSelfAttention → BertSelfOutput →
/// BertIntermediate → BertOutput), over N packed tokens of B sequences.
public enum BertLayer {
    /// input (N, C) → acts.output (N, C). `input` may be `acts.output` itself (inference reuses one buffer).
    public static func forward(
        acts: LayerActivations, input: UnsafePointer<Float>, weights w: BertLayerParameters,
        offsets: UnsafePointer<Int>, b: Int, n: Int, config: BertConfig, threads: Int
    ) {
        let c = config.hiddenSize, i = config.intermediateSize
        // BertSelfAttention: q, k, v = Linear(x); context = softmax(q k^T / sqrt(HS)) v per head
        Linear.forward(out: acts.q.pointer, inp: input, weight: w.query.weight, bias: w.query.bias, n: n, c: c, oc: c)
        Linear.forward(out: acts.k.pointer, inp: input, weight: w.key.weight, bias: w.key.bias, n: n, c: c, oc: c)
        Linear.forward(out: acts.v.pointer, inp: input, weight: w.value.weight, bias: w.value.bias, n: n, c: c, oc: c)
        Attention.forward(
            out: acts.context.pointer, probs: acts.keepsStatistics ? acts.probs.pointer : nil,
            q: acts.q.pointer, k: acts.k.pointer, v: acts.v.pointer, offsets: offsets,
            b: b, nh: config.numAttentionHeads, c: c, threads: threads)
        // BertSelfOutput: LayerNorm(dense(context) + x)
        Linear.forward(
            out: acts.attentionSum.pointer, inp: acts.context.pointer,
            weight: w.attentionOutput.weight, bias: w.attentionOutput.bias, n: n, c: c, oc: c)
        VectorOps.add(input, into: acts.attentionSum.pointer, n * c)
        LayerNorm.forward(
            out: acts.attentionNormed.pointer,
            mean: acts.keepsStatistics ? acts.attentionMean.pointer : nil,
            rstd: acts.keepsStatistics ? acts.attentionRstd.pointer : nil,
            inp: acts.attentionSum.pointer, weight: w.attentionLayerNorm.weight, bias: w.attentionLayerNorm.bias,
            n: n, c: c, eps: config.layerNormEps)
        // BertIntermediate: GELU(dense(h))
        Linear.forward(
            out: acts.intermediate.pointer, inp: acts.attentionNormed.pointer,
            weight: w.intermediate.weight, bias: w.intermediate.bias, n: n, c: c, oc: i)
        GELU.forward(out: acts.activatedPointer, inp: acts.intermediate.pointer, count: n * i)
        // BertOutput: LayerNorm(dense(a) + h)
        Linear.forward(
            out: acts.outputSum.pointer, inp: acts.activatedPointer,
            weight: w.output.weight, bias: w.output.bias, n: n, c: i, oc: c)
        VectorOps.add(acts.attentionNormed.pointer, into: acts.outputSum.pointer, n * c)
        LayerNorm.forward(
            out: acts.output.pointer,
            mean: acts.keepsStatistics ? acts.outputMean.pointer : nil,
            rstd: acts.keepsStatistics ? acts.outputRstd.pointer : nil,
            inp: acts.outputSum.pointer, weight: w.outputLayerNorm.weight, bias: w.outputLayerNorm.bias,
            n: n, c: c, eps: config.layerNormEps)
    }
}
