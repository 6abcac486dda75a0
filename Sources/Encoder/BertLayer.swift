import Kernels
import Tensor

/// One transformer block of `BertModel` (transformers' modeling_bert.py: BertSelfAttention → BertSelfOutput →
/// BertIntermediate → BertOutput), over N packed tokens of B sequences, with optional LoRA on each
/// Linear (peft `lora.Linear`: base(x) + scale · B A dropout(x)) and hidden dropout in training.
///
/// Sizes: N tokens, B sequences, C hidden, I intermediate, NH heads, R LoRA rank.
public enum BertLayer {
    /// input (N, C) → acts.output (N, C). `input` may be `acts.output` itself (inference reuses one buffer).
    /// `packed`: the frozen inference path's packed copies of the six linears (Hugging Face order,
    /// `BertLayerParameters.linears`), used instead of `Linear` for the base products.
    public static func forward(
        acts: LayerActivations, input: UnsafePointer<Float>, weights w: BertLayerParameters, layer: Int,
        options: inout TrainingOptions, offsets: UnsafePointer<Int>, b: Int, n: Int, config: BertConfig, threads: Int,
        packed: [PackedLinear]? = nil
    ) {
        let c = config.hiddenSize, i = config.intermediateSize
        let pk = packed.map { PackedLinears(linears: $0, threads: threads) }
        // BertSelfAttention: q, k, v = Linear(x); context = softmax(q k^T / sqrt(HS)) v per head
        linear(0, out: acts.q.pointer, inp: input, w.query, acts, layer, &options, n, pk)
        linear(1, out: acts.k.pointer, inp: input, w.key, acts, layer, &options, n, pk)
        linear(2, out: acts.v.pointer, inp: input, w.value, acts, layer, &options, n, pk)
        acts.attentionDropout = acts.keepsStatistics && options.attentionDropout > 0
            ? AttentionDropout(p: options.attentionDropout, seed: options.rng.next()) : .none
        Attention.forward(
            out: acts.context.pointer, probs: acts.keepsStatistics ? acts.probs.pointer : nil,
            q: acts.q.pointer, k: acts.k.pointer, v: acts.v.pointer, offsets: offsets,
            b: b, nh: config.numAttentionHeads, c: c, threads: threads, dropout: acts.attentionDropout)
        // BertSelfOutput: h = LayerNorm(dropout(dense(context)) + x)
        denseAddNorm(
            3, sum: acts.attentionSum, dropMask: acts.attentionDropMask, out: acts.attentionNormed.pointer,
            mean: acts.attentionMean, rstd: acts.attentionRstd, inp: acts.context.pointer, residual: input,
            w.attentionOutput, w.attentionLayerNorm, acts, layer, &options, n, config, pk)
        // BertIntermediate: GELU(dense(h))
        // Inference keeps no pre-activation (`activated` is `intermediate`), so a packed kernel may apply GELU
        // before its store instead.
        linear(4, out: acts.intermediate.pointer, inp: acts.attentionNormed.pointer, w.intermediate, acts, layer, &options, n, pk,
               then: { lo, hi in
                   GELU.forward(out: acts.activatedPointer + lo * i, inp: acts.intermediate.pointer + lo * i, count: (hi - lo) * i)
               }, inKernel: acts.keepsStatistics ? nil : .gelu)
        // BertOutput: LayerNorm(dropout(dense(a)) + h)
        denseAddNorm(
            5, sum: acts.outputSum, dropMask: acts.outputDropMask, out: acts.output.pointer,
            mean: acts.outputMean, rstd: acts.outputRstd, inp: acts.activatedPointer, residual: acts.attentionNormed.pointer,
            w.output, w.outputLayerNorm, acts, layer, &options, n, config, pk)
    }

