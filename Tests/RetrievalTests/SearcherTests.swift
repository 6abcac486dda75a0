@testable import Datasets
import Encoder
import Foundation
@testable import Store
import Testing
@testable import Retrieval

@Suite struct SearcherTests {
    @Test func aDocumentsOwnTextFindsItFirstWithCosineOne() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let corpus = generatedCorpus(80)
        _ = try encodeJob(try dir.write("corpus.jsonl", jsonl(corpus)), dir.path("v.db")).run()
        let searcher = try Searcher(databasePath: dir.path("v.db"))
        #expect(searcher.count == 80)
        for i in [0, 13, 79] {
            let doc = corpus[i]
            let query = CorpusDocument(id: doc.id, title: doc.title, text: doc.text, line: 0).passage
            let results = try searcher.search(query, k: 5)
            #expect(results.count == 5)
            #expect(results.map(\.rank) == [1, 2, 3, 4, 5])
            #expect(results.first?.id == doc.id && results.first?.text == doc.text && results.first?.title == doc.title)
            #expect(abs((results.first?.score ?? 0) - 1) <= 1e-5)
            #expect(zip(results, results.dropFirst()).allSatisfy { $0.score >= $1.score })
        }
        #expect(try searcher.search("river", k: 500).count == 80, "k beyond the corpus gives every document")
    }

    @Test func quantizedSearchFindsTheSameTopHitWithOrWithoutTheStoresInt8Copy() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let corpus = generatedCorpus(80)
        let input = try dir.write("corpus.jsonl", jsonl(corpus))
        _ = try encodeJob(input, dir.path("v.db")).run()
        for use in [SearchIndexUse.ifCurrent, .never] {
            let exact = try Searcher(databasePath: dir.path("v.db"), index: use)
            let quantized = try Searcher(databasePath: dir.path("v.db"), quantized: true, index: use)
            for doc in corpus.prefix(10) {
                #expect(try exact.search(doc.text, k: 1).first?.id == quantized.search(doc.text, k: 1).first?.id)
            }
        }
        var job = try encodeJob(input, dir.path("v.db"))
        job.quantize = true
        _ = try job.run()
        let exact = try Searcher(databasePath: dir.path("v.db"))
        let quantized = try Searcher(databasePath: dir.path("v.db"), quantized: true)
        #expect(quantized.nibbleCopy != nil && exact.nibbleCopy == nil)
        for doc in corpus.prefix(10) {
            let a = try exact.search(doc.text, k: 3), b = try quantized.search(doc.text, k: 3)
            #expect(a.first?.id == b.first?.id)
            #expect(a.first?.score == b.first?.score, "candidates are rescored in float32")
        }
    }

    /// Once the store has an int8 copy, exact search reads it through error bounds: the results
    /// must equal the full float32 scan of the same vectors.
    @Test func exactSearchThroughTheInt8CopyEqualsTheFullScan() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let corpus = generatedCorpus(120)
        var job = try encodeJob(try dir.write("corpus.jsonl", jsonl(corpus)), dir.path("v.db"))
        job.quantize = true
        _ = try job.run()
        let searcher = try Searcher(databasePath: dir.path("v.db"))
        let int8Copy = try #require(searcher.int8Copy)
        #expect(!searcher.isQuantized && int8Copy.largestResidual.isFinite)
        for doc in corpus.prefix(15) {
            let q = searcher.encoder.encode([doc.text], batchSize: 1, threads: 1)
            let full = TopK.search(query: q, matrix: searcher.matrix, k: 7)
            let got = try searcher.search(vector: q, k: 7)
            #expect(got.map(\.id) == full.map { searcher.matrix.ids[$0.index] })
            #expect(got.map(\.score) == full.map(\.score))
        }
    }

    @Test func aModelThatChangedIsRefusedNamingTheDatabase() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        _ = try encodeJob(try dir.write("corpus.jsonl", jsonl(generatedCorpus(20))), dir.path("v.db")).run()
        let store = try VectorStore(path: dir.path("v.db"), readOnly: true)
        let other = try TestModels.tiny(maxLength: 16)
        do {
            _ = try Searcher(store: store, encoder: other)
            Issue.record("a model with another fingerprint was accepted")
        } catch let error as SearchError {
            #expect(error == .modelChanged(database: dir.path("v.db"), modelPath: TestModels.tinyModel.path,
                                           recorded: try TestModels.tiny().fingerprint.description,
                                           found: other.fingerprint.description))
            #expect(String(describing: error).contains(dir.path("v.db")))
        }
    }

    @Test func aMissingModelDirectoryIsAnErrorNamingTheDatabaseAndTheModel() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let copy = dir.url.appendingPathComponent("model")
        try FileManager.default.copyItem(at: TestModels.tinyModel, to: copy)
        let encoder = try SentenceEncoder(modelDirectory: copy)
        let job = EncodeJob(
            encoder: encoder, model: StoreModelInfo(encoder: encoder, modelPath: copy.path, adapterPath: nil),
            inputPath: try dir.write("corpus.jsonl", jsonl(generatedCorpus(10))), databasePath: dir.path("v.db"))
        _ = try job.run()
        #expect(try Searcher(databasePath: dir.path("v.db")).count == 10)
        try FileManager.default.removeItem(at: copy)
        do {
            _ = try Searcher(databasePath: dir.path("v.db"))
            Issue.record("a missing model directory was accepted")
        } catch let error as SearchError {
            guard case let .modelUnavailable(database, modelPath, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(database == dir.path("v.db") && modelPath == copy.standardizedFileURL.path)
        }
    }

    @Test func aDatabaseWithoutAModelIsRefused() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        _ = try VectorStore(path: dir.path("empty.db"))
        #expect(throws: SearchError.noModelRecorded(database: dir.path("empty.db"))) {
            _ = try Searcher(databasePath: dir.path("empty.db"))
        }
    }

    /// A reader on its own connection, while `EncodeJob` commits chunks, only ever sees whole chunks:
    /// a prefix of the final rows, bit for bit.
    @Test func searchesDuringAnEncodeSeeConsistentSnapshots() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let corpus = generatedCorpus(800)
        let input = try dir.write("corpus.jsonl", jsonl(corpus))
        let path = dir.path("v.db")
        let job = try encodeJob(input, path, chunkSize: 16)
        let encoder = job.encoder
        // Bind first, so readers can open the store before the first chunk.
        _ = try encodeJob(try dir.write("empty.jsonl", ""), path).run()

        let texts = Dictionary(uniqueKeysWithValues: corpus.map { ($0.id, $0.text) })
        // The writer gets a thread of its own: a Task could wait forever for a cooperative-pool thread
        // while this loop and other tests hold them all.
        let outcome = Locked<Result<EncodeSummary, any Error>?>(nil)
        let writer = Thread {
            let result = Result { try job.run() }
            outcome.withLock { $0 = result }
        }
        writer.start()
        var snapshots: [(ids: [String], bits: [[UInt32]])] = []
        var searches = 0
        while outcome.withLock({ $0 == nil }) {
            let store = try VectorStore(path: path, readOnly: true)
            let matrix = try store.loadMatrix()
            snapshots.append((Array(matrix.ids), (0..<matrix.count).map { matrix.vector($0).map(\.bitPattern) }))
            if matrix.count > 0 {
                let searcher = try Searcher(store: store, encoder: encoder)
                let results = try searcher.search(corpus[0].text, k: 3)
                #expect(results.count == min(3, searcher.count))
                #expect(results.allSatisfy { texts[$0.id] == $0.text })
                searches += 1
            }
            usleep(2000)
        }
        let summary = try #require(outcome.withLock { $0 }).get()
        #expect(summary.committed == 800)
        let final = try StoreDump(path: path)
        #expect(snapshots.count > 1 && searches > 0)
        for snapshot in snapshots {
            #expect(snapshot.ids.count % 16 == 0, "a snapshot of \(snapshot.ids.count) rows holds part of a chunk")
            #expect(snapshot.ids == final.rows.prefix(snapshot.ids.count).map(\.id))
            #expect(snapshot.bits == final.rows.prefix(snapshot.ids.count).map(\.bits))
        }
    }
}
