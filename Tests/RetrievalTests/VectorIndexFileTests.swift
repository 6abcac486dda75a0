import Encoder
import Foundation
@testable import Retrieval
@testable import Store
import Testing

/// The index file beside a store (`VectorIndexFile`): searches through it equal searches over the
/// vectors read from SQLite, and it is never used once it no longer describes the store.
@Suite struct VectorIndexFileTests {
    /// (id, score bits) of the top 5 for a few queries, exact and --quantized.
    func answers(_ db: String, index: SearchIndexUse, queries: [String]) throws -> [[String]] {
        var out: [[String]] = []
        for quantized in [false, true] {
            let searcher = try Searcher(databasePath: db, quantized: quantized, index: index)
            for q in queries {
                out.append(try searcher.search(q, k: 5).map { "\($0.id):\($0.score.bitPattern)" })
            }
        }
        return out
    }

    @Test func encodeWritesACurrentIndexWhoseSearchesEqualTheDatabasesForEveryKindOfChange() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = dir.path("v.db")
        let corpus = generatedCorpus(60)
        _ = try encodeJob(try dir.write("corpus.jsonl", jsonl(corpus)), db).run()
        #expect(FileManager.default.fileExists(atPath: db + ".vectors"))
        let queries = corpus.prefix(4).map(\.text) + ["river stone"]
        #expect(try Searcher(databasePath: db).indexOutcome == .mapped)
        #expect(try answers(db, index: .ifCurrent, queries: queries) == answers(db, index: .never, queries: queries))

        // Each change by another writer (insert, update, delete, new int8 scales) makes the index stale.
        let store = try VectorStore(path: db)
        let encoder = try TestModels.tiny()
        let vector = encoder.encode(["a new document about rivers"])
        let changes: [(String, () throws -> Void)] = [
            ("insert", { try store.upsert([StoredDocument(id: "new", title: nil, text: "a new document about rivers", contentHash: "x", embedding: vector)]) }),
            ("update", { try store.upsert([StoredDocument(id: corpus[3].id, title: nil, text: "changed", contentHash: "y", embedding: vector)]) }),
            ("delete", { try store.delete(ids: [corpus[0].id]) }),
            ("quantize", { _ = try store.quantize() }),
        ]
        for (name, change) in changes {
            try change()
            guard case .failure(.stale) = try store.mappedIndex() else {
                Issue.record("\(name): the index still counts as current")
                continue
            }
            let fromDatabase = try answers(db, index: .never, queries: queries)
            #expect(try Searcher(databasePath: db, index: .ifCurrent).indexOutcome == .readFromDatabase(.stale(path: db + ".vectors")), "\(name)")
            #expect(try Searcher(databasePath: db).indexOutcome == .rebuilt(.stale(path: db + ".vectors")), "\(name)")
            #expect(try answers(db, index: .ifCurrent, queries: queries) == fromDatabase, "\(name)")
            #expect(try Searcher(databasePath: db).indexOutcome == .mapped, "\(name)")
        }
        #expect(try !Searcher(databasePath: db).search("changed", k: 60).contains { $0.id == corpus[0].id }, "a deleted document")
    }

    @Test func aDamagedForeignOrMissingIndexIsRefusedAndWrittenAgain() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let corpus = generatedCorpus(30)
        let input = try dir.write("corpus.jsonl", jsonl(corpus))
        let (a, b) = (dir.path("a.db"), dir.path("b.db"))
        _ = try encodeJob(input, a).run()
        _ = try encodeJob(input, b).run()
        let index = a + ".vectors"
        let good = try Data(contentsOf: URL(fileURLWithPath: index))
        let store = try VectorStore(path: a, readOnly: true)

        try good.prefix(good.count - 100).write(to: URL(fileURLWithPath: index))
        #expect(try store.mappedIndex().failure == .wrongSize(path: index, expected: good.count, actual: good.count - 100))
        var flipped = good
        flipped[20] ^= 1  // the count field: the header checksum fails
        try flipped.write(to: URL(fileURLWithPath: index))
        guard case .notAnIndex? = try store.mappedIndex().failure else { Issue.record("a damaged header was accepted"); return }
        try Data("not an index".utf8).write(to: URL(fileURLWithPath: index))
        guard case .notAnIndex? = try store.mappedIndex().failure else { Issue.record("garbage was accepted"); return }
        try FileManager.default.removeItem(atPath: index)
        try FileManager.default.copyItem(atPath: b + ".vectors", toPath: index)
        #expect(try store.mappedIndex().failure == .otherStore(path: index))
        try FileManager.default.removeItem(atPath: index)
        #expect(try store.mappedIndex().failure == .missing(path: index))

        let searcher = try Searcher(databasePath: a)
        #expect(searcher.indexOutcome == .rebuilt(.missing(path: index)))
        #expect(try store.mappedIndex().failure == nil)
        #expect(try searcher.search(corpus[7].text, k: 1).first?.id == corpus[7].id)
    }

    /// A writer killed after its transaction committed but before the index was renamed into place
    /// leaves the old index (stale) and a temporary file; neither is ever searched, and the next
    /// writer removes the temporary file of the dead process.
    @Test func anInterruptedWriterLeavesNothingThatIsSearched() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = dir.path("v.db")
        let corpus = generatedCorpus(40)
        _ = try encodeJob(try dir.write("corpus.jsonl", jsonl(Array(corpus.prefix(30)))), db).run()
        let store = try VectorStore(path: db)
        try store.delete(ids: [corpus[1].id])  // committed; the index was not written again
        let deadPID: Int32 = 999_999_999
        try Data("half an index".utf8).write(to: URL(fileURLWithPath: db + ".vectors.tmp-\(deadPID)"))
        #expect(try Searcher(databasePath: db, index: .ifCurrent).search(corpus[1].text, k: 30).allSatisfy { $0.id != corpus[1].id })
        try store.writeIndex()
        #expect(!FileManager.default.fileExists(atPath: db + ".vectors.tmp-\(deadPID)"))
        #expect(try Searcher(databasePath: db).indexOutcome == .mapped)
    }

    /// The weights are hashed again whenever their files' stamp changed: a rewritten weight file is
    /// caught even when the store recorded a stamp.
    @Test func aChangedWeightFileIsHashedAgainAndRefused() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let model = dir.path("model")
        try FileManager.default.copyItem(atPath: TestModels.tinyModel.path, toPath: model)
        let encoder = try SentenceEncoder(modelDirectory: URL(fileURLWithPath: model))
        #expect(encoder.weightsStamp != nil)
        var job = EncodeJob(
            encoder: encoder, model: StoreModelInfo(encoder: encoder, modelPath: model, adapterPath: nil),
            inputPath: try dir.write("c.jsonl", jsonl(generatedCorpus(10))), databasePath: dir.path("v.db"))
        job.batchSize = 4
        _ = try job.run()
        #expect(try VectorStore(path: dir.path("v.db"), readOnly: true).weightsStamp() == encoder.weightsStamp)
        _ = try Searcher(databasePath: dir.path("v.db"))

        // Same size, one weight changed, modification time put back: the change time still differs.
        let weights = model + "/model.safetensors"
        let attributes = try FileManager.default.attributesOfItem(atPath: weights)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: weights))
        try FileManager.default.setAttributes([.modificationDate: attributes[.modificationDate] as Any], ofItemAtPath: weights)
        #expect(throws: SearchError.self) { _ = try Searcher(databasePath: dir.path("v.db")) }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
