/// Approximate top-k through the 4-bit copy (`NibbleMatrix`): one scan of half a byte per
/// dimension picks the best candidates by approximate score, and those are rescored with their
/// float32 rows. Scores are exact; only a true neighbour that the 4-bit pass ranked below every
/// candidate can be lost.
extension TopK {
    /// Default candidates of the 4-bit pass: max(40 k, 400). The 4-bit scores err by about ten
    /// times the int8 ones, so the pass keeps more candidates than `searchInt8` over the int8
    /// codes; rescoring 400 float32 rows costs ~0.1 ms.
    public static func nibbleCandidates(k: Int) -> Int { k > Int.max / 40 ? Int.max : Swift.max(40 * k, 400) }

    /// The k best rows by exact score among the `candidates` (default `nibbleCandidates(k:)`) best
    /// rows of the 4-bit scan of `nibbles` (the 4-bit copy of the same rows as `matrix`).
    static func searchNibble(
        query: UnsafePointer<Float>, matrix: VectorMatrix, nibbles: NibbleMatrix, k: Int, candidates: Int? = nil,
        threads: Int = 1
    ) -> [Hit] {
        precondition(k >= 0, "k must be >= 0")
        precondition(nibbles.count == matrix.count && nibbles.dimension == matrix.dimension,
                     "4-bit matrix does not match the float matrix")
        let q = PaddedQuery(query, dimension: matrix.dimension, stride: matrix.stride)
        defer { q.deallocate() }
        let q4 = NibbleQuery(query: query, scales: nibbles.scales, stride: nibbles.stride)
        defer { q4.deallocate() }
        let c = Swift.min(Swift.max(candidates ?? nibbleCandidates(k: k), k), matrix.count)
        let coarse = scanParallel(count: matrix.count, k: c, threads: threads) { _, lo, hi, heap in
            scanNibbles(q4, nibbles, matrix, lo, hi, &heap)
        }
        return rescore(coarse, q, matrix, k: k)
    }

    /// Approximate scores from the 4-bit dots (`scanApproximate`).
    static func scanNibbles(
        _ q: NibbleQuery, _ nm: NibbleMatrix, _ m: VectorMatrix, _ lo: Int, _ hi: Int, _ heap: inout TopKHeap
    ) {
        scanApproximate(factor: q.factor, block: nibbleBlock, m, lo, hi, &heap) { start, rows, dots in
            q.dots(nm.codes + start * nm.stride, rows: rows, into: dots)
        }
    }

    /// Rows per call of the 4-bit kernel: as many bytes per call as the int8 scan's blocks.
    static let nibbleBlock = 4096
}
