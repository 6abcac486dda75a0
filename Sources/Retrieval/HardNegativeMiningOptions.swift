import Store
/// How negatives are drawn from the candidates that survive the filters (sentence-transformers'
/// `sampling_strategy`).
public enum NegativeSampling: String, Sendable, CaseIterable {
    /// The `numNegatives` best-scoring remaining candidates: the hardest ones.
    case top
    /// `numNegatives` drawn uniformly from the remaining candidates in the rank window, then sorted
    /// by score (best first).
    case random
}

/// The options of hard-negative mining, named and defined as the arguments of sentence-transformers'
/// `mine_hard_negatives` (sentence_transformers/util/hard_negatives.py): `range_min`, `range_max`,
/// `max_score`, `min_score`, `absolute_margin`, `relative_margin`, `num_negatives`,
/// `sampling_strategy`. Scores are cosine similarities.
///
/// The defaults are the recipe of NV-Retriever (Moreira et al., 2024, arXiv 2407.15831),
/// "TopK-PercPos" at 95%: a candidate scoring above 95% of the (least) positive's score is taken
/// for an unlabelled positive and skipped; of the rest, the top ones are kept.
public struct HardNegativeMiningOptions: Sendable, Equatable {
    /// Negatives per anchor (n). An anchor with fewer surviving candidates yields no rows.
    public var numNegatives = 1
    /// The first `rangeMin` surviving candidates (best first) are skipped.
    public var rangeMin = 0
    /// Candidates considered per anchor; nil derives it as upstream:
    /// `rangeMin + 10 n + maxPositives` when a margin or `maxScore` is set, else
    /// `rangeMin + n + maxPositives` (maxPositives = most (anchor, positive) rows of one anchor).
    public var rangeMax: Int?
    /// Candidates scoring above this are skipped.
    public var maxScore: Float?
    /// Candidates scoring below this are skipped.
    public var minScore: Float?
    /// Skips a candidate when `score + absoluteMargin > positive`.
    public var absoluteMargin: Float?
    /// Skips a candidate when `score > positive - |positive| * relativeMargin`.
    public var relativeMargin: Float? = 0.05
    public var sampling = NegativeSampling.top
    /// Seeds `SplitMix64` for `.random` sampling.
    public var seed: UInt64 = 42

    public init() {}

    /// `rangeMax`, or its upstream default for anchors with at most `maxPositives` rows each.
    public func effectiveRangeMax(maxPositives: Int) -> Int {
        if let rangeMax { return rangeMax }
        let filtered = absoluteMargin != nil || relativeMargin != nil || maxScore != nil
        return rangeMin + (filtered ? 10 * numNegatives : numNegatives) + maxPositives
    }

    /// The checks upstream makes before mining, plus finite, non-negative numbers.
    public func validate(maxPositives: Int) throws(MiningError) {
        guard numNegatives >= 1 else { throw .invalidOption(option: "num-negatives", reason: "must be at least 1, got \(numNegatives)") }
        guard rangeMin >= 0 else { throw .invalidOption(option: "range-min", reason: "must be non-negative, got \(rangeMin)") }
        // So that the derived --range-max (rangeMin + 10 n + positives) cannot overflow.
        for (name, value) in [("num-negatives", numNegatives), ("range-min", rangeMin), ("range-max", rangeMax ?? 0)]
        where value > Int.max / 64 {
            throw .invalidOption(option: name, reason: "too large, got \(value)")
        }
        for (name, value) in [("max-score", maxScore), ("min-score", minScore), ("absolute-margin", absoluteMargin),
                              ("relative-margin", relativeMargin)] {
            if let value, !value.isFinite { throw .invalidOption(option: name, reason: "must be a finite number, got \(value)") }
        }
        if let minScore, let maxScore, minScore > maxScore {
            throw .invalidOption(option: "min-score", reason: "\(minScore) is above --max-score \(maxScore), so no candidate remains")
        }
        if let absoluteMargin, absoluteMargin < 0 {
            throw .invalidOption(option: "absolute-margin", reason: "must be non-negative, got \(absoluteMargin)")
        }
        if let relativeMargin, relativeMargin < 0 {
            throw .invalidOption(option: "relative-margin", reason: "must be non-negative, got \(relativeMargin)")
        }
        let rangeMax = effectiveRangeMax(maxPositives: maxPositives)
        guard rangeMin < rangeMax else {
            throw .invalidOption(option: "range-min", reason: "must be smaller than --range-max, got \(rangeMin) and \(rangeMax)")
        }
        guard numNegatives <= rangeMax - rangeMin else {
            throw .invalidOption(
                option: "range-max",
                reason: "cannot mine \(numNegatives) negatives: only \(rangeMax - rangeMin) candidates remain after skipping "
                    + "the first --range-min \(rangeMin) of --range-max \(rangeMax)")
        }
    }
}
