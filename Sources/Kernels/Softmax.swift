import CSIMD

/// Row-wise softmax over the last dimension (torch.softmax(x, dim=-1)), numerically stable: the
/// row maximum is subtracted before exponentiating (CSIMD's vector kernels: `embedtune_vec_exp`'s polynomial).
///
/// Sizes: `rows` rows of `cols` values each.
public enum Softmax {
    /// out[r] = softmax(inp[r]) for every row. `out` may alias `inp`.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (rows, cols)
        inp: UnsafePointer<Float>,  // (rows, cols)
        rows: Int, cols: Int
    ) {
        precondition(rows >= 0 && cols > 0, "Softmax.forward: bad sizes rows \(rows), cols \(cols)")
        embedtune_softmax_forward(out, inp, rows, cols)
    }

    /// dinp += out * (dout - sum(out * dout)) row by row; ACCUMULATED into `dinp`, which must not
    /// alias `dout`.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (rows, cols)
        dout: UnsafePointer<Float>,  // (rows, cols)
        out: UnsafePointer<Float>,  // (rows, cols) the forward's output
        rows: Int, cols: Int
    ) {
        precondition(rows >= 0 && cols > 0, "Softmax.backward: bad sizes rows \(rows), cols \(cols)")
        embedtune_softmax_backward(dinp, dout, out, rows, cols)
    }

    /// Replaces `grad` (rows, cols), holding d(loss)/d(out), by d(loss)/d(inp) in place (not
    /// accumulated): the attention backward's scratch path.
    static func backwardInPlace(grad: UnsafeMutablePointer<Float>, out: UnsafePointer<Float>, rows: Int, cols: Int) {
        embedtune_softmax_backward_in_place(grad, out, rows, cols)
    }
}
