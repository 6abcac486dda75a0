/// One output row in sentence-transformers' "n-tuple" format: anchor, positive, negative_1 ... negative_n.
public struct MinedRow: Sendable, Equatable {
    public var anchor: String
    public var positive: String
    /// (n) best first (for `.random` sampling too, as upstream re-sorts the sample).
    public var negatives: [String]
    /// (1 + n) the positive's score, then each negative's (upstream's `scores` column).
    public var scores: [Float]
}

/// What `HardNegativeMiner.mine` returns: the kept rows, in first-appearance order of their
/// (anchor, positive) pair, and the summary.
public struct MiningResult: Sendable {
    public var rows: [MinedRow]
    public var summary: MiningSummary
}

/// The stages a mining run reports through its progress callback.
public enum MiningEvent: Sendable, Equatable {
    /// Embedding the corpus texts that have no stored vector.
    case encodingCorpus(done: Int, total: Int)
    /// Embedding the distinct anchors.
    case encodingAnchors(done: Int, total: Int)
    /// Exact top-k search, in blocks of anchors.
    case searching(done: Int, total: Int)
}
