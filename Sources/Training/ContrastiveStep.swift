import Collectives
import Encoder
import Tensor

/// The token ids of one training batch: B anchors, B positives and H columns of B hard negatives.
public struct ContrastiveBatch: Sendable {
    public var anchors: [[Int32]]  // B sequences
    public var positives: [[Int32]]  // B sequences
    public var negatives: [[[Int32]]]  // H × B sequences
    public var keys: InfoNCEKeys?
    /// The guide model's embeddings of the batch, for GISTEmbed's false-negative filtering.
    public var guide: GuideBatch?

    public init(
        anchors: [[Int32]], positives: [[Int32]], negatives: [[[Int32]]] = [], keys: InfoNCEKeys? = nil,
        guide: GuideBatch? = nil
    ) {
        precondition(positives.count == anchors.count && negatives.allSatisfy { $0.count == anchors.count },
                     "every column needs one sequence per anchor")
        self.anchors = anchors
        self.positives = positives
        self.negatives = negatives
        self.keys = keys
        self.guide = guide
    }

    public var size: Int { anchors.count }
    /// 2 + H: anchors, positives and the hard-negative columns.
    var columns: Int { 2 + negatives.count }
    /// Every sequence in loss order: anchors, positives, then each negative column.
    var sequences: [[Int32]] { anchors + positives + negatives.joined() }
}

/// One forward/backward of the contrastive loss over a batch, ACCUMULATING the gradients into the
/// model's gradient block (zero it once per optimizer step).
///
/// With `miniBatchSize` the step follows GradCache (Gao et al. 2021, "Scaling Deep Contrastive Learning
/// Batch Size under Memory Limited Setup"): embed every chunk without keeping activations, compute the
/// loss and the embedding gradients for the whole batch, then re-run each chunk with activations (same
/// dropout masks, from the same seed) and backpropagate its slice of the embedding gradients. The
/// gradients equal the plain path's, with activation memory bounded by one chunk.
///
/// Data-parallel (`collective` of N ranks), the same split serves the ranks: each embeds its share of the
/// batch (`BatchShard`), the embeddings are all-gathered, every rank computes the loss and the embedding
/// gradients of the whole batch (cheap next to the encoder), and each backpropagates only the rows it
/// embedded. The sum of the ranks' gradients (the caller all-reduces them) is the whole batch's.
public enum ContrastiveStep {
    public static func run(
        model: TrainableBert, batch: ContrastiveBatch, loss: some ContrastiveObjective, miniBatchSize: Int?, seed: UInt64,
        threads: Int
    ) -> Float {
        run(model: model, batch: batch, loss: loss, miniBatchSize: miniBatchSize, seed: seed, threads: threads,
            shard: BatchShard(rank: 0, ranks: 1), gather: { (own: [Float]) throws(Never) -> [Float] in own })
    }

    /// This rank's part of the step; the gradients accumulated are this rank's share only.
    public static func run(
        model: TrainableBert, batch: ContrastiveBatch, loss: some ContrastiveObjective, miniBatchSize: Int?, seed: UInt64,
        threads: Int, collective: some Collective
    ) throws(CollectiveError) -> Float {
        try run(model: model, batch: batch, loss: loss, miniBatchSize: miniBatchSize, seed: seed, threads: threads,
                shard: BatchShard(rank: collective.rank, ranks: collective.size)) { (own) throws(CollectiveError) in
            try collective.allGather(own, label: "the embeddings")
        }
    }

    /// gather: (S_own, C) this rank's embeddings -> (N, S_own, C) every rank's, in rank order.
    static func run<Failure: Error>(
        model: TrainableBert, batch: ContrastiveBatch, loss: some ContrastiveObjective, miniBatchSize: Int?, seed: UInt64,
        threads: Int, shard: BatchShard, gather: ([Float]) throws(Failure) -> [Float]
    ) throws(Failure) -> Float {
        let sequences = shard.pairs(of: batch).sequences
        let c = model.dimension, b = batch.size
        let chunk = min(miniBatchSize ?? sequences.count, sequences.count)
        precondition(chunk > 0, "mini-batch size must be positive")
        let chunks = stride(from: 0, to: sequences.count, by: chunk).map { $0..<min($0 + chunk, sequences.count) }
        // Rank 0's masks are a single process's; other ranks draw theirs from their own streams.
        let rankSeed = shard.rank == 0 ? seed : seed ^ (UInt64(shard.rank) &* 0xBF58_476D_1CE4_E5B9)
        func chunkSeed(_ i: Int) -> UInt64 {
            var g = SplitMix64(seed: rankSeed ^ (UInt64(i) &* 0x9E37_79B9_7F4A_7C15))
            return g.next()
        }
        // (S_own, C) embeddings of this rank's sequences (C = model.dimension)
        var pooled: [Float] = []
        pooled.reserveCapacity(sequences.count * c)
        for (i, range) in chunks.enumerated() {
            pooled += model.forward(PackedBatch(sequences: Array(sequences[range])), seed: chunkSeed(i), threads: threads)
        }
        // (S, C) every embedding of the batch, in loss order
        let all = shard.lossOrder(gathered: try gather(pooled), columns: batch.columns, dimension: c)
        let (value, dAll) = loss.lossAndGradient(  // dAll (S, C)
            embeddings: all,
            batch: BatchContext(
                batchSize: b, dimension: c, keys: batch.keys, guide: batch.guide, compute: ComputeContext(threads: threads)))
        let dPooled = shard.ownRows(of: dAll, columns: batch.columns, dimension: c)  // (S_own, C)
        for (i, range) in chunks.enumerated() {
            if chunks.count > 1 {
                _ = model.forward(PackedBatch(sequences: Array(sequences[range])), seed: chunkSeed(i), threads: threads)
            }
            model.backward(dPooled: Array(dPooled[(range.lowerBound * c)..<(range.upperBound * c)]), threads: threads)
        }
        return value
    }
}
