import Kernels
import Tensor

/// One Linear of the training forward: the base `Linear` (frozen under LoRA, trained in full
/// fine-tuning) plus, when the adapter targets it, peft's LoRA branch (peft/tuners/lora/layer.py
/// `Linear.forward`: base(x) + scale · B A dropout(x); `LoRA`).
///
/// Sizes: N tokens, C input channels, OC output channels, R rank.
struct AdaptedLinear {
    let weights: LinearParameters
    let adapter: LoRAAdapter?
    /// The adapter's pair for this Linear; nil when it is not targeted (or there is no adapter).
    let pair: LoRAPair?
    /// What the LoRA branch keeps for backward.
    let saved: LoRAActivations
    /// Where backward accumulates: the weight gradients in full fine-tuning (nil: frozen base) and
    /// the pair's gradients under LoRA.
    let weightGrads: LinearParameters?
    let loraGrads: LoRAPair?
    /// The packed copy of a frozen base (LoRA training on a CPU with the packed kernels: AVX-512 or
    /// AVX2), used instead of `Linear` when the base gets no weight gradient; nil: `Linear` (OpenBLAS).
    let packed: PackedFrozenLinear?
    /// Threads of every product (packed, OpenBLAS and LoRA's).
    let context: ComputeContext

    /// Linear `linear` of layer `layer`, with its gradients when `weightGrads` / `loraGrads` are given.
    init(
        _ linear: BertLinear, layer: Int, weights: BertLayerParameters, adapter: LoRAAdapter?,
        saved: LayerActivations, weightGrads: BertLayerParameters? = nil, loraGrads: LoRAAdapter? = nil,
        packed: BertLinears<PackedFrozenLinear>? = nil, threads: Int
    ) {
        self.weights = weights[linear]
        self.packed = weightGrads == nil ? packed?[linear] : nil
        context = ComputeContext(threads: threads)
        self.adapter = adapter
        pair = adapter?.pairs[layer][linear]
        self.saved = saved.lora[linear]
        self.weightGrads = weightGrads?[linear]
        self.loraGrads = loraGrads?.pairs[layer][linear]
    }

    /// out (N, OC) = inp (N, C) W^T + b (+ residual (N, OC)) (+ scale · dropout(inp) A^T B^T). Draws
    /// from `rng` only for LoRA dropout. `epilogue(lo, hi)`, when given, runs on rows lo..<hi of `out`
    /// once they are final: inside the packed product while they are in cache, else once over all rows.
    func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil,
        rng: inout SplitMix64, n: Int, epilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil
    ) {
        if let adapter, let pair, let base = fusedBase {
            PackedLoRA.forward(
                out: out, xa: saved.xa.pointer, inp: inp, residual: residual, base: base.forward, a: pair.a, b: pair.b,
                scale: adapter.scale, n: n, r: adapter.rank, context: context, epilogue: epilogue)
            return
        }
        defer { epilogue?(0, n) }
        if let packed {
            packed.forward(out: out, inp: inp, residual: residual, n: n, threads: context.threads)
        } else {
            Linear.forward(
                out: out, inp: inp, weight: weights.weight, bias: weights.bias, n: n, c: weights.inFeatures,
                oc: weights.outFeatures, context: context)
            if let residual { VectorOps.add(residual, into: out, n * weights.outFeatures) }
        }
        guard let adapter, let pair else { return }
        let dropout = adapter.config.loraDropout
        LoRA.forward(
            out: out, xa: saved.xa.pointer, droppedInput: dropout > 0 ? saved.dropped.pointer : nil, inp: inp,
            a: pair.a, b: pair.b, scale: adapter.scale, dropout: dropout, rng: &rng,
            n: n, c: weights.inFeatures, oc: weights.outFeatures, r: adapter.rank,
            context: context)
    }

    /// True when `forward` draws from its generator (LoRA dropout).
    var drawsFromGenerator: Bool { pair != nil && (adapter?.config.loraDropout ?? 0) > 0 }

    /// The packed base (float32 or bf16) when this Linear's LoRA branch runs inside its kernels
    /// (`PackedLoRA`): a frozen packed base with `LowRank`'s fast kernels, a targeted Linear and no LoRA dropout;
    /// nil otherwise.
    private var fusedBase: (forward: any LowRankProduct, backward: any LowRankProduct)? {
        guard pair != nil, adapter != nil, !drawsFromGenerator else { return nil }
        return packed?.lowRankProducts
    }

    /// Gradients of `forward` (without its residual) from dout (N, OC), ACCUMULATED (+=) into
    /// `weightGrads` and `loraGrads`, and into dinp (N, C) — or written over it with `overwrite`;
    /// dinp nil: the input needs no gradient. `epilogue(lo, hi)`, when given, runs on rows lo..<hi of
    /// dinp once they are final: inside the packed product while they are in cache, else once over all rows.
    func backward(
        dinp: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, n: Int,
        overwrite: Bool = false, epilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil
    ) {
        if let adapter, let pair, let base = fusedBase {
            PackedLoRA.backward(
                dinp: dinp, da: loraGrads?.a, db: loraGrads?.b, dout: dout, xa: saved.xa.pointer, inp: inp,
                transposedBase: base.backward, a: pair.a, b: pair.b, scale: adapter.scale, n: n, r: adapter.rank,
                overwrite: overwrite, context: context, epilogue: epilogue)
            return
        }
        defer { if dinp != nil { epilogue?(0, n) } }
        if let packed {
            if let dinp { packed.backward(dinp: dinp, dout: dout, n: n, threads: context.threads, overwrite: overwrite) }
        } else {
            if overwrite { dinp?.update(repeating: 0, count: n * weights.inFeatures) }
            Linear.backward(
                dinp: dinp, dweight: weightGrads?.weight, dbias: weightGrads?.bias, dout: dout, inp: inp,
                weight: weights.weight, n: n, c: weights.inFeatures, oc: weights.outFeatures,
                context: context)
        }
        guard let adapter, let pair else { return }
        let dropout = adapter.config.loraDropout
        LoRA.backward(
            dinp: dinp, da: loraGrads?.a, db: loraGrads?.b, dout: dout, xa: saved.xa.pointer,
            droppedInput: dropout > 0 ? saved.dropped.pointer : nil, inp: inp, a: pair.a, b: pair.b,
            scale: adapter.scale, dropout: dropout, n: n, c: weights.inFeatures, oc: weights.outFeatures,
            r: adapter.rank, context: context)
    }
}

/// What a Linear's LoRA branch keeps for backward.
public final class LoRAActivations: @unchecked Sendable {
    public let xa = Tensor(zeros: [0])  // (N, R) dropout(x) A^T
    public let dropped = Tensor(zeros: [0])  // (N, C) the dropped input, when LoRA dropout > 0

    public init() {}
}
