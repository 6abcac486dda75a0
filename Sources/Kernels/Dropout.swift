import CSIMD
import Tensor

/// Inverted dropout (torch.nn.Dropout in training mode): each element is zeroed with probability
/// p and the survivors are scaled by 1/(1-p). The mask, saved for backward, holds 0 or 1/(1-p).
/// One uniform draw from `rng` per element, in element order, so runs are reproducible (drawn eight at
/// a time by `embedtune_dropout_mask`, the same bits).
///
/// Sizes: `count` elements of any shape.
public enum Dropout {
    /// out = inp * mask; mask[i] = 0 with probability p, else 1/(1-p). `out` may alias `inp`.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (count)
        mask: UnsafeMutablePointer<Float>,  // (count) saved for backward
        inp: UnsafePointer<Float>,  // (count)
        p: Float, rng: inout SplitMix64, count: Int
    ) {
        precondition(p >= 0 && p < 1, "Dropout.forward: p \(p) outside [0, 1)")
        precondition(count >= 0, "Dropout.forward: negative count")
        guard p > 0 else {
            mask.update(repeating: 1, count: count)
            if out != UnsafeMutablePointer(mutating: inp) { out.update(from: inp, count: count) }
            return
        }
        rng.state = embedtune_dropout_mask(rng.state, p, 1 / (1 - p), inp, out, mask, count)
    }

    /// dinp += dout * mask, ACCUMULATED into `dinp`.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (count)
        dout: UnsafePointer<Float>,  // (count)
        mask: UnsafePointer<Float>,  // (count)
        count: Int
    ) {
        VectorOps.addProducts(dout, mask, into: dinp, count)
    }
}
