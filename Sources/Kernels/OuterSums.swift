import CSIMD

/// The outer-product sums u (N, R)^T @ v (N, K) gathered block by block of rows, in order, then added
/// scaled into a gradient (`embedtune_low_rank_outer_accumulate` / `_finish`): the same bits as
/// `LowRank.outer` over all N rows at once. A `LowRankTerm` rider: the frozen product passes each block
/// of its input (v) through `accumulate` while the rows are in cache.
///
/// Sizes: N rows, R rank, K columns of v.
public final class OuterSums: @unchecked Sendable {
    public let u: UnsafePointer<Float>  // (N, R)
    public let rank: Int
    public let columns: Int
    private let sums: UnsafeMutablePointer<Float>  // embedtune_low_rank_outer_sums_floats(R, K), zeroed

    public init(u: UnsafePointer<Float>, rank r: Int, columns k: Int) {
        precondition(r > 0 && k > 0, "OuterSums: bad sizes r \(r), k \(k)")
        self.u = u
        rank = r
        columns = k
        let count = embedtune_low_rank_outer_sums_floats(r, k)
        sums = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        sums.initialize(repeating: 0, count: count)
    }

    deinit { sums.deallocate() }

    /// Adds rows lo..<hi of u and of v (N, K) row-major; blocks must come in row order.
    func accumulate(rows lo: Int, _ hi: Int, v: UnsafePointer<Float>, k: Int) {
        precondition(k == columns, "OuterSums: v has \(k) columns, not \(columns)")
        embedtune_low_rank_outer_accumulate(u + lo * rank, hi - lo, rank, v + lo * k, k, k, sums)
    }

    /// g += scale · sums, element (j, kk) at g[j * ldj + kk * ldk] (as `LowRank.outer`).
    public func finish(into g: UnsafeMutablePointer<Float>, ldj: Int, ldk: Int, scale: Float = 1) {
        embedtune_low_rank_outer_finish(sums, rank, columns, scale, g, ldj, ldk)
    }
}
