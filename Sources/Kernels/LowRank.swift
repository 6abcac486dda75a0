import CSIMD
import Tensor

/// The skinny products of a low-rank adapter, R columns wide (R = LoRA's rank): a down-projection, an
/// up-projection added onto an output, and the outer-product sums of the weight gradients
/// (`embedtune_low_rank_down` / `_outer` and the packed product's low-rank term: AVX-512 and AVX2 kernels, a
/// plain loop elsewhere, where OpenBLAS is the faster choice: see `isFast`). Each output is summed in
/// a fixed order, whatever the threads.
///
/// Sizes: N rows (tokens), K channels, R rank.
public enum LowRank {
    /// True when the kernels run their AVX-512 or AVX2 code; elsewhere OpenBLAS's sgemm is faster.
    public static var isFast: Bool { embedtune_packed_linear_available() != 0 }

    /// out (N, R) = scale * inp (N, K) @ down (R, K)^T, down row-major or, with `transposed`, given as
    /// down^T (K, R) (LoRA's B in its input gradient); the rows are split among the threads.
    public static func down(
        out: UnsafeMutablePointer<Float>,  // (N, R)
        inp: UnsafePointer<Float>,  // (N, K)
        down given: UnsafePointer<Float>,  // (R, K), or (K, R) when transposed
        transposed: Bool = false, scale: Float = 1, n: Int, k: Int, r: Int, context: ComputeContext
    ) {
        precondition(n >= 0 && k > 0 && r > 0, "LowRank.down: bad sizes n \(n), k \(k), r \(r)")
        var down = given
        let copy = transposed ? UnsafeMutablePointer<Float>.allocate(capacity: r * k) : nil  // (R, K)
        defer { copy?.deallocate() }
        if let copy {
            for kk in 0..<k {
                for j in 0..<r { copy[j * k + kk] = given[kk * r + j] }
            }
            down = UnsafePointer(copy)
        }
        let parts = Swift.max(1, Swift.min(context.threads, n / 64))
        let chunk = ((n + parts - 1) / parts + 1) / 2 * 2
        parallelFor(parts, threads: parts) { p in
            let lo = Swift.min(n, p * chunk), hi = Swift.min(n, lo + chunk)
            guard hi > lo else { return }
            embedtune_low_rank_down(inp + lo * k, hi - lo, k, down, r, scale, out + lo * r)
        }
    }

    /// out (N, K) += inp (N, R) @ (scale * up)^T, up (K, R) row-major or, with `transposed`, given as
    /// up^T (R, K); the rows are split among the threads.
    public static func up(
        into out: UnsafeMutablePointer<Float>,  // (N, K)
        inp: UnsafePointer<Float>,  // (N, R)
        up: UnsafePointer<Float>,  // (K, R), or (R, K) when transposed
        transposed: Bool = false, scale: Float = 1, n: Int, k: Int, r: Int, context: ComputeContext
    ) {
        precondition(n >= 0 && k > 0 && r > 0, "LowRank.up: bad sizes n \(n), k \(k), r \(r)")
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: LowRankTerm.packedCount(outFeatures: k, rank: r))
        defer { packed.deallocate() }
        LowRankTerm.pack(up, transposed: transposed, scale: scale, outFeatures: k, rank: r, into: packed)
        // The packed product with no main term (k 0): out = out + inp @ up^T.
        ProductRows.forEachPart(n: n, threads: context.threads, epilogue: nil) { lo, hi, _ in
            embedtune_packed_linear_forward_low_rank(
                inp + lo * r, hi - lo, 0, packed, k, nil, out + lo * k, Int32(EMBEDTUNE_PACKED_LINEAR_IDENTITY),
                inp + lo * r, r, packed, out + lo * k)
        }
    }

    /// g += scale * u (N, R)^T @ v (N, K), element (j, kk) of g at g[j * ldj + kk * ldk]: ldk 1 for
    /// g (R, K) row-major, ldj 1 and ldk R for g (K, R). The K columns are split among the threads.
    public static func outer(
        into g: UnsafeMutablePointer<Float>,
        ldj: Int, ldk: Int,
        u: UnsafePointer<Float>,  // (N, R)
        v: UnsafePointer<Float>,  // (N, K)
        scale: Float = 1, n: Int, k: Int, r: Int, context: ComputeContext
    ) {
        precondition(n >= 0 && k > 0 && r > 0, "LowRank.outer: bad sizes n \(n), k \(k), r \(r)")
        let parts = Swift.max(1, Swift.min(context.threads, k / 64))
        let chunk = ((k + parts - 1) / parts + 31) / 32 * 32
        parallelFor(parts, threads: parts) { p in
            let lo = Swift.min(k, p * chunk), hi = Swift.min(k, lo + chunk)
            guard hi > lo else { return }
            embedtune_low_rank_outer(u, n, r, v + lo, k, hi - lo, scale, g + lo * ldk, ldj, ldk)
        }
    }
}
