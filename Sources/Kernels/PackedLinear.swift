import CSIMD
import Tensor

/// A frozen `Linear` for the forward-only inference path: the weight (OC, C) is re-laid out once
/// into panels of 32 output channels, and a kernel (`embedtune_packed_linear_forward`: AVX-512 or AVX2, the same bits)
/// computes `out = inp @ weight^T + bias (+ residual)` with bias and residual in its accumulators —
/// no per-call packing, no bias or residual pass — and can apply GELU to them before the store. It has no backward: training differentiates
/// `Linear` on the original weight, and a weight that changes must be packed again (the inference
/// model packs a frozen copy).
///
/// Sizes: N tokens (rows), C input channels, OC output channels.
public final class PackedLinear: LowRankProduct, @unchecked Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    /// ceil(OC / 32) panels of (C, 32), and a copy of the caller's bias (OC; nil for none).
    private let storage: ProductStorage<Float>

    /// What the kernel applies to each output before storing it.
    public enum Activation: Sendable {
        case identity
        /// The exact GELU, the function of `GELU.forward` (the same bits on every path): the FFN's
        /// up-projection when its pre-activation is not kept.
        case gelu

        var code: Int32 {
            switch self {
            case .identity: Int32(EMBEDTUNE_PACKED_LINEAR_IDENTITY)
            case .gelu: Int32(EMBEDTUNE_PACKED_LINEAR_GELU)
            }
        }
    }

    /// True when this CPU runs a kernel (AVX-512, or AVX2 + FMA); otherwise use `Linear`.
    public static var isAvailable: Bool { embedtune_packed_linear_available() != 0 }

    /// Packs `weight` (OC, C) and copies `bias` (OC); nil when the CPU (or EMBEDTUNE_CPU) rules out
    /// both kernels, unless `fastPathOnly` is false (tests): then `forward` runs the kernel's plain C loop.
    /// Neither pointer is kept.
    public init?(
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inFeatures c: Int, outFeatures oc: Int,
        fastPathOnly: Bool = true
    ) {
        precondition(c > 0 && oc > 0, "PackedLinear: bad sizes c \(c), oc \(oc)")
        guard PackedLinear.isAvailable || !fastPathOnly else { return nil }
        inFeatures = c
        outFeatures = oc
        storage = ProductStorage(count: embedtune_packed_linear_floats(oc, c), bias: bias, outFeatures: oc)
        embedtune_packed_linear_pack(weight, oc, c, storage.packed)
    }

    /// out (N, OC) = activation(inp (N, C) @ weight^T + bias (+ residual (N, OC), added in the kernel;
    /// it may be `out` itself)). Overwrites `out`. The rows go in blocks of at most `ProductRows.rowBlock` (a multiple of 12,
    /// the kernel's tile), `threads` taking an equal share of blocks. `epilogue(lo, hi)`, when given, runs on the thread that has just
    /// computed rows lo..<hi, while they are still in its cache: the elementwise or per-row step
    /// that follows the product (GELU, LayerNorm) fused into it.
    public func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int = 1,
        residual: UnsafePointer<Float>? = nil, activation: Activation = .identity,
        epilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil
    ) {
        forward(out: out, inp: inp, n: n, threads: threads, residual: residual, lowRank: nil, activation: activation,
                epilogue: epilogue)
    }

    /// `forward` plus `lowRank`'s product added in the same accumulators, before the activation.
    public func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int,
        residual: UnsafePointer<Float>?, lowRank: LowRankTerm?, activation: Activation = .identity,
        epilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil
    ) {
        let c = inFeatures, oc = outFeatures, storage = storage
        if let lowRank { precondition(lowRank.outFeatures == oc, "PackedLinear: low-rank term of \(lowRank.outFeatures) columns, not \(oc)") }
        precondition(lowRank?.sums == nil || threads <= 1, "PackedLinear: a low-rank term with outer sums runs on one thread")
        ProductRows.forEachPart(n: n, threads: threads, epilogue: epilogue) { lo, hi, _ in
            lowRank?.prepare(rows: lo, hi, productInput: inp, inFeatures: c)
            embedtune_packed_linear_forward_low_rank(
                inp + lo * c, hi - lo, c, storage.packed, oc, storage.bias, residual.map { $0 + lo * oc }, activation.code,
                lowRank.map { $0.inp + lo * $0.rank }, lowRank?.rank ?? 0, lowRank?.packed, out + lo * oc)
        }
    }
}
