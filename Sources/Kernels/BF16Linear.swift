import CSIMD

/// A frozen `Linear` in bfloat16 for the forward-only inference path (`embedtune_bf16_linear_forward`):
/// the weight (OC, C) converted once to bf16 (round to nearest even) in panels of 32 output channels,
/// each call's input rows converted to bf16, products summed in float32 with the bias (and residual) in
/// the accumulators — `torch.autocast(dtype=torch.bfloat16)`'s Linear, with float32 out. VDPBF16PS
/// where the CPU has AVX512-BF16 and runs it fast, the bf16 pairs widened to float32 FMAs on other
/// AVX-512 CPUs and (in ymm) on AVX2 + FMA ones, a plain C loop otherwise: the same bits on each; no
/// backward.
///
/// Sizes: N tokens (rows), C input channels, OC output channels.
public final class BF16Linear: LowRankProduct, @unchecked Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    /// ceil(OC / 32) panels of ceil(C / 2) pairs of 32 channels (bf16 bits), and a copy of the
    /// caller's bias (OC; nil for none).
    private let storage: ProductStorage<UInt16>

    /// Converts and packs `weight` (OC, C), copies `bias` (OC); keeps neither pointer.
    public init(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inFeatures c: Int, outFeatures oc: Int) {
        precondition(c > 0 && oc > 0, "BF16Linear: bad sizes c \(c), oc \(oc)")
        inFeatures = c
        outFeatures = oc
        storage = ProductStorage(count: embedtune_bf16_linear_elements(oc, c), bias: bias, outFeatures: oc)
        embedtune_bf16_linear_pack(weight, oc, c, storage.packed)
    }

    /// out (N, OC) = activation(bf16(inp (N, C)) @ bf16(weight)^T + bias (+ residual (N, OC), which may
    /// be `out`)), then `epilogue(lo, hi)` per part of the rows (`FrozenProduct`).
    public func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int = 1,
        residual: UnsafePointer<Float>? = nil, activation: PackedLinear.Activation = .identity,
        epilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil
    ) {
        forward(out: out, inp: inp, n: n, threads: threads, residual: residual, lowRank: nil, activation: activation,
                epilogue: epilogue)
    }

    /// `forward` plus `lowRank`'s float32 product added in the same accumulators, before the activation.
    public func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int,
        residual: UnsafePointer<Float>?, lowRank: LowRankTerm?, activation: PackedLinear.Activation = .identity,
        epilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil
    ) {
        let c = inFeatures, oc = outFeatures, storage = storage
        if let lowRank { precondition(lowRank.outFeatures == oc, "BF16Linear: low-rank term of \(lowRank.outFeatures) columns, not \(oc)") }
        precondition(lowRank?.sums == nil || threads <= 1, "BF16Linear: a low-rank term with outer sums runs on one thread")
        let bytes = embedtune_bf16_linear_scratch_bytes(c)
        ProductRows.forEachPart(n: n, threads: threads, scratchBytes: bytes, epilogue: epilogue) { lo, hi, scratch in
            lowRank?.prepare(rows: lo, hi, productInput: inp, inFeatures: c)
            embedtune_bf16_linear_forward_low_rank(
                inp + lo * c, hi - lo, c, storage.packed, oc, storage.bias, residual.map { $0 + lo * oc },
                activation.code, lowRank.map { $0.inp + lo * $0.rank }, lowRank?.rank ?? 0, lowRank?.packed,
                out + lo * oc, scratch)
        }
    }
}
