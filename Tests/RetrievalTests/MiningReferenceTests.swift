import Encoder
import Foundation
import Testing
@testable import Retrieval

/// Tests/RetrievalTests/Fixtures/mining_reference.json, written by scripts/reference/mining_fixtures.py:
/// negatives mined by sentence-transformers' `mine_hard_negatives` with all-MiniLM-L6-v2.
struct MiningReference: Decodable {
    struct Pair: Decodable { var anchor: String; var positive: Int }
    struct Row: Decodable { var anchor: String; var positive: Int; var negatives: [Int]; var scores: [Float] }
    struct Run: Decodable {
        var relative_margin: Float?
        var num_negatives: Int
        var rows: [Row]
    }
    var corpus: [String]
    var pairs: [Pair]
    var runs: [Run]

    static func load() throws -> MiningReference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/mining_reference.json")
        return try JSONDecoder().decode(MiningReference.self, from: Data(contentsOf: url))
    }
}

@Suite(.serialized) struct MiningReferenceTests {
    static let miniLM = TestModels.root.appendingPathComponent("models/all-MiniLM-L6-v2")
    /// Scores closer than this are a tie: either order matches.
    static let tie: Float = 1e-5

    @Test(arguments: [0, 1])
    func negativesEqualSentenceTransformersInAtLeast98PercentOfSlots(run index: Int) throws {
        let reference = try MiningReference.load()
        let run = reference.runs[index]
        let encoder = try SentenceEncoder(modelDirectory: Self.miniLM)
        var options = HardNegativeMiningOptions()
        options.numNegatives = run.num_negatives
        options.relativeMargin = run.relative_margin
        var miner = HardNegativeMiner(options: options)
        miner.threads = 2
        let result = try miner.mine(
            pairs: reference.pairs.map { MiningPair(anchor: $0.anchor, positive: reference.corpus[$0.positive]) },
            corpus: reference.corpus.map { MiningDocument(id: nil, text: $0) },
            embedder: EncoderEmbedder(encoder: encoder, batchSize: 32, threads: 2))

        // Rows are compared by (anchor, positive): upstream groups its rows by anchor.
        var ours: [String: MinedRow] = [:]
        for row in result.rows { ours[row.anchor + "\u{0}" + row.positive] = row }
        var theirs: [String: MiningReference.Row] = [:]
        for row in run.rows { theirs[row.anchor + "\u{0}" + reference.corpus[row.positive]] = row }
        #expect(Set(ours.keys) == Set(theirs.keys), "kept rows differ: ours \(ours.count), theirs \(theirs.count)")

        var slots = 0, matching = 0
        for (key, expected) in theirs {
            guard let row = ours[key] else { continue }
            #expect(abs(row.scores[0] - expected.scores[0]) < 1e-4, "positive score of \(key)")
            for (rank, negative) in expected.negatives.enumerated() {
                slots += 1
                let same = row.negatives[rank] == reference.corpus[negative]
                let tied = abs(row.scores[rank + 1] - expected.scores[rank + 1]) <= Self.tie
                if same || tied { matching += 1 }
            }
        }
        let agreement = Double(matching) / Double(max(slots, 1))
        print("mining reference, relative_margin \(run.relative_margin.map { "\($0)" } ?? "none"): "
              + "\(matching)/\(slots) slots agree (\(String(format: "%.2f", 100 * agreement))%), "
              + "\(result.rows.count) rows kept of \(result.summary.rows)")
        #expect(slots >= 600)
        #expect(agreement >= 0.98)
    }
}
