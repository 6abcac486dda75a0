import Foundation
import Retrieval

/// The summary `mine` prints on standard error: what upstream's `mine_hard_negatives` prints
/// (rows without enough negatives, candidates skipped per filter, score statistics).
struct MiningReport {
    let summary: MiningSummary
    let options: HardNegativeMiningOptions
    let output: String

    var text: String {
        let s = summary
        var lines = [
            "mine: \(s.rows - s.rowsDropped) rows written to \(output) (\(s.anchors) anchors, \(s.rows) (anchor, positive) "
                + "pairs, \(s.corpusSize) candidate texts, range_max \(s.rangeMax))"
        ]
        if s.rowsDropped > 0 {
            lines.append(
                "mine: \(s.anchorsDropped) anchors (\(s.rowsDropped) rows, \(percent(s.rowsDropped, of: s.rows))) had fewer than "
                    + "\(options.numNegatives) negatives and were dropped; consider --range-max, --range-min or the filters")
        }
        let filters: [(String, Float?, Int)] = [
            ("--absolute-margin", options.absoluteMargin, s.skippedByAbsoluteMargin),
            ("--relative-margin", options.relativeMargin, s.skippedByRelativeMargin),
            ("--max-score", options.maxScore, s.skippedByMaxScore),
            ("--min-score", options.minScore, s.skippedByMinScore),
        ]
        for (name, value, skipped) in filters {
            guard let value else { continue }
            lines.append("mine: \(skipped) candidates skipped by \(name) \(value)")
        }
        lines.append("score          count      min      25%      50%      75%      max     mean")
        for (name, q) in [("positive", s.positiveScores), ("negative", s.negativeScores)] {
            guard let q else {
                lines.append(name.padding(toLength: 9, withPad: " ", startingAt: 0) + "      0")
                continue
            }
            let numbers = [q.min, q.q25, q.median, q.q75, q.max, q.mean].map { String(format: "%9.4f", $0) }.joined()
            lines.append(name.padding(toLength: 9, withPad: " ", startingAt: 0) + String(format: "%11d", q.count) + numbers)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func percent(_ part: Int, of whole: Int) -> String {
        String(format: "%.2f%%", whole > 0 ? 100 * Double(part) / Double(whole) : 0)
    }
}
