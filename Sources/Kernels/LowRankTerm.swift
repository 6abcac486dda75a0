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
///
/// Two skinny products over the frozen product's own input X (N, C) can ride along, done by the product
/// block by block just before the kernel reads the block's rows, while they are in cache (each would
/// otherwise read all of X from memory once more):
/// - `down`: the term's inp is not given but computed, inp = scale · X @ down^T, down (R, C);
/// - `sums`: `OuterSums` accumulates u^T X (LoRA's weight gradient over the product's input), blocks
///   in order (the product must then run on one thread).
public struct LowRankTerm {
    public let inp: UnsafePointer<Float>  // (N, R)
    public let packed: UnsafePointer<Float>  // packedCount(OC, R): ceil(OC / 32) panels of (R, 32)
    public let rank: Int
    public let outFeatures: Int
    /// inp = scale · X @ weight^T, written by the product before it reads each block; nil: inp is given.
    public let down: (weight: UnsafePointer<Float>, scale: Float)?  // weight (R, C)
    public let sums: OuterSums?

    public init(inp: UnsafePointer<Float>, packed: UnsafePointer<Float>, rank: Int, outFeatures: Int) {
        self.inp = inp
        self.packed = packed
        self.rank = rank
        self.outFeatures = outFeatures
        down = nil
        sums = nil
    }

    /// A term whose inp (N, R) the product computes as scale · X @ down^T (down (R, C) row-major),
    /// and, when `sums` is given, whose product also accumulates `sums.u`^T X.
    public init(
        computing inp: UnsafeMutablePointer<Float>, down: UnsafePointer<Float>, scale: Float = 1,
        packed: UnsafePointer<Float>, rank: Int, outFeatures: Int, sums: OuterSums? = nil
    ) {
        self.inp = UnsafePointer(inp)
        self.packed = packed
        self.rank = rank
        self.outFeatures = outFeatures
        self.down = (down, scale)
        self.sums = sums
    }

    /// The riders' work on rows lo..<hi of the product's input X (N, C), before the kernel reads them.
    func prepare(rows lo: Int, _ hi: Int, productInput x: UnsafePointer<Float>, inFeatures c: Int) {
        guard hi > lo else { return }
        if let down {
            embedtune_low_rank_down(x + lo * c, hi - lo, c, down.weight, rank, down.scale, UnsafeMutablePointer(mutating: inp) + lo * rank)
        }
        sums?.accumulate(rows: lo, hi, v: x, k: c)
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
