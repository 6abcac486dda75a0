/// The share of a global batch that one rank of a data-parallel job embeds, and the map between the
/// rows the ranks gather and the loss order (`ContrastiveObjective`): rank r embeds pairs r·b ..< (r+1)·b
/// of the batch in every column, so after the all-gather every rank can score every anchor against all
/// N × b candidates of each column, in the order one process would use.
///
/// Glossary: N = ranks, B = pairs in the batch, b = B / N pairs per rank, K = 2 + H columns (anchors,
/// positives, H hard-negative columns), C = embedding dimension.
public struct BatchShard: Sendable, Equatable {
    public let rank: Int
    public let ranks: Int

    public init(rank: Int, ranks: Int) {
        precondition(ranks > 0 && (0..<ranks).contains(rank), "rank \(rank) of \(ranks)")
        self.rank = rank
        self.ranks = ranks
    }

    /// This rank's b pairs of `batch` (B pairs, B a multiple of N), every column; keys and guide stay with
    /// the whole batch, where the loss uses them.
    public func pairs(of batch: ContrastiveBatch) -> ContrastiveBatch {
        guard ranks > 1 else { return batch }
        precondition(batch.size % ranks == 0, "a batch of \(batch.size) pairs does not split over \(ranks) ranks")
        let b = batch.size / ranks
        let own = (rank * b)..<((rank + 1) * b)
        return ContrastiveBatch(
            anchors: Array(batch.anchors[own]), positives: Array(batch.positives[own]),
            negatives: batch.negatives.map { Array($0[own]) })
    }

    /// gathered (N, K, b, C), every rank's embeddings in rank order  ->  (K, N, b, C) = (K·B, C) loss order.
    public func lossOrder(gathered: [Float], columns k: Int, dimension c: Int) -> [Float] {
        guard ranks > 1 else { return gathered }
        let b = gathered.count / (ranks * k * c)
        precondition(gathered.count == ranks * k * b * c, "gathered rows are not (\(ranks), \(k), b, \(c))")
        let block = b * c
        var out = [Float](repeating: 0, count: gathered.count)
        for r in 0..<ranks {
            for col in 0..<k {
                let source = (r * k + col) * block, target = (col * ranks + r) * block
                out[target..<(target + block)] = gathered[source..<(source + block)]
            }
        }
        return out
    }

    /// all (K, N, b, C) = (K·B, C) in loss order  ->  this rank's rows (K, b, C): the gradient of the
    /// embeddings it computed.
    public func ownRows(of all: [Float], columns k: Int, dimension c: Int) -> [Float] {
        guard ranks > 1 else { return all }
        let b = all.count / (ranks * k * c)
        precondition(all.count == ranks * k * b * c, "rows are not (\(k), \(ranks), b, \(c))")
        let block = b * c
        var out = [Float]()
        out.reserveCapacity(k * block)
        for col in 0..<k {
            let source = (col * ranks + rank) * block
            out += all[source..<(source + block)]
        }
        return out
    }
}
