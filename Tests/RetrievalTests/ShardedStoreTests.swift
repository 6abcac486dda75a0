import Encoder
import Foundation
@testable import Retrieval
@testable import Store
import Testing

/// `encode` in shards, `StoreMerge`, and `ShardedSearcher` over the shards against a `Searcher` over
/// the merged store: same documents, vector bits, ids, order and scores.
@Suite struct ShardedStoreTests {
    /// Common words (in most documents: BM25's IDF floor) and rare ones (`rare`: real IDF differences
    /// between a shard and the merged store).
    static let queries = ["river music island", "the school game north film water", "church", "history of the city",
                          "people world time state year", "zebra", "kx3 river", "kx17 kx42 kx5", "kx8 kx8 music kx51"]

    /// `generatedCorpus(count)` with two rare words kxN (N < 60) added to each text.
    static func corpus(_ count: Int) -> [(id: String, title: String?, text: String)] {
        generatedCorpus(count).enumerated().map { i, doc in
            (doc.id, doc.title, doc.text + " kx\(i * 7 % 60) kx\(i * i % 59)")
        }
    }

    /// Rows by id: (title, text, hash, vector bits).
    static func byID(_ dump: StoreDump) -> [String: StoreDump.Row] {
        Dictionary(uniqueKeysWithValues: dump.rows.map { ($0.id, $0) })
    }

    /// Encodes a 150-document corpus once whole and once in 3 shards, and merges the shards.
    static func encodedShards(_ dir: TempDirectory, quantize: Bool = false) throws -> (whole: String, shards: [String], merged: String) {
        let input = try dir.write("corpus.jsonl", try jsonl(Self.corpus(150)))
        // One document per forward pass: its vector then does not depend on the batch's other sequences.
        var whole = try encodeJob(input, dir.path("whole.db"))
        whole.batchSize = 1
        whole.quantize = quantize
        _ = try whole.run()
        let shards = try (0..<3).map { i -> String in
            var job = try encodeJob(input, dir.path("shard\(i).db"))
            job.shard = Shard(index: i, count: 3)
            job.batchSize = 1
            job.quantize = quantize
            _ = try job.run()
            return job.databasePath
        }
        var merge = StoreMerge(outputPath: dir.path("merged.db"), shardPaths: shards)
        merge.batchSize = 7
        _ = try merge.run()
        return (dir.path("whole.db"), shards, dir.path("merged.db"))
    }

    /// Every mode of `sharded` equals `merged`'s: ids, order and scores bit for bit.
    static func expectSameResults(_ sharded: ShardedSearcher, _ merged: Searcher, k: Int = 10) throws {
        let modes: [SearchMode] = [.vector, .lexical, .hybrid(RankFusion()), .hybrid(RankFusion(k: 5, weights: [1, 2]), depth: 12)]
        for query in queries {
            for mode in modes {
                let got = try sharded.search(query, k: k, mode: mode)
                let want = try merged.search(query, k: k, mode: mode)
                #expect(got.map(\.id) == want.map(\.id), "\(query) \(mode.name)")
                #expect(got.map(\.score.bitPattern) == want.map(\.score.bitPattern), "\(query) \(mode.name)")
                #expect(got.map(\.text) == want.map(\.text), "\(query) \(mode.name)")
            }
        }
    }