    /// Gradients of `forward`: dOutput (N, C) → dInput (N, C), ACCUMULATED (+=) into `dInput`, into the
    /// LoRA gradients (`loraGrads`) and, for full fine-tuning, into the weight gradients (`weightGrads`;
    /// nil keeps the base weights frozen: only input gradients flow through them).
    public static func backward(
        dInput: UnsafeMutablePointer<Float>, scratch s: LayerGradientScratch, dOutput: UnsafePointer<Float>,
        acts: LayerActivations, input: UnsafePointer<Float>, weights w: BertLayerParameters,
        weightGrads g: BertLayerParameters?, adapter: LoRAAdapter?, loraGrads: LoRAAdapter?, layer: Int,
        hiddenDropout p: Float, offsets: UnsafePointer<Int>, b: Int, n: Int, config: BertConfig, threads: Int
    ) {
        precondition(acts.keepsStatistics, "backward needs the activations of a training forward")
        let c = config.hiddenSize, i = config.intermediateSize
        s.resize(n: n, c: c, intermediateSize: i)
        s.zero()
        // out = LayerNorm(outputSum)
        LayerNorm.backward(
            dinp: s.dSum.pointer, dweight: g?.outputLayerNorm.weight, dbias: g?.outputLayerNorm.bias,
            dout: dOutput, inp: acts.outputSum.pointer, weight: w.outputLayerNorm.weight,
            mean: acts.outputMean.pointer, rstd: acts.outputRstd.pointer, n: n, c: c)
        // outputSum = dropout(dense(a)) + h
        VectorOps.add(s.dSum.pointer, into: s.dNormed.pointer, n * c)
        let dDense5 = dropoutBackward(s.dSum, mask: acts.outputDropMask, into: s.dDense, p: p, n * c)
        linearBackward(5, dinp: s.dActivated.pointer, dout: dDense5, inp: acts.activated.pointer, w.output, g?.output,
                       acts, adapter, loraGrads, layer, n)
        // a = GELU(intermediate)
        GELU.backward(dinp: s.dIntermediate.pointer, inp: acts.intermediate.pointer, dout: s.dActivated.pointer, count: n * i)
        // intermediate = dense(h)
        linearBackward(4, dinp: s.dNormed.pointer, dout: s.dIntermediate.pointer, inp: acts.attentionNormed.pointer,
                       w.intermediate, g?.intermediate, acts, adapter, loraGrads, layer, n)
        // h = LayerNorm(attentionSum)
        s.dSum.zero()
        LayerNorm.backward(
            dinp: s.dSum.pointer, dweight: g?.attentionLayerNorm.weight, dbias: g?.attentionLayerNorm.bias,
            dout: s.dNormed.pointer, inp: acts.attentionSum.pointer, weight: w.attentionLayerNorm.weight,
            mean: acts.attentionMean.pointer, rstd: acts.attentionRstd.pointer, n: n, c: c)
        // attentionSum = dropout(dense(context)) + x
        VectorOps.add(s.dSum.pointer, into: dInput, n * c)
        s.dDense.zero()
        let dDense3 = dropoutBackward(s.dSum, mask: acts.attentionDropMask, into: s.dDense, p: p, n * c)
        linearBackward(3, dinp: s.dContext.pointer, dout: dDense3, inp: acts.context.pointer, w.attentionOutput,
                       g?.attentionOutput, acts, adapter, loraGrads, layer, n)
        // context = attention(q, k, v)
        Attention.backward(
            dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, dout: s.dContext.pointer,
            q: acts.q.pointer, k: acts.k.pointer, v: acts.v.pointer, probs: acts.probs.pointer,
            offsets: offsets, b: b, nh: config.numAttentionHeads, c: c, threads: threads,
            dropout: acts.attentionDropout)
        // q, k, v = Linear(x)
        linearBackward(0, dinp: dInput, dout: s.dq.pointer, inp: input, w.query, g?.query, acts, adapter, loraGrads, layer, n)
        linearBackward(1, dinp: dInput, dout: s.dk.pointer, inp: input, w.key, g?.key, acts, adapter, loraGrads, layer, n)
        linearBackward(2, dinp: dInput, dout: s.dv.pointer, inp: input, w.value, g?.value, acts, adapter, loraGrads, layer, n)
    }

    /// The packed linears of one layer and the threads their products may use.
    private struct PackedLinears {
        let linears: [PackedLinear]
        let threads: Int
    }

    /// BertSelfOutput and BertOutput: out = LayerNorm(dropout(dense(inp)) + residual), through `sum` (N, C)
    /// (and `dropMask`, `mean`, `rstd` when used). Without dropout the residual is added in the product
    /// (in the packed kernel's accumulators) and the LayerNorm runs per row block (`linear`'s `then`);
    /// with dropout it must come after the dropout, so add and norm follow over all rows.
    private static func denseAddNorm(
        _ t: Int, sum: Tensor, dropMask: Tensor, out: UnsafeMutablePointer<Float>, mean: Tensor, rstd: Tensor,
        inp: UnsafePointer<Float>, residual: UnsafePointer<Float>, _ w: LinearParameters, _ norm: LayerNormParameters,
        _ acts: LayerActivations, _ layer: Int, _ options: inout TrainingOptions, _ n: Int, _ config: BertConfig,
        _ packed: PackedLinears?
    ) {
        let c = config.hiddenSize, p = options.hiddenDropout
        let layerNorm: RowEpilogue = { lo, hi in
            LayerNorm.forward(
                out: out + lo * c, mean: acts.keepsStatistics ? mean.pointer + lo : nil,
                rstd: acts.keepsStatistics ? rstd.pointer + lo : nil, inp: sum.pointer + lo * c,
                weight: norm.weight, bias: norm.bias, n: hi - lo, c: c, eps: config.layerNormEps)
        }
        guard p > 0 else {
            linear(t, out: sum.pointer, inp: inp, w, acts, layer, &options, n, packed, residual: residual, then: layerNorm)
            return
        }
        linear(t, out: sum.pointer, inp: inp, w, acts, layer, &options, n, packed)
        Dropout.forward(out: sum.pointer, mask: dropMask.pointer, inp: sum.pointer, p: p, rng: &options.rng, count: n * c)
        VectorOps.add(residual, into: sum.pointer, n * c)
        layerNorm(0, n)
    }

