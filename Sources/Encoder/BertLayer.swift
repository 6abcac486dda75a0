import Kernels
import Tensor

/// One transformer block of `BertModel` (transformers' modeling_bert.py `BertLayer`), over N packed
/// tokens of B sequences: `BertSelfAttention` → `BertSelfOutput` → `BertIntermediate` → `BertOutput`.
/// The inference forward is frozen (no adapter, dropout or saved state); the training forward adds
/// optional LoRA on each Linear (`AdaptedLinear`), hidden and attention dropout, and keeps
/// `LayerActivations` for `backward`.
///
/// Sizes: N tokens, B sequences, C hidden, I intermediate.
public enum BertLayer {
    /// Inference: hidden (N, C) → hidden (N, C), in place; `buffers` are overwritten.
    static func forward(
        hidden: UnsafeMutablePointer<Float>, buffers s: InferenceLayerBuffers, layer: FrozenBertLayer,
        offsets: UnsafePointer<Int>, b: Int, n: Int, config: BertConfig, threads: Int
    ) {
        BertSelfAttention.forward(
            context: s.context.pointer, q: s.q.pointer, k: s.k.pointer, v: s.v.pointer, inp: hidden, layer: layer,
            offsets: offsets, b: b, n: n, config: config, threads: threads)
        BertSelfOutput.forward(
            out: s.normed.pointer, sum: s.sum.pointer, context: s.context.pointer, residual: hidden, layer: layer,
            n: n, config: config, threads: threads)
        BertIntermediate.forward(out: s.intermediate.pointer, h: s.normed.pointer, layer: layer, n: n, threads: threads)
        BertOutput.forward(
            out: hidden, sum: s.sum.pointer, activated: s.intermediate.pointer, residual: s.normed.pointer,
            layer: layer, n: n, config: config, threads: threads)
    }

    /// Training: input (N, C) → acts.output (N, C). Dropout masks and the LoRA dropout come from
    /// `options.rng`, drawn in forward order.
    public static func forward(
        acts: LayerActivations, input: UnsafePointer<Float>, weights w: BertLayerParameters, layer: Int,
        options: inout TrainingOptions, offsets: UnsafePointer<Int>, b: Int, n: Int, config: BertConfig, threads: Int,
        packedBase: BertLinears<PackedFrozenLinear>? = nil
    ) {
        let adapter = options.adapter
        let linears = BertLinears {
            AdaptedLinear($0, layer: layer, weights: w, adapter: adapter, saved: acts, packed: packedBase, threads: threads)
        }
        BertSelfAttention.forward(
            acts: acts, inp: input, linears: linears, attentionDropout: options.attentionDropout, rng: &options.rng,
            offsets: offsets, b: b, n: n, config: config, threads: threads)
        BertSelfOutput.forward(
            acts: acts, residual: input, linears: linears, weights: w, hiddenDropout: options.hiddenDropout,
            rng: &options.rng, n: n, config: config)
        BertIntermediate.forward(acts: acts, h: acts.selfOutput.normed.pointer, linears: linears, rng: &options.rng, n: n)
        BertOutput.forward(
            acts: acts, linears: linears, weights: w, hiddenDropout: options.hiddenDropout, rng: &options.rng,
            n: n, config: config)
    }

    /// Gradients of the training `forward`: dOutput (N, C) → dInput (N, C), WRITTEN over `dInput` (it
    /// need not be zeroed), ACCUMULATED (+=) into the LoRA gradients (`loraGrads`) and, for full fine-tuning, into the weight gradients
    /// (`weightGrads`; nil keeps the base weights frozen: only input gradients flow through them).
    /// `inputGradient` false leaves out the gradient through Q, K and V into dInput (the first layer
    /// under frozen embeddings, where nothing reads dInput): three products fewer.
    public static func backward(
        dInput: UnsafeMutablePointer<Float>, scratch s: LayerGradientScratch, dOutput: UnsafePointer<Float>,
        acts: LayerActivations, input: UnsafePointer<Float>, weights w: BertLayerParameters,
        weightGrads g: BertLayerParameters?, adapter: LoRAAdapter?, loraGrads: LoRAAdapter?, layer: Int,
        hiddenDropout p: Float, offsets: UnsafePointer<Int>, b: Int, n: Int, config: BertConfig, threads: Int,
        packedBase: BertLinears<PackedFrozenLinear>? = nil, inputGradient: Bool = true
    ) {
        s.resize(n: n, c: config.hiddenSize, intermediateSize: config.intermediateSize)
        let linears = BertLinears {
            AdaptedLinear(
                $0, layer: layer, weights: w, adapter: adapter, saved: acts, weightGrads: g, loraGrads: loraGrads,
                packed: packedBase, threads: threads)
        }
        // dActivated becomes dIntermediate inside the output dense's product (GELU's backward).
        BertOutput.backward(
            dActivated: s.dActivated.pointer, dh: s.dNormed.pointer, scratch: s, dout: dOutput, acts: acts,
            linears: linears, weights: w, weightGrads: g, hiddenDropout: p, n: n,
            activatedEpilogue: BertIntermediate.activationBackward(
                dActivated: s.dActivated.pointer, acts: acts, width: config.intermediateSize))
        BertIntermediate.backward(
            dh: s.dNormed.pointer, dIntermediate: s.dActivated.pointer, h: acts.selfOutput.normed.pointer,
            linears: linears, n: n)
        BertSelfOutput.backward(
            dContext: s.dContext.pointer, dx: dInput, scratch: s, dout: s.dNormed.pointer, acts: acts,
            linears: linears, weights: w, weightGrads: g, hiddenDropout: p, n: n)
        BertSelfAttention.backward(
            dinp: inputGradient ? dInput : nil, dq: s.dq.pointer, dk: s.dk.pointer, dv: s.dv.pointer, dContext: s.dContext.pointer,
            acts: acts, inp: input, linears: linears, offsets: offsets, b: b, n: n, config: config, threads: threads)
    }
}
