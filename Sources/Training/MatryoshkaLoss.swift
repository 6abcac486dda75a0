/// Matryoshka representation learning (Kusupati et al. 2022, arXiv 2205.13147), with the semantics of
/// sentence-transformers' `MatryoshkaLoss` (sentence_transformer/losses/matryoshka.py):
///
///     loss = sum_k weight_k * base(normalize(embeddings[:, :dims_k]))
///
/// so the first dims_k values of every embedding are trained to work on their own. The base losses
/// normalise their inputs themselves, so truncation alone is passed on (normalising twice is the same
/// function). The guide's embeddings are not truncated: upstream truncates only the trained model's.
///
/// Glossary: S = embeddings in the batch, D = full dimension, d_k = a truncated dimension.
public struct MatryoshkaLoss: ContrastiveObjective {
    public var base: any ContrastiveObjective
    /// Dimensions, each in 1...D.
    public var dimensions: [Int]
    /// One weight per dimension.
    public var weights: [Float]

    public init(base: any ContrastiveObjective, dimensions: [Int], weights: [Float]? = nil) {
        precondition(!dimensions.isEmpty && dimensions.allSatisfy { $0 > 0 }, "Matryoshka dimensions must be positive")
        precondition(weights.map { $0.count == dimensions.count } ?? true, "one weight per Matryoshka dimension")
        self.base = base
        self.dimensions = dimensions
        self.weights = weights ?? Array(repeating: 1, count: dimensions.count)
    }

    public func lossAndGradient(embeddings: [Float], batch: BatchContext) -> (loss: Float, gradient: [Float]) {
        let d = batch.dimension, s = embeddings.count / d
        var total: Float = 0
        var gradient = [Float](repeating: 0, count: embeddings.count)  // (S, D)
        for (dims, weight) in zip(dimensions, weights) {
            precondition(dims <= d, "Matryoshka dimension \(dims) exceeds the embedding dimension \(d)")
            // truncated (S, d_k)
            var truncated = [Float](repeating: 0, count: s * dims)
            for r in 0..<s {
                for c in 0..<dims { truncated[r * dims + c] = embeddings[r * d + c] }
            }
            var context = batch
            context.dimension = dims
            let (loss, dTruncated) = base.lossAndGradient(embeddings: truncated, batch: context)
            total += weight * loss
            for r in 0..<s {
                for c in 0..<dims { gradient[r * d + c] += weight * dTruncated[r * dims + c] }
            }
        }
        return (total, gradient)
    }
}
