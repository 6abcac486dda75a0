import Kernels
import Tensor

/// transformers' `BertSelfAttention` (modeling_bert.py): q, k, v = query(x), key(x), value(x);
/// context = dropout(softmax(q k^T / √HS)) v per head, within each packed sequence (`Attention`).
///
/// Sizes: N tokens, B sequences, C hidden, NH heads, HS = C / NH.
enum BertSelfAttention {
    /// Inference: context (N, C) of inp (N, C); q, k, v (N, C) are overwritten.
    static func forward(
        context: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
        v: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, layer: FrozenBertLayer,
        offsets: UnsafePointer<Int>, b: Int, n: Int, config: BertConfig, threads: Int
    ) {
        layer.linears.query.forward(out: q, inp: inp, n: n, threads: threads)
        layer.linears.key.forward(out: k, inp: inp, n: n, threads: threads)
        layer.linears.value.forward(out: v, inp: inp, n: n, threads: threads)
        Attention.forward(
            out: context, probs: nil, q: q, k: k, v: v, offsets: offsets, b: b, nh: config.numAttentionHeads,
            c: config.hiddenSize, threads: threads)
    }

    /// Training: fills acts.q, k, v, probs, context and draws the attention-probability dropout
    /// (`attentionDropout` p) from `rng` after the three products.
    static func forward(
        acts: LayerActivations, inp: UnsafePointer<Float>, linears: BertLinears<AdaptedLinear>,
        attentionDropout p: Float, rng: inout SplitMix64, offsets: UnsafePointer<Int>, b: Int, n: Int,
        config: BertConfig, threads: Int
    ) {
        linears.query.forward(out: acts.q.pointer, inp: inp, rng: &rng, n: n)
        linears.key.forward(out: acts.k.pointer, inp: inp, rng: &rng, n: n)
        linears.value.forward(out: acts.v.pointer, inp: inp, rng: &rng, n: n)
        acts.attentionDropout = p > 0 ? AttentionDropout(p: p, seed: rng.next()) : .none
        Attention.forward(
            out: acts.context.pointer, probs: acts.probs.pointer, q: acts.q.pointer, k: acts.k.pointer,
            v: acts.v.pointer, offsets: offsets, b: b, nh: config.numAttentionHeads, c: config.hiddenSize,
            threads: threads, dropout: acts.attentionDropout)
    }

    /// Gradients of the training `forward` from dContext (N, C), ACCUMULATED (+=) into dinp (N, C;
    /// nil: the input needs none) and the three Linears' gradients. dq, dk, dv (N, C) are scratch,
    /// written over.
    static func backward(
        dinp: UnsafeMutablePointer<Float>?, dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
        dv: UnsafeMutablePointer<Float>, dContext: UnsafePointer<Float>, acts: LayerActivations,
        inp: UnsafePointer<Float>, linears: BertLinears<AdaptedLinear>, offsets: UnsafePointer<Int>,
        b: Int, n: Int, config: BertConfig, threads: Int
    ) {
        // context = attention(q, k, v)
        Attention.backward(
            dq: dq, dk: dk, dv: dv, dout: dContext, q: acts.q.pointer, k: acts.k.pointer, v: acts.v.pointer,
            probs: acts.probs.pointer, offsets: offsets, b: b, nh: config.numAttentionHeads, c: config.hiddenSize,
            threads: threads, dropout: acts.attentionDropout, overwrite: true)
        // q, k, v = query(x), key(x), value(x)
        linears.query.backward(dinp: dinp, dout: dq, inp: inp, n: n)
        linears.key.backward(dinp: dinp, dout: dk, inp: inp, n: n)
        linears.value.backward(dinp: dinp, dout: dv, inp: inp, n: n)
    }
}
