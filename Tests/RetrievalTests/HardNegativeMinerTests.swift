import Foundation
import Testing
@testable import Retrieval

/// Hand-made 3-dimensional unit vectors: a text's vector is looked up by name.
struct TableEmbedder: MiningEmbedder {
    var vectors: [String: [Float]]
    var dimension: Int { 3 }
    func embed(_ texts: [String], progress: (Int) -> Void) -> [Float] {
        defer { progress(texts.count) }
        return texts.flatMap { vectors[$0] ?? [0, 0, 1] }
    }
}

/// The unit vector whose cosine with the anchor (1, 0, 0) is `score`.
func scoring(_ score: Float) -> [Float] { [score, (1 - score * score).squareRoot(), 0] }

/// One anchor "q" with positive "pos" (id p1, score 0.9). The corpus holds "pos" again under another
/// id, an older text of p1 scoring 0.95, the anchor's own text, and a ... f scoring 0.88 down to 0.2.
enum OneAnchor {
    static let scores: [(String, Float)] = [
        ("pos", 0.9), ("old text of p1", 0.95), ("a", 0.88), ("b", 0.85), ("c", 0.78), ("d", 0.7), ("e", 0.5), ("f", 0.2),
    ]
    static let embedder = TableEmbedder(vectors: Dictionary(uniqueKeysWithValues: scores.map { ($0.0, scoring($0.1)) })
        .merging(["q": [1, 0, 0]]) { a, _ in a })
    static let pairs = [MiningPair(anchor: "q", positive: "pos", positiveID: "p1")]
    static let corpus = [
        MiningDocument(id: "p1", text: "old text of p1"), MiningDocument(id: "copy", text: "pos"),
        MiningDocument(id: "self", text: "q"),
    ] + ["a", "b", "c", "d", "e", "f"].map { MiningDocument(id: "id-\($0)", text: $0) }

    static func mine(_ configure: (inout HardNegativeMiningOptions) -> Void) throws -> MiningResult {
        var options = HardNegativeMiningOptions()
        configure(&options)
        return try HardNegativeMiner(options: options).mine(pairs: pairs, corpus: corpus, embedder: embedder)
    }
}

@Suite struct HardNegativeMinerTests {
    @Test func defaultsSkipCandidatesWithin5PercentOfThePositiveAndKeepTheNextOne() throws {
        let result = try OneAnchor.mine { _ in }
        // Excluded: "pos" (text), "old text of p1" (id p1), "q" (the anchor's text); "a" (0.88 > 0.855) skipped.
        #expect(result.rows.map(\.negatives) == [["b"]])
        #expect(result.rows.first?.anchor == "q" && result.rows.first?.positive == "pos")
        #expect(abs((result.rows.first?.scores[0] ?? 0) - 0.9) < 1e-6)
        #expect(abs((result.rows.first?.scores[1] ?? 0) - 0.85) < 1e-6)
        #expect(result.summary.skippedByRelativeMargin == 1)
        #expect(result.summary.rangeMax == 0 + 10 * 1 + 1)
        #expect(result.summary.anchorsDropped == 0 && result.summary.rowsDropped == 0)
    }

    @Test func withoutFiltersTheTopCandidatesAfterTheExclusionsAreTaken() throws {
        let result = try OneAnchor.mine { $0.relativeMargin = nil; $0.numNegatives = 3 }
        #expect(result.rows.map(\.negatives) == [["a", "b", "c"]])
        #expect(result.summary.rangeMax == 3 + 1)
    }

    @Test func absoluteMarginSkipsCandidatesWhoseScorePlusMarginExceedsThePositive() throws {
        let result = try OneAnchor.mine { $0.relativeMargin = nil; $0.absoluteMargin = 0.1; $0.numNegatives = 2 }
        #expect(result.rows.map(\.negatives) == [["c", "d"]])
        #expect(result.summary.skippedByAbsoluteMargin == 2)
    }

    @Test func rangeMinSkipsTheBestSurvivors() throws {
        let result = try OneAnchor.mine { $0.relativeMargin = nil; $0.rangeMin = 1; $0.numNegatives = 2 }
        #expect(result.rows.map(\.negatives) == [["b", "c"]])
    }

