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

    /// Training: acts.activated = GELU(dense(h)); acts.intermediate keeps GELU's derivative there
    /// (written over dense(h), rows block by block inside the product while they are in cache).
    static func forward(
        acts: LayerActivations, h: UnsafePointer<Float>, linears: BertLinears<AdaptedLinear>,
        rng: inout SplitMix64, n: Int
    ) {
        let dense = linears.intermediate
        let width = dense.weights.outFeatures, pre = acts.intermediate.pointer, activated = acts.activated.pointer
        dense.forward(out: pre, inp: h, rng: &rng, n: n) { lo, hi in
            GELU.forwardKeepingDerivative(
                out: activated + lo * width, derivative: pre + lo * width, inp: pre + lo * width, count: (hi - lo) * width)
        }
    }

    /// GELU's backward, a = GELU(intermediate), as an epilogue of the product that computes
    /// dActivated (N, I) (`BertOutput.backward`): rows lo..<hi of dActivated become dIntermediate, in
    /// place, while they are in cache.
    static func activationBackward(
        dActivated: UnsafeMutablePointer<Float>, acts: LayerActivations, width: Int
    ) -> (_ lo: Int, _ hi: Int) -> Void {
        let derivative = acts.intermediate.pointer
        return { lo, hi in
            GELU.backward(
                dinp: dActivated + lo * width, derivative: derivative + lo * width, dout: dActivated + lo * width,
                count: (hi - lo) * width, overwrite: true)
        }
    }

    /// From dIntermediate (N, I) (`activationBackward`'s output): dh (N, C) ACCUMULATED (+=), and the
    /// dense layer's gradients.
    static func backward(
        dh: UnsafeMutablePointer<Float>, dIntermediate: UnsafePointer<Float>, h: UnsafePointer<Float>,
        linears: BertLinears<AdaptedLinear>, n: Int
    ) {
        // intermediate = dense(h)
        linears.intermediate.backward(dinp: dh, dout: dIntermediate, inp: h, n: n)
    }
}
