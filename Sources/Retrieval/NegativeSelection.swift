import Store
import Tensor

/// The filtering and sampling upstream's `mine_hard_negatives` applies to each anchor's candidate
/// list (sentence_transformers/util/hard_negatives.py, from "scores[indices == -1]" to the sampling):
///
/// 1. the `candidateCount` = rangeMax + maxPositives + 1 best corpus rows, padded with -inf;
/// 2. excluded rows (the anchor's own text, its positives by text and id) set to -inf;
/// 3. in this order, each counted: absolute margin (`score + m > p`), relative margin
///    (`score > p - |p| m`), `maxScore` (`score > max`), `minScore` (`score < min`), where p is the
///    anchor's smallest positive score;
/// 4. the best `rangeMax` kept, the first `rangeMin` of those skipped;
/// 5. `.top`: the first n of the window; `.random`: n of the window's finite candidates, re-sorted.
///
/// An anchor whose n picks include a -inf (too few survivors) yields no negatives.
struct NegativeSelection {
    let options: HardNegativeMiningOptions
    let rangeMax: Int
    let candidateCount: Int
    var skippedByAbsoluteMargin = 0
    var skippedByRelativeMargin = 0
    var skippedByMaxScore = 0
    var skippedByMinScore = 0
    private var generator: SplitMix64

    init(options: HardNegativeMiningOptions, maxPositives: Int) {
        self.options = options
        rangeMax = options.effectiveRangeMax(maxPositives: maxPositives)
        candidateCount = rangeMax + maxPositives + 1
        generator = SplitMix64(seed: options.seed)
    }

    /// The chosen negatives (corpus index, score), best first, or nil when fewer than n survive.
    /// `hits` are the anchor's best corpus rows, best first (at most `candidateCount`).
    mutating func select(hits: [TopK.Hit], excluded: Set<Int>, minPositive p: Float) -> [TopK.Hit]? {
        var survivors: [TopK.Hit] = []  // finite candidates, best first (ranks of the -inf padding are irrelevant)
        survivors.reserveCapacity(hits.count)
        let relativeThreshold = options.relativeMargin.map { p - abs(p) * $0 }
        for hit in hits.prefix(candidateCount) where !excluded.contains(hit.index) {
            let s = hit.score
            guard s.isFinite else { continue }
            if let m = options.absoluteMargin, s + m > p {
                skippedByAbsoluteMargin += 1
            } else if let t = relativeThreshold, s > t {
                skippedByRelativeMargin += 1
            } else if let maxScore = options.maxScore, s > maxScore {
                skippedByMaxScore += 1
            } else if let minScore = options.minScore, s < minScore {
                skippedByMinScore += 1
            } else {
                survivors.append(hit)
            }
        }
        let n = options.numNegatives, lo = options.rangeMin
        // Finite candidates among ranks lo..<rangeMax of the best-rangeMax list.
        let finiteInWindow = Swift.max(0, Swift.min(survivors.count, rangeMax) - lo)
        switch options.sampling {
        case .top:
            guard finiteInWindow >= n else { return nil }
            return Array(survivors[lo..<lo + n])
        case .random:
            guard finiteInWindow >= n else { return nil }
            // Partial Fisher–Yates: n distinct window positions, uniformly.
            var positions = Array(0..<finiteInWindow)
            for i in 0..<n {
                let j = Int.random(in: i..<finiteInWindow, using: &generator)
                positions.swapAt(i, j)
            }
            return positions[0..<n].map { survivors[lo + $0] }.sorted { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
        }
    }
}
