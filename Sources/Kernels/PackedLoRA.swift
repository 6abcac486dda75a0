import Tensor

/// `LoRA` (dropout 0) around a frozen base held packed — `PackedLinear` (float32) or `BF16Linear` for
/// W (OC, C) and for W^T (C, OC), any `LowRankProduct` — with its up-projections in float32 inside the
/// packed kernels' accumulators and its skinny products in `LowRank`'s kernels instead of six OpenBLAS
/// calls:
///   forward   xa = inp A^T;               out = inp W^T + b (+ residual) + xa (scale B)^T
///   backward  dxa = scale dout B;         dinp += dout W + dxa A
///             dB += scale dout^T xa;      dA += dxa^T inp
/// The skinny products that read the base product's own input ride along in it, block by block
/// (`LowRankTerm`'s riders): xa in the forward; dxa and, on one thread, dB's sums in the backward. Each
/// would otherwise read all of inp or dout from memory once more; the bits are the same.
/// The same function as the base's product + `LoRA.forward` / `.backward`, summed in another order.
///
/// Sizes: N tokens, C input channels, OC output channels, R rank.
public enum PackedLoRA {
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, OC)
        xa: UnsafeMutablePointer<Float>,  // (N, R) saved for backward
        inp: UnsafePointer<Float>,  // (N, C)
        residual: UnsafePointer<Float>?,  // (N, OC), may be `out`
        base: any LowRankProduct,  // W (OC, C) and b
        a: UnsafePointer<Float>,  // (R, C) lora_A.weight
        b: UnsafePointer<Float>,  // (OC, R) lora_B.weight
        scale: Float, n: Int, r: Int, context: ComputeContext,
        epilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil  // as the base's `forward`
    ) {
        let oc = base.outFeatures
        let packedUp = UnsafeMutablePointer<Float>.allocate(capacity: LowRankTerm.packedCount(outFeatures: oc, rank: r))
        defer { packedUp.deallocate() }
        LowRankTerm.pack(b, scale: scale, outFeatures: oc, rank: r, into: packedUp)
        // xa = inp A^T, block by block inside the product.
        base.forward(
            out: out, inp: inp, n: n, threads: context.threads, residual: residual,
            lowRank: LowRankTerm(computing: xa, down: a, packed: packedUp, rank: r, outFeatures: oc),
            activation: .identity, epilogue: epilogue)
    }

    /// Gradients of `forward` (without its residual) from dout, ACCUMULATED (+=) into `da` and `db`
    /// when given and into dinp — or written over it with `overwrite`; dinp nil: none.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>?,  // (N, C)
        da: UnsafeMutablePointer<Float>?,  // (R, C)
        db: UnsafeMutablePointer<Float>?,  // (OC, R)
        dout: UnsafePointer<Float>,  // (N, OC)
        xa: UnsafePointer<Float>,  // (N, R) from forward
        inp: UnsafePointer<Float>,  // (N, C)
        transposedBase: any LowRankProduct,  // W^T (C, OC), no bias
        a: UnsafePointer<Float>,  // (R, C)
        b: UnsafePointer<Float>,  // (OC, R)
        scale: Float, n: Int, r: Int, overwrite: Bool = false, context: ComputeContext,
        epilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil  // on dinp's rows, as the base's `forward`
    ) {
        let c = transposedBase.outFeatures, oc = transposedBase.inFeatures
        let dxa = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, n * r))  // (N, R)
        defer { dxa.deallocate() }
        // out += xa (scale B)^T  =>  dB += scale dout^T xa ; dxa = scale dout B
        if let dinp {
            // dxa (and, on one thread, dB's sums) over dout's blocks inside dinp's product; then
            // xa = inp A^T  =>  dA += dxa^T inp ; dinp += dxa A (with dout W, in one product).
            let bT = UnsafeMutablePointer<Float>.allocate(capacity: r * oc)  // (R, OC)
            defer { bT.deallocate() }
            for o in 0..<oc {
                for j in 0..<r { bT[j * oc + o] = b[o * r + j] }
            }
            let sums = db != nil && context.threads <= 1 ? OuterSums(u: xa, rank: r, columns: oc) : nil
            if let db, sums == nil {
                LowRank.outer(into: db, ldj: 1, ldk: r, u: xa, v: dout, scale: scale, n: n, k: oc, r: r, context: context)
            }
            let packedDown = UnsafeMutablePointer<Float>.allocate(capacity: LowRankTerm.packedCount(outFeatures: c, rank: r))
            defer { packedDown.deallocate() }
            LowRankTerm.pack(a, transposed: true, outFeatures: c, rank: r, into: packedDown)
            transposedBase.forward(
                out: dinp, inp: dout, n: n, threads: context.threads, residual: overwrite ? nil : dinp,
                lowRank: LowRankTerm(
                    computing: dxa, down: bT, scale: scale, packed: packedDown, rank: r, outFeatures: c, sums: sums),
                activation: .identity, epilogue: epilogue)
            if let db, let sums { sums.finish(into: db, ldj: 1, ldk: r, scale: scale) }
        } else {
            if let db { LowRank.outer(into: db, ldj: 1, ldk: r, u: xa, v: dout, scale: scale, n: n, k: oc, r: r, context: context) }
            LowRank.down(out: dxa, inp: dout, down: b, transposed: true, scale: scale, n: n, k: oc, r: r, context: context)
        }
        if let da { LowRank.outer(into: da, ldj: c, ldk: 1, u: dxa, v: inp, n: n, k: c, r: r, context: context) }
    }
}
