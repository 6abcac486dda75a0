import CSIMD
import Tensor

/// The skinny products of a low-rank adapter, R columns wide (R = LoRA's rank): a down-projection and
/// the outer-product sums of its weight gradients (`embedtune_low_rank_down` / `_outer`: AVX-512
/// kernels, a plain loop elsewhere). Each output is summed in a fixed order, whatever the threads.
///
/// Sizes: N rows (tokens), K channels, R rank.
public enum LowRank {
    /// out (N, R) = scale * inp (N, K) @ down (R, K)^T; the rows are split among the threads.
    public static func down(
        out: UnsafeMutablePointer<Float>,  // (N, R)
        inp: UnsafePointer<Float>,  // (N, K)
        down: UnsafePointer<Float>,  // (R, K)
        scale: Float = 1, n: Int, k: Int, r: Int, context: ComputeContext
    ) {
        precondition(n >= 0 && k > 0 && r > 0, "LowRank.down: bad sizes n \(n), k \(k), r \(r)")
        let parts = Swift.max(1, Swift.min(context.threads, n / 64))
        let chunk = ((n + parts - 1) / parts + 1) / 2 * 2
        parallelFor(parts, threads: parts) { p in
            let lo = Swift.min(n, p * chunk), hi = Swift.min(n, lo + chunk)
            guard hi > lo else { return }
            embedtune_low_rank_down(inp + lo * k, hi - lo, k, down, r, scale, out + lo * r)
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