    @Test func maxAndMinScoreBoundTheCandidates() throws {
        let result = try OneAnchor.mine { $0.relativeMargin = nil; $0.maxScore = 0.75; $0.numNegatives = 2 }
        #expect(result.rows.map(\.negatives) == [["d", "e"]])
        #expect(result.summary.skippedByMaxScore == 3)
        let few = try OneAnchor.mine { $0.relativeMargin = nil; $0.maxScore = 0.75; $0.minScore = 0.6; $0.numNegatives = 2 }
        #expect(few.rows.isEmpty)
        #expect(few.summary.anchorsDropped == 1 && few.summary.rowsDropped == 1 && few.summary.rows == 1)
        #expect(few.summary.skippedByMinScore == 2)
        #expect(few.summary.negativeScores == nil)
    }

    @Test func randomSamplingIsReproducibleFromTheSeedAndSortedByScore() throws {
        func draw(_ seed: UInt64) throws -> [String] {
            try OneAnchor.mine {
                $0.relativeMargin = nil; $0.numNegatives = 2; $0.rangeMax = 6; $0.sampling = .random; $0.seed = seed
            }.rows.first?.negatives ?? []
        }
        let window = ["a", "b", "c", "d", "e", "f"]
        #expect(try draw(7) == draw(7))
        var seen = Set<[String]>()
        for seed in 0..<40 as Range<UInt64> {
            let picked = try draw(seed)
            #expect(picked.count == 2 && picked.allSatisfy(window.contains))
            #expect(window.firstIndex(of: picked[0]) ?? 0 < window.firstIndex(of: picked[1]) ?? 0)  // best first
            seen.insert(picked)
        }
        #expect(seen.count > 5)
    }

    @Test func theMarginUsesTheAnchorsLeastSimilarPositiveAndRowsKeepInputOrder() throws {
        let embedder = TableEmbedder(vectors: [
            "m": [1, 0, 0], "m1": scoring(0.9), "m2": scoring(0.6), "x": scoring(0.7), "y": scoring(0.55),
            "z": scoring(0.3), "other": [0, 1, 0],
        ])
        let pairs = [
            MiningPair(anchor: "m", positive: "m1"), MiningPair(anchor: "other", positive: "z"),
            MiningPair(anchor: "m", positive: "m2"), MiningPair(anchor: "m", positive: "m1"),
        ]
        let corpus = ["x", "y", "z"].map { MiningDocument(id: nil, text: $0) }
        let result = try HardNegativeMiner().mine(pairs: pairs, corpus: corpus, embedder: embedder)
        // threshold 0.6 - 0.03 = 0.57: x (0.7) is skipped although it is far below m1's 0.9.
        #expect(result.rows.map { [$0.anchor, $0.positive] + $0.negatives } == [
            ["m", "m1", "y"], ["other", "z", "y"], ["m", "m2", "y"],
        ])
        #expect(result.summary.rows == 3 && result.summary.anchors == 2)
        #expect(result.summary.rangeMax == 0 + 10 + 3)  // the anchor "m" has 3 input rows
    }

    @Test func optionsOutsideTheirDomainNameTheOption() {
        func failure(_ configure: (inout HardNegativeMiningOptions) -> Void) -> String? {
            var options = HardNegativeMiningOptions()
            configure(&options)
            do { try options.validate(maxPositives: 1) } catch { if case let .invalidOption(option, _) = error { return option } }
            return nil
        }
        #expect(failure { $0.numNegatives = 0 } == "num-negatives")
        #expect(failure { $0.rangeMin = -1 } == "range-min")
        #expect(failure { $0.rangeMin = 5; $0.rangeMax = 5 } == "range-min")
        #expect(failure { $0.rangeMin = 2; $0.rangeMax = 3; $0.numNegatives = 2 } == "range-max")
        #expect(failure { $0.relativeMargin = -0.05 } == "relative-margin")
        #expect(failure { $0.absoluteMargin = .infinity } == "absolute-margin")
        #expect(failure { $0.maxScore = .nan } == "max-score")
        #expect(failure { _ in } == nil)
    }

    @Test func quantilesInterpolateLinearlyAsTorchQuantile() throws {
        // torch.quantile(torch.tensor([4., 1., 3., 2.]), torch.tensor([.25, .5, .75])) == [1.75, 2.5, 3.25]
        let q = try #require(ScoreQuantiles([4, 1, 3, 2]))
        #expect([q.min, q.q25, q.median, q.q75, q.max, q.mean] == [1, 1.75, 2.5, 3.25, 4, 2.5])
        #expect(ScoreQuantiles([]) == nil)
    }
}
