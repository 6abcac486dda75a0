import Tensor

/// A contrastive loss over the pooled embeddings of one batch, as `ContrastiveStep` calls it: the loss
/// and its gradient with respect to every embedding.
///
/// Embeddings come in loss order, (S, D) with S = B (2 + H): the B anchors, the B positives, then each
/// of the H hard-negative columns (B rows each). The gradient has the same layout and is returned
/// fresh (nothing accumulates here; `ContrastiveStep` backpropagates it into the model).
///
/// Glossary: B = pairs in the batch, H = hard-negative columns, D = embedding dimension.
public protocol ContrastiveObjective: Sendable {
    func lossAndGradient(embeddings: [Float], batch: BatchContext) -> (loss: Float, gradient: [Float])
}

/// What a loss knows about a batch besides its embeddings.
public struct BatchContext: Sendable {
    /// B
    public var batchSize: Int
    /// D of the embeddings passed in.
    public var dimension: Int
    /// Text identities for masking in-batch false negatives; nil masks nothing.
    public var keys: InfoNCEKeys?
    /// The guide model's view of the batch (GISTEmbed); nil when no guide is used.
    public var guide: GuideBatch?
    /// The threads of the loss's products.
    public var compute: ComputeContext

    public init(
        batchSize: Int, dimension: Int, keys: InfoNCEKeys? = nil, guide: GuideBatch? = nil,
        compute: ComputeContext = .serial
    ) {
        self.batchSize = batchSize
        self.dimension = dimension
        self.keys = keys
        self.guide = guide
        self.compute = compute
    }

    /// 2 + H: anchors, positives and the hard-negative columns.
    func columnCount(embeddingCount: Int) -> Int {
        precondition(batchSize > 0 && dimension > 0, "empty batch")
        precondition(embeddingCount % (batchSize * dimension) == 0, "embeddings are not whole (B, D) columns")
        let columns = embeddingCount / (batchSize * dimension)
        precondition(columns >= 2, "a batch needs anchors and positives")
        return columns
    }
}

extension InfoNCELoss: ContrastiveObjective {
    /// MultipleNegativesRankingLoss (or its symmetric form) over the columns of the batch.
    public func lossAndGradient(embeddings: [Float], batch: BatchContext) -> (loss: Float, gradient: [Float]) {
        let b = batch.batchSize, d = batch.dimension
        let columns = batch.columnCount(embeddingCount: embeddings.count)
        let anchors = Array(embeddings[0..<(b * d)])
        let candidates = (1..<columns).map { col in Array(embeddings[(col * b * d)..<((col + 1) * b * d)]) }
        let forward = forward(
            anchors: anchors, candidates: candidates, dimension: d, keys: batch.keys, context: batch.compute)
        let gradients = backward(forward, context: batch.compute)
        return (forward.loss, gradients.anchors + gradients.candidates.joined())
    }
}
