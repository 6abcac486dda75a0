@testable import Datasets
import Encoder
import Foundation
@testable import Store
import Testing
@testable import Retrieval

/// Stores of truncated embeddings (`encode --dimensions`): the store records the truncation, never
/// mixes it with another, and search truncates queries alike.
@Suite struct TruncatedStoreTests {
    @Test func aTruncatedStoreRecordsItsTruncationAndAFullOneDoesNot() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let input = try dir.write("corpus.jsonl", jsonl(generatedCorpus(20)))
        let truncated = try TestModels.tiny().truncated(to: 8)
        _ = try encodeJob(input, dir.path("t.db"), encoder: truncated).run()
        let model = try #require(try VectorStore(path: dir.path("t.db"), readOnly: true).storedModel())
        #expect(model.truncation == 8 && model.dimension == 8)
        #expect(model.fingerprint == truncated.fingerprint.description && model.fingerprint.hasSuffix("-trunc8"))
        let rows = try StoreDump(path: dir.path("t.db")).rows
        #expect(rows.count == 20 && rows.allSatisfy { $0.bits.count == 8 })

        _ = try encodeJob(input, dir.path("f.db")).run()
        let full = try #require(try VectorStore(path: dir.path("f.db"), readOnly: true).storedModel())
        #expect(full.truncation == nil && full.dimension == 32)
        let untruncated = try TestModels.tiny().fingerprint.description
        #expect(full.fingerprint == untruncated && !full.fingerprint.contains("trunc"))
    }

    /// (stored truncation, given truncation): every pair that differs is refused before anything is written.
    @Test(arguments: [(nil, 8), (8, nil), (8, 16)] as [(Int?, Int?)])
    func encodingWithAnotherTruncationIsRefusedAndNothingChanges(_ stored: Int?, _ given: Int?) throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = dir.path("v.db")
        let tiny = try TestModels.tiny()
        _ = try encodeJob(try dir.write("a.jsonl", jsonl(generatedCorpus(20))), db, encoder: tiny.truncated(to: stored)).run()
        let before = try StoreDump(path: db)
        let other = try dir.write("b.jsonl", jsonl(generatedCorpus(30, seed: 3)))
        let expected = StoreError.truncationMismatch(
            stored: stored, storedDimension: stored ?? 32, given: given, givenDimension: given ?? 32, path: db)
        #expect(throws: expected) { _ = try encodeJob(other, db, encoder: tiny.truncated(to: given)).run() }
        // The store's own check (a job's pre-check aside) refuses it too.
        let info = StoreModelInfo(encoder: try tiny.truncated(to: given), modelPath: TestModels.tinyModel.path, adapterPath: nil)
        #expect(throws: expected) { try VectorStore(path: db).bind(model: info) }
        #expect(try StoreDump(path: db) == before)
        let message = expected.description
        #expect(message.contains(db) && message.contains("--dimensions"))
        #expect(message.contains(stored.map { "\($0) dimensions" } ?? "full 32 dimensions"), "\(message)")
        #expect(message.contains(given.map { "\($0) dimensions" } ?? "full 32 dimensions"), "\(message)")
    }

    @Test func theSameTruncationResumesIntoTheStore() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let input = try dir.write("a.jsonl", jsonl(generatedCorpus(20)))
        _ = try encodeJob(input, dir.path("v.db"), encoder: TestModels.tiny().truncated(to: 8)).run()
        let summary = try encodeJob(input, dir.path("v.db"), encoder: TestModels.tiny().truncated(to: 8)).run()
        #expect(summary.unchanged == 20 && summary.stored == 20)
    }

    /// Search opens the store's model truncated as its vectors were; its top k must be the brute-force
    /// top k over the full embeddings sliced to 8 values and normalised.
    @Test(arguments: [false, true])
    func searchThroughATruncatedStoreEqualsBruteForceOverTruncatedVectors(_ quantize: Bool) throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let corpus = generatedCorpus(150)
        var job = try encodeJob(try dir.write("corpus.jsonl", jsonl(corpus)), dir.path("v.db"),
                                encoder: TestModels.tiny().truncated(to: 8))
        job.quantize = quantize
        _ = try job.run()
        let searcher = try Searcher(databasePath: dir.path("v.db"))
        #expect(searcher.encoder.dimension == 8 && searcher.matrix.dimension == 8)

        let full = try TestModels.tiny()
        let passages = corpus.map { CorpusDocument(id: $0.id, title: $0.title, text: $0.text, line: 0).passage }
        let documents = sliceAndNormalise(full.encode(passages), keep: 8, of: 32)
        let queries = ["river music", "the history of the island", "school team game", corpus[7].text]
        let queryVectors = sliceAndNormalise(full.encode(queries), keep: 8, of: 32)
        for (query, q) in zip(queries, queryVectors) {
            let scored = documents.enumerated().map { i, d in (id: corpus[i].id, score: zip(q, d).reduce(0) { $0 + $1.0 * $1.1 }) }
            let expected = scored.sorted { $0.score > $1.score }.prefix(5)
            let results = try searcher.search(query, k: 5)
            #expect(results.map(\.id) == expected.map(\.id), "\(query)")
            for (r, e) in zip(results, expected) { #expect(abs(Double(r.score) - e.score) <= 1e-5, "\(query): \(r.id)") }
        }
    }

    /// Rows of (count, c) values cut to their first `keep`, normalised, in Double.
    private func sliceAndNormalise(_ rows: [Float], keep n: Int, of c: Int) -> [[Double]] {
        (0..<(rows.count / c)).map { r in
            let slice = rows[(r * c)..<(r * c + n)].map(Double.init)
            let norm = slice.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return slice.map { $0 / norm }
        }
    }
}