    @Test func threeShardsMergeToTheDocumentsAndVectorBitsOfOneEncode() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (whole, _, merged) = try Self.encodedShards(dir)
        let wholeDump = try StoreDump(path: whole), mergedDump = try StoreDump(path: merged)
        #expect(mergedDump.rows.count == 150)
        #expect(Self.byID(mergedDump) == Self.byID(wholeDump))
        #expect(mergedDump.model == wholeDump.model)
        let store = try VectorStore(path: merged, readOnly: true)
        guard case .success = try store.mappedIndex() else {
            Issue.record("the merged store has no current index file")
            return
        }
        #expect(try store.lexicalSearch("river", k: 3).count == 3)
    }

    @Test func aMergeRunAgainChangesNothing() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (_, shards, merged) = try Self.encodedShards(dir)
        let before = try StoreDump(path: merged)
        let generation = try VectorStore(path: merged, readOnly: true).generation()
        let again = try StoreMerge(outputPath: merged, shardPaths: shards).run()
        #expect(again.copied == 0 && again.alreadyPresent == 150 && !again.indexWritten && !again.quantized)
        #expect(try StoreDump(path: merged) == before)
        #expect(try VectorStore(path: merged, readOnly: true).generation() == generation)
    }

    @Test func searchingThreeShardsEqualsSearchingTheMergedStore() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (_, shards, merged) = try Self.encodedShards(dir)
        try Self.expectSameResults(ShardedSearcher(databasePaths: shards), Searcher(databasePath: merged))
        let quantized = try ShardedSearcher(databasePaths: shards, quantized: true)
        let mergedQuantized = try Searcher(databasePath: merged, quantized: true)
        for query in Self.queries {
            // Few candidates, so the 4-bit pass decides: its scales and steps must be the merged store's.
            let vector = try mergedQuantized.embed(query, threads: 1)
            for k in [1, 3, 10] {
                #expect(try quantized.search(vector: vector, k: k).map(\.id) == mergedQuantized.search(vector: vector, k: k).map(\.id))
            }
            let got = try quantized.search(query, k: 10)
            let want = try mergedQuantized.search(query, k: 10)
            #expect(got.map(\.id) == want.map(\.id) && got.map(\.score.bitPattern) == want.map(\.score.bitPattern), "\(query)")
        }
    }

    @Test func sharedFourBitCopiesEqualTheMergedCopyRowForRow() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (_, shards, merged) = try Self.encodedShards(dir, quantize: true)
        let parts = try shards.map { try VectorStore(path: $0, readOnly: true).loadMatrix() }
        let shared = NibbleMatrix.shared(parts: parts, excluded: parts.map { _ in [] })
        let (matrix, quantized) = try VectorStore(path: merged, readOnly: true).loadQuantized()
        let whole = NibbleMatrix(quantized: quantized)
        #expect(shared.allSatisfy { $0.scales.map(\.bitPattern) == whole.scales.map(\.bitPattern) })
        var row = 0
        for (p, part) in shared.enumerated() {
            for i in 0..<part.count {
                #expect(parts[p].ids[i] == matrix.ids[row])
                #expect(memcmp(part.codes + i * part.stride, whole.codes + row * whole.stride, part.stride) == 0)
                row += 1
            }
        }
    }

    @Test func bm25WithAStoresOwnStatisticsEqualsFTS5sBM25() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let (_, _, merged) = try Self.encodedShards(dir)
        let store = try VectorStore(path: merged, readOnly: true)
        for query in Self.queries + ["river river water \"quoted\" OR NEAR", "x"] {
            let builtin = try store.lexicalSearch(query, k: 20)
            guard let statistics = try store.lexicalStatistics(query) else {
                #expect(builtin.isEmpty)
                continue
            }
            let ours = try store.lexicalSearch(query, k: 20, statistics: statistics)
            #expect(ours.map(\.id) == builtin.map(\.id), "\(query)")
            #expect(ours.map(\.score.bitPattern) == builtin.map(\.score.bitPattern), "\(query)")
        }
    }

    /// Shards that repeat documents (identical title, text and vector): the merged store holds each once,
    /// and the sharded search leaves the repeats out of its statistics and 4-bit histogram.
    @Test func shardsRepeatingIdenticalDocumentsSearchLikeTheirMerge() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let encoder = try TestModels.tiny()
        let corpus = Self.corpus(120)
        let vectors = encoder.encode(corpus.map { [$0.title, $0.text].compactMap { $0 }.joined(separator: " ") })
        let d = encoder.dimension
        let documents = corpus.enumerated().map { i, doc in
            StoredDocument(id: doc.id, title: doc.title, text: doc.text, embedding: Array(vectors[i * d..<(i + 1) * d]))
        }
        let ranges = [0..<70, 50..<120, 30..<40]
        let shards = try ranges.enumerated().map { s, range -> String in
            let store = try VectorStore(path: dir.path("r\(s).db"))
            try store.bind(model: StoreModelInfo(encoder: encoder, modelPath: TestModels.tinyModel.path, adapterPath: nil))
            try store.upsert(Array(documents[range]))
            return store.path
        }
        let summary = try StoreMerge(outputPath: dir.path("merged.db"), shardPaths: shards).run()
        #expect(summary.copied == 120 && summary.alreadyPresent == 30)
        try Self.expectSameResults(ShardedSearcher(databasePaths: shards), Searcher(databasePath: dir.path("merged.db")))
        let quantized = try ShardedSearcher(databasePaths: shards, quantized: true)
        let merged = try Searcher(databasePath: dir.path("merged.db"), quantized: true)
        for query in Self.queries {
            let vector = try merged.embed(query, threads: 1)
            let got = try quantized.search(vector: vector, k: 5), want = try merged.search(vector: vector, k: 5)
            #expect(got.map(\.id) == want.map(\.id) && got.map(\.score.bitPattern) == want.map(\.score.bitPattern), "\(query)")
        }
    }

    @Test func mergeRefusesAnotherModelAndAConflictingDocument() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let a = try VectorStore(path: dir.path("a.db"))
        try a.bind(model: modelInfo(fingerprint: "fp-A"))
        try a.upsert([StoredDocument(id: "x", title: nil, text: "one", embedding: [1, 0, 0, 0, 0, 0, 0, 0])])
        let b = try VectorStore(path: dir.path("b.db"))
        try b.bind(model: modelInfo(fingerprint: "fp-B"))
        #expect(throws: StoreError.shardModelMismatch(
            path: b.path, model: "fingerprint fp-B (8 dimensions)", firstPath: a.path, firstModel: "fingerprint fp-A (8 dimensions)")) {
            _ = try StoreMerge(outputPath: dir.path("out.db"), shardPaths: [a.path, b.path]).run()
        }
        let c = try VectorStore(path: dir.path("c.db"))
        try c.bind(model: modelInfo(fingerprint: "fp-A"))
        try c.upsert([StoredDocument(id: "y", title: nil, text: "two", embedding: [0, 1, 0, 0, 0, 0, 0, 0]),
                      StoredDocument(id: "x", title: nil, text: "one", embedding: [1, 0, 0, 0, 0, 0, 0, 1e-7])])
        #expect(throws: StoreError.conflictingDocument(id: "x", path: c.path, otherPath: a.path)) {
            _ = try StoreMerge(outputPath: dir.path("out2.db"), shardPaths: [a.path, c.path]).run()
        }
        #expect(throws: StoreError.mergeIntoShard(path: a.path)) {
            _ = try StoreMerge(outputPath: a.path, shardPaths: [a.path, c.path]).run()
        }
    }
}
