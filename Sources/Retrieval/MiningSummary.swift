/// Distribution of a set of scores: what upstream's `mine_hard_negatives` prints for the positive
/// and negative scores. Quantiles interpolate linearly between order statistics, as `torch.quantile`
/// (and numpy's default "linear" method) does.
public struct ScoreQuantiles: Sendable, Equatable {
    public var count: Int
    public var min: Float
    public var q25: Float
    public var median: Float
    public var q75: Float
    public var max: Float
    public var mean: Float

    /// nil for no scores.
    public init?(_ scores: [Float]) {
        guard !scores.isEmpty else { return nil }
        let sorted = scores.sorted()
        func quantile(_ q: Double) -> Float {
            let position = q * Double(sorted.count - 1)
            let lower = Int(position.rounded(.down)), upper = Swift.min(lower + 1, sorted.count - 1)
            let fraction = Float(position - Double(lower))
            return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
        }
        count = sorted.count
        min = sorted[0]
        q25 = quantile(0.25)
        median = quantile(0.5)
        q75 = quantile(0.75)
        max = sorted[sorted.count - 1]
        mean = Float(sorted.reduce(0.0) { $0 + Double($1) } / Double(sorted.count))
    }
}

/// What a mining run did, for the report upstream prints after mining.
public struct MiningSummary: Sendable, Equatable {
    /// Distinct anchors, and those left with fewer than `numNegatives` negatives.
    public var anchors = 0
    public var anchorsDropped = 0
    /// Output rows possible (distinct (anchor, positive) pairs), and those dropped with their anchor.
    public var rows = 0
    public var rowsDropped = 0
    /// Unique candidate texts searched (documents plus positives).
    public var corpusSize = 0
    /// Candidates ranked per anchor (`rangeMax` as given or derived).
    public var rangeMax = 0
    /// Candidates skipped by each filter, counted as upstream does (over the whole candidate list,
    /// each candidate by the first filter that removes it, in the order below).
    public var skippedByAbsoluteMargin = 0
    public var skippedByRelativeMargin = 0
    public var skippedByMaxScore = 0
    public var skippedByMinScore = 0
    /// Scores of every row's positive, and of the negatives of the kept rows (nil when none).
    public var positiveScores: ScoreQuantiles?
    public var negativeScores: ScoreQuantiles?

    public init() {}
}
