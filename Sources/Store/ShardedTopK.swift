/// Top-k over several matrices (shards) searched as one: the rows of part 0, then part 1, ..., each
/// id counted at its first occurrence only — the rows, in order, of the store `StoreMerge` writes
/// from the same parts. Scores are per row (`TopK`: a row's cosine does not depend on the other rows),
/// so a row scores the same in its part as in the merged store, and ranking by (score, part, row)
/// ranks as the merged store's (score, row) does. Merging each part's top k then gives the merged
/// top k exactly: of the first k distinct ids in that order, no part can hold more than k rows.
public enum ShardedTopK {
    /// A row of one part.
    public struct Hit: Sendable, Equatable {
        public var part: Int
        public var row: Int
        public var score: Float
    }

    /// The first `k` distinct ids of `lists` (one per part, each at least that part's top k, best
    /// first) in the order score descending, then part, then row; `id(part, row)` names a row.
    public static func merge<Score: Comparable>(
        _ lists: [[(row: Int, score: Score)]], k: Int, id: (Int, Int) -> String
    ) -> [(part: Int, row: Int, score: Score)] {
        var all = lists.enumerated().flatMap { part, hits in hits.map { (part: part, row: $0.row, score: $0.score) } }
        all.sort { $0.score != $1.score ? $0.score > $1.score : ($0.part, $0.row) < ($1.part, $1.row) }
        var seen = Set<String>()
        var out: [(part: Int, row: Int, score: Score)] = []
        for hit in all where out.count < k {
            if seen.insert(id(hit.part, hit.row)).inserted { out.append(hit) }
        }
        return out
    }

    /// `TopK.Scan.nibble` over the parts as one matrix of `total` rows (distinct ids): each part's
    /// best `candidates` rows by 4-bit score (default `TopK.nibbleCandidates(k:)`, at most `total`),
    /// the first `candidates` distinct of them by (approximate score, part, row), rescored in float32;
    /// the k best. The parts' 4-bit copies must come from `NibbleMatrix.shared(parts:excluded:)`, so
    /// that their scores are those of the merged store's copy.
    public static func searchNibble(
        query: [Float], parts: [(matrix: VectorMatrix, nibbles: NibbleMatrix)], total: Int, k: Int,
        candidates: Int? = nil, threads: Int = 1
    ) -> [Hit] {
        guard let first = parts.first, k > 0 else { return [] }
        precondition(query.count == first.matrix.dimension, "query has \(query.count) values, the parts \(first.matrix.dimension)")
        let c = Swift.min(Swift.max(candidates ?? TopK.nibbleCandidates(k: k), k), total)
        return query.withUnsafeBufferPointer { buffer -> [Hit] in
            guard let base = buffer.baseAddress else { return [] }
            let q = TopK.PaddedQuery(base, dimension: first.matrix.dimension, stride: first.matrix.stride)
            defer { q.deallocate() }
            let q4 = NibbleQuery(query: base, scales: first.nibbles.scales, stride: first.nibbles.stride)
            defer { q4.deallocate() }
            let coarse = parts.map { part -> [(row: Int, score: Float)] in
                TopK.scanParallel(count: part.matrix.count, k: Swift.min(c, part.matrix.count), threads: threads) { _, lo, hi, heap in
                    TopK.scanNibbles(q4, part.nibbles, part.matrix, lo, hi, &heap)
                }.sorted().map { (row: $0.index, score: $0.score) }
            }
            let chosen = merge(coarse, k: c) { parts[$0].matrix.ids[$1] }
            // Rescore as `TopK.rescore` does; a row's place in the concatenation breaks ties.
            var offsets = [0]
            for part in parts { offsets.append(offsets[offsets.count - 1] + part.matrix.count) }
            var heap = TopKHeap(capacity: Swift.min(k, chosen.count))
            for hit in chosen {
                let m = parts[hit.part].matrix
                let dot = ScanKernels.dot1(UnsafeRawPointer(q.values), UnsafeRawPointer(m.row(hit.row)), m.stride)
                heap.push(TopK.score(dot, hit.row, m, q.inverseNorm), offsets[hit.part] + hit.row)
            }
            return heap.sorted().map { hit in
                let part = offsets.lastIndex { $0 <= hit.index } ?? 0
                return Hit(part: part, row: hit.index - offsets[part], score: hit.score)
            }
        }
    }
}

extension NibbleMatrix {
    /// The 4-bit copies of `parts` that the merged store's copy would be, restricted to each part's
    /// rows: int8 scales over every row (the maximum of each part's `QuantizedMatrix.scales(of:)`,
    /// which is the maximum over all rows), and steps from the histogram `NibbleMatrix(quantized:)`
    /// counts over the merged rows — the parts' rows in order without the rows in `excluded[part]`
    /// (ids repeated from an earlier part, which the merged store holds once).
    public static func shared(parts: [VectorMatrix], excluded: [Set<Int>]) -> [NibbleMatrix] {
        precondition(excluded.count == parts.count, "one excluded set per part")
        guard let first = parts.first else { return [] }
        let dimension = first.dimension
        let partScales = parts.map { QuantizedMatrix.scales(of: $0) }
        let scales = (0..<dimension).map { d in partScales.map { $0[d] }.max() ?? 0 }
        let quantized = parts.map { QuantizedMatrix(matrix: $0, scales: scales) }
        let total = zip(parts, excluded).reduce(0) { $0 + $1.0.count - $1.1.count }
        let every = Swift.max(1, total / sampleRows)
        var histogram = [Int](repeating: 0, count: dimension * 255)
        var merged = 0  // row index in the merged store
        for (p, part) in quantized.enumerated() {
            for row in 0..<part.count where !excluded[p].contains(row) {
                if merged % every == 0 { tally(part.row(row), dimension: dimension, into: &histogram) }
                merged += 1
            }
        }
        let steps = NibbleMatrix.steps(histogram: histogram, dimension: dimension)
        return quantized.map { NibbleMatrix(quantized: $0, steps: steps) }
    }
}
