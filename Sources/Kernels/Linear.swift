import Tensor

/// A fully connected layer in Hugging Face `nn.Linear` layout (weight stored as (OC, C)):
/// `out = inp @ weight^T + bias` (torch.nn.functional.linear).
///
/// Sizes: N tokens (rows), C input channels, OC output channels.
public enum Linear {
    /// out (N, OC) = inp (N, C) @ weight (OC, C)^T + bias (OC). Overwrites `out`. Products on `context`.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, OC)
        inp: UnsafePointer<Float>,  // (N, C)
        weight: UnsafePointer<Float>,  // (OC, C)
        bias: UnsafePointer<Float>?,  // (OC) or nil
        n: Int, c: Int, oc: Int, context: ComputeContext
    ) {
        precondition(n >= 0 && c > 0 && oc > 0, "Linear.forward: bad sizes n \(n), c \(c), oc \(oc)")
        guard let bias else {
            gemm(.none, .transposed, m: n, n: oc, k: c, a: inp, b: weight, c: out, context: context)
            return
        }
        // Rows start as the bias and the product accumulates onto them (beta 1): one pass over
        // `out` fewer than zeroing, multiplying, then adding.
        for row in 0..<n { (out + row * oc).update(from: bias, count: oc) }
        gemm(.none, .transposed, m: n, n: oc, k: c, a: inp, b: weight, beta: 1, c: out, context: context)
    }

    /// Gradients of `forward`, ACCUMULATED (+=) into every non-nil gradient buffer; pass nil for a
    /// gradient that is not needed (frozen weights get no `dweight`/`dbias`, the first layer no `dinp`).
    public static func backward(
        dinp: UnsafeMutablePointer<Float>?,  // (N, C)
        dweight: UnsafeMutablePointer<Float>?,  // (OC, C)
        dbias: UnsafeMutablePointer<Float>?,  // (OC)
        dout: UnsafePointer<Float>,  // (N, OC)
        inp: UnsafePointer<Float>,  // (N, C)
        weight: UnsafePointer<Float>,  // (OC, C)
        n: Int, c: Int, oc: Int, context: ComputeContext
    ) {
        precondition(n >= 0 && c > 0 && oc > 0, "Linear.backward: bad sizes n \(n), c \(c), oc \(oc)")
        guard n > 0 else { return }
        // out = inp @ weight^T  =>  dinp += dout @ weight
        if let dinp {
            gemm(.none, .none, m: n, n: c, k: oc, a: dout, b: weight, beta: 1, c: dinp, context: context)
        }
        // dweight += dout^T @ inp
        if let dweight {
            gemm(.transposed, .none, m: oc, n: c, k: n, a: dout, b: inp, beta: 1, c: dweight, context: context)
        }
        // out += bias  =>  dbias += sum over rows of dout
        if let dbias {
            for row in 0..<n { VectorOps.add(dout + row * oc, into: dbias, oc) }
        }
    }
}
