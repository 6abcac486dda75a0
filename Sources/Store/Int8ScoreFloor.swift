/// The integer form of a score threshold for the integer scans (int8 and 4-bit codes): the
/// smallest dot a row needs so that its score (plus a slack) could still reach `threshold`. Rows
/// whose integer dot is below it are skipped after one compare, before any float work; the rest are
/// checked exactly as before, so the floor only has to be conservative (every margin below is far
/// wider than Float's rounding).
///
/// Only for matrices of unit-norm rows (what normalising models store), where a row's score is
/// fl(dot * inverseQueryNorm); otherwise, or with no finite threshold yet, the floor is Int32.min.
enum Int8ScoreFloor {
    /// - threshold: the heap's current k-th best score.
    /// - slack: an upper bound of (upper bound - approximate dot) for every row; 0 for the plain
    ///   approximate scan.
    /// - factor: the query's integer factor (approximate dot = Float(int dot) / factor).
    static func floor(threshold: Float, slack: Double, factor: Float, inverseQueryNorm: Float, unitRows: Bool) -> Int32 {
        guard unitRows, threshold.isFinite, slack.isFinite, inverseQueryNorm > 0, factor > 0 else { return .min }
        // score = fl(y * inverseQueryNorm) >= threshold needs y >= threshold / inverseQueryNorm, less
        // a rounding margin.
        let t = Double(threshold) / Double(inverseQueryNorm)
        let yLow = t - abs(t) * 0x1p-20 - 1e-30
        // y = approx + (error <= slack); approx = fl(Float(dot) * fl(1 / factor)).
        let aLow = yLow - slack
        let dotLow = (aLow - abs(aLow) * 0x1p-20) * Double(factor) - 1
        guard dotLow.isFinite else { return .min }
        if dotLow <= Double(Int32.min) { return .min }
        if dotLow >= Double(Int32.max) { return .max }
        return Int32(dotLow.rounded(.down))
    }
}
