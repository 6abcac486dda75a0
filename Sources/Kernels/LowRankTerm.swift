import CSIMD

/// A frozen product whose kernel can add a `LowRankTerm` in its own accumulators (`PackedLinear` in
/// float32, `BF16Linear`; the term is float32 in both): LoRA's branch without a second pass over the
/// output (`PackedLoRA`).
public protocol LowRankProduct: FrozenProduct {
    /// out (N, OC) = activation(inp (N, C) @ weight^T + bias (+ residual (N, OC), which may be `out`)
    /// + lowRank.inp (N, R) @ up^T), the term in the same accumulators, before the activation.
    func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int,
        residual: UnsafePointer<Float>?, lowRank: LowRankTerm?, activation: PackedLinear.Activation,
        epilogue: ((_ lo: Int, _ hi: Int) -> Void)?
    )
}

/// A low-rank product added inside a frozen product's kernel (`LowRankProduct`): inp (N, R) @ up^T
/// with up (OC, R) packed in float32 like a `PackedLinear` weight (`LowRankTerm.pack`) — LoRA's
/// up-projection B, or its A in the backward product.
public struct LowRankTerm {
    public let inp: UnsafePointer<Float>  // (N, R)
    public let packed: UnsafePointer<Float>  // packedCount(OC, R): ceil(OC / 32) panels of (R, 32)
    public let rank: Int
    public let outFeatures: Int

    public init(inp: UnsafePointer<Float>, packed: UnsafePointer<Float>, rank: Int, outFeatures: Int) {
        self.inp = inp
        self.packed = packed
        self.rank = rank
        self.outFeatures = outFeatures
    }

    /// Floats of a packed up (OC, R).
    public static func packedCount(outFeatures oc: Int, rank r: Int) -> Int { embedtune_packed_linear_floats(oc, r) }

    /// packed (packedCount) = scale * up packed, up (OC, R) row-major, or, with `transposed`, given as
    /// up^T (R, OC) row-major.
    public static func pack(
        _ up: UnsafePointer<Float>, transposed: Bool = false, scale: Float = 1, outFeatures oc: Int, rank r: Int,
        into packed: UnsafeMutablePointer<Float>
    ) {
        if transposed {
            embedtune_packed_linear_pack_transposed(up, oc, r, packed)
        } else {
            embedtune_packed_linear_pack(up, oc, r, packed)
        }
        if scale != 1 {
            for i in 0..<packedCount(outFeatures: oc, rank: r) { packed[i] *= scale }
        }
    }
}
