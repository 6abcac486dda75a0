import CSIMD
import Tensor

/// A frozen `Linear` for the forward-only inference path: the weight (OC, C) is re-laid out once
/// into panels of 32 output channels, and an AVX-512 kernel (`embedtune_packed_linear_forward`)
/// computes `out = inp @ weight^T + bias` with the bias in its accumulators — no per-call packing,
/// no bias pass. It has no backward: training differentiates `Linear` on the original weight, and
/// a weight that changes must be packed again (the inference model packs a frozen copy).
///
/// Sizes: N tokens (rows), C input channels, OC output channels.
public final class PackedLinear: @unchecked Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    /// ceil(OC / 32) panels of (C, 32), 64-byte aligned.
    private let packed: UnsafeMutablePointer<Float>
    /// (OC), owned by the caller's parameters, which must outlive this object.
    private let bias: UnsafePointer<Float>?

    /// True when this CPU runs the kernel (AVX-512); otherwise use `Linear`.
    public static var isAvailable: Bool { embedtune_packed_linear_available() != 0 }

    /// Packs `weight` (OC, C); nil when the CPU lacks AVX-512.
    public init?(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inFeatures c: Int, outFeatures oc: Int) {
        precondition(c > 0 && oc > 0, "PackedLinear: bad sizes c \(c), oc \(oc)")
        guard PackedLinear.isAvailable else { return nil }
        inFeatures = c
        outFeatures = oc
        let count = embedtune_packed_linear_floats(oc, c)
        packed = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        embedtune_packed_linear_pack(weight, oc, c, packed)
        self.bias = bias
    }

    deinit { packed.deallocate() }

    /// out (N, OC) = inp (N, C) @ weight^T + bias. Overwrites `out`. With `threads` > 1 the rows are
    /// split into contiguous ranges (multiples of 12, the kernel's tile), one per thread.
    public func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int = 1) {
        precondition(n >= 0, "PackedLinear.forward: negative n")
        let parts = Swift.max(1, Swift.min(threads, n / 48))
        let chunk = ((n + parts - 1) / parts + 11) / 12 * 12
        let c = inFeatures, oc = outFeatures
        parallelFor(parts, threads: parts) { p in
            let lo = Swift.min(n, p * chunk), hi = Swift.min(n, lo + chunk)
            guard hi > lo else { return }
            embedtune_packed_linear_forward(inp + lo * c, hi - lo, c, packed, oc, bias, out + lo * oc)
        }
    }
}