    /// Work on rows lo..<hi of a product's output that follows the product (GELU; residual add and LayerNorm).
    private typealias RowEpilogue = (_ lo: Int, _ hi: Int) -> Void

    /// out = x W^T + b (+ scale · dropout(x) A^T B^T when the adapter targets Linear `t` of this layer)
    /// (+ residual (N, OC)), then `then` over all rows. A packed product adds the residual in its kernel
    /// and, with no adapter on it, runs `then` per row block, fused (`PackedLinear.forward`) — or, when
    /// `inKernel` names the activation that `then` applies in place on `out`, applies it to its
    /// accumulators instead of running `then`; otherwise `then` runs once over (0, n) at the end.
    private static func linear(
        _ t: Int, out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, _ w: LinearParameters,
        _ acts: LayerActivations, _ layer: Int, _ options: inout TrainingOptions, _ n: Int,
        _ packed: PackedLinears? = nil, residual: UnsafePointer<Float>? = nil, then epilogue: RowEpilogue? = nil,
        inKernel: PackedLinear.Activation? = nil
    ) {
        let pair = options.adapter?.pairs[layer][t]
        if let packed {
            let fused = pair == nil ? inKernel : nil
            packed.linears[t].forward(
                out: out, inp: inp, n: n, threads: packed.threads, residual: residual, activation: fused ?? .identity,
                epilogue: pair == nil && fused == nil ? epilogue : nil)
            if pair == nil { return }
        } else {
            Linear.forward(out: out, inp: inp, weight: w.weight, bias: w.bias, n: n, c: w.inFeatures, oc: w.outFeatures)
            if let residual { VectorOps.add(residual, into: out, n * w.outFeatures) }
        }
        if let adapter = options.adapter, let pair {
            let dropout = adapter.config.loraDropout
            LoRA.forward(
                out: out, xa: acts.loraXA[t].pointer, droppedInput: dropout > 0 ? acts.loraDropped[t].pointer : nil,
                inp: inp, a: pair.a, b: pair.b, scale: adapter.scale, dropout: dropout, rng: &options.rng,
                n: n, c: w.inFeatures, oc: w.outFeatures, r: adapter.rank)
        }
        epilogue?(0, n)
    }

    private static func linearBackward(
        _ t: Int, dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
        _ w: LinearParameters, _ g: LinearParameters?, _ acts: LayerActivations,
        _ adapter: LoRAAdapter?, _ loraGrads: LoRAAdapter?, _ layer: Int, _ n: Int
    ) {
        Linear.backward(
            dinp: dinp, dweight: g?.weight, dbias: g?.bias, dout: dout, inp: inp, weight: w.weight,
            n: n, c: w.inFeatures, oc: w.outFeatures)
        guard let adapter, let pair = adapter.pairs[layer][t] else { return }
        let grad = loraGrads?.pairs[layer][t]
        let dropout = adapter.config.loraDropout
        LoRA.backward(
            dinp: dinp, da: grad?.a, db: grad?.b, dout: dout, xa: acts.loraXA[t].pointer,
            droppedInput: dropout > 0 ? acts.loraDropped[t].pointer : nil, inp: inp, a: pair.a, b: pair.b,
            scale: adapter.scale, dropout: dropout, n: n, c: w.inFeatures, oc: w.outFeatures, r: adapter.rank)
    }

    /// The gradient behind a dropout: `gradient` itself when p == 0, else gradient · mask in `into`.
    private static func dropoutBackward(
        _ gradient: Tensor, mask: Tensor, into: Tensor, p: Float, _ count: Int
    ) -> UnsafeMutablePointer<Float> {
        guard p > 0 else { return gradient.pointer }
        Dropout.backward(dinp: into.pointer, dout: gradient.pointer, mask: mask.pointer, count: count)
        return into.pointer
    }
}

/// Gradient buffers of one layer's backward, reused by every layer.
public final class LayerGradientScratch: @unchecked Sendable {
    let dSum = Tensor(zeros: [0])  // (N, C) gradient of a pre-LayerNorm sum
    let dNormed = Tensor(zeros: [0])  // (N, C) gradient of attentionNormed
    let dDense = Tensor(zeros: [0])  // (N, C) gradient of a dense output before its dropout
    let dActivated = Tensor(zeros: [0])  // (N, I)
    let dIntermediate = Tensor(zeros: [0])  // (N, I)
    let dContext = Tensor(zeros: [0])  // (N, C)
    let dq = Tensor(zeros: [0]), dk = Tensor(zeros: [0]), dv = Tensor(zeros: [0])  // (N, C)

    public init() {}

    func resize(n: Int, c: Int, intermediateSize: Int) {
        for t in [dSum, dNormed, dDense, dContext, dq, dk, dv] { t.reshape([n, c]) }
        dActivated.reshape([n, intermediateSize])
        dIntermediate.reshape([n, intermediateSize])
    }

    func zero() {
        for t in [dSum, dNormed, dDense, dContext, dq, dk, dv, dActivated, dIntermediate] { t.zero() }
    }
}
