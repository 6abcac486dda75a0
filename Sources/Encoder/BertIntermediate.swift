import Kernels
import Tensor

/// transformers' `BertIntermediate` (modeling_bert.py): a = GELU(dense(h)), with the Linear
/// `intermediate.dense` (C → I) and the exact (erf) GELU.
///
/// Sizes: N tokens, C hidden, I intermediate.
enum BertIntermediate {
    /// Inference: out (N, I) = GELU(dense(h (N, C))); keeps no pre-activation, so the packed product
    /// applies GELU to its accumulators before the store.
    static func forward(
        out: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>, layer: FrozenBertLayer, n: Int, threads: Int
    ) {
        layer.linears.intermediate.forward(out: out, inp: h, n: n, threads: threads, activation: .gelu)
    }

    /// Training: acts.intermediate = dense(h), acts.activated = GELU(acts.intermediate).
    static func forward(
        acts: LayerActivations, h: UnsafePointer<Float>, linears: BertLinears<AdaptedLinear>,
        rng: inout SplitMix64, n: Int
    ) {
        let dense = linears.intermediate
        dense.forward(out: acts.intermediate.pointer, inp: h, rng: &rng, n: n)
        GELU.forward(
            out: acts.activated.pointer, inp: acts.intermediate.pointer, count: n * dense.weights.outFeatures)
    }

    /// From dActivated (N, I): dh (N, C) ACCUMULATED (+=), and the dense layer's gradients.
    /// dIntermediate (N, I) is scratch, written over.
    static func backward(
        dh: UnsafeMutablePointer<Float>, dIntermediate: UnsafeMutablePointer<Float>, dActivated: UnsafePointer<Float>,
        acts: LayerActivations, h: UnsafePointer<Float>, linears: BertLinears<AdaptedLinear>, n: Int
    ) {
        let dense = linears.intermediate
        // a = GELU(intermediate)
        GELU.backward(
            dinp: dIntermediate, inp: acts.intermediate.pointer, dout: dActivated, count: n * dense.weights.outFeatures,
            overwrite: true)
        // intermediate = dense(h)
        dense.backward(dinp: dh, dout: dIntermediate, inp: h, n: n)
    }
}
