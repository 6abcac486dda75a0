import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Retrieval
@testable import Store
import Testing
@testable import Service

struct SearchEndpointTests {
    @Test func searchRanksLikeTopKOverTheStoredVectors() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let index = try database.index(encoder: encoder)
        let query = "the stone bridge and the ship"
        let expected = TopK.search(query: encoder.encode([query]), matrix: index.matrix, k: 3)
        try await withService(index: index, encoder: encoder) { client, _ in
            let body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["query": query, "k": 3]))
            let response = try await client.execute(uri: "/search", method: .post, body: body)
            #expect(response.status == .ok)
            let json = try jsonObject(response.body)
            #expect(json["query"] as? String == query)
            let results = try #require(json["results"] as? [[String: Any]])
            #expect(results.count == 3)
            for (result, hit) in zip(results, expected) {
                let id = index.matrix.ids[hit.index]
                #expect(result["id"] as? String == id)
                #expect(abs(((result["score"] as? NSNumber)?.floatValue ?? -9) - hit.score) <= 1e-5)
                #expect(result["text"] as? String == database.texts[Int(id.dropFirst()) ?? -1])
            }
        }
    }

    @Test func lexicalAndHybridModesAnswerAsTheSearcherDoes() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let index = try database.index(encoder: encoder)
        let query = sampleTexts[2] + " (NEAR * \"unbalanced"
        try await withService(index: index, encoder: encoder) { client, _ in
            for mode in [SearchMode.lexical, .hybrid(RankFusion())] {
                let expected = try index.search(query, k: 4, mode: mode)
                #expect(!expected.isEmpty)
                let body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["query": query, "k": 4, "mode": mode.name]))
                let response = try await client.execute(uri: "/search", method: .post, body: body)
                #expect(response.status == .ok)
                let results = try #require(try jsonObject(response.body)["results"] as? [[String: Any]])
                #expect(results.map { $0["id"] as? String } == expected.map(\.id), "\(mode.name)")
            }
            let bad = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["query": query, "mode": "bm25"]))
            let response = try await client.execute(uri: "/search", method: .post, body: bad)
            #expect(response.status == .badRequest)
        }
    }

    @Test func aStoredTextFindsItselfFirstAndKDefaultsToTen() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let index = try database.index(encoder: encoder)
        try await withService(index: index, encoder: encoder) { client, _ in
            let body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["query": sampleTexts[5]]))
            let response = try await client.execute(uri: "/search", method: .post, body: body)
            #expect(response.status == .ok)
            let results = try #require(try jsonObject(response.body)["results"] as? [[String: Any]])
            #expect(results.count == sampleTexts.count)  // k = 10 > 8 documents
            #expect(results.first?["id"] as? String == "d5")
            #expect(abs(((results.first?["score"] as? NSNumber)?.floatValue ?? 0) - 1) <= 1e-4)
        }
    }

    /// The service opens databases read-only: an index file found damaged by a search (its rows
    /// overwritten, the header and so its checksum intact) is not written again, but the database is
    /// searched through the vectors in SQLite, answering as the undamaged file did.
    @Test func aDamagedIndexFileIsSearchedAroundThroughTheDatabase() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        try VectorStore(path: database.path).writeIndex()
        let index = try database.index(encoder: encoder)
        #expect(index.indexOutcome == .mapped)
        let query = sampleTexts[5]
        let expected = try Searcher(store: VectorStore(path: database.path, readOnly: true), encoder: encoder, index: .never)
            .search(query, k: 3)
        try await withService(index: index, encoder: encoder) { client, batcher in
            #expect(batcher.metrics.exposition().contains("embedtune_search_index_fallbacks_total 0\n"))
            // The float32 rows: the first (offset, length) pair of the header, at byte 176.
            let url = URL(fileURLWithPath: VectorIndexFile.path(forDatabase: database.path))
            var file = try Data(contentsOf: url)
            let offset = file[176..<184].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let length = file[184..<192].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            try #require(offset >= 4096 && length > 0 && offset + length <= file.count)
            let garbage = (0..<(length / 4)).map { Float(($0 * 7919) % 97) / 12 - 4 }
            file.replaceSubrange(offset..<(offset + length), with: garbage.withUnsafeBytes { Array($0) })
            try file.write(to: url)
            for _ in 0..<2 {
                let body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["query": query, "k": 3]))
                let response = try await client.execute(uri: "/search", method: .post, body: body)
                #expect(response.status == .ok)
                let results = try #require(try jsonObject(response.body)["results"] as? [[String: Any]])
                #expect(results.map { $0["id"] as? String } == expected.map(\.id))
                for (result, hit) in zip(results, expected) {
                    #expect(abs(((result["score"] as? NSNumber)?.floatValue ?? -9) - hit.score) <= 1e-5)
                }
            }
            // One fallback: the second search went to SQLite directly.
            #expect(batcher.metrics.exposition().contains("embedtune_search_index_fallbacks_total 1\n"))
        }
    }

    @Test func searchWithoutADatabaseIsNotFoundWithAJSONError() async throws {
        try await withService { client, _ in
            let body = ByteBuffer(string: #"{"query":"x"}"#)
            let response = try await client.execute(uri: "/search", method: .post, body: body)
            #expect(response.status == .notFound)
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("--db") == true)
        }
    }

    @Test func anIndexRefusesAnotherModelsDatabase() throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let other = try SentenceEncoder(modelDirectory: TinyModel.url, maxLength: encoder.maxLength - 1)
        #expect(throws: SearchError.self) { try database.index(encoder: other) }
    }

    @Test func resourcesRefuseADatabaseWrittenByAnotherModel() throws {
        let encoder = try TinyModel.encoder()
        let recorded = "0123456789abcdef-mean-norm-\(encoder.maxLength)-\(encoder.dimension)"
        let database = try TestDatabase(encoder: encoder, recordedFingerprint: recorded)
        defer { database.remove() }
        let expected = ServiceSetupError.fingerprintMismatch(
            database: database.path, recorded: recorded, given: encoder.fingerprint.description)
        #expect(throws: expected) { try ServiceResources.load(database: database.path, model: nil, adapter: nil) }
        #expect(expected.description.contains(database.path))
        #expect(expected.description.contains(recorded))
    }

    @Test func resourcesLoadTheModelRecordedInTheDatabase() throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let resources = try ServiceResources.load(database: database.path, model: nil, adapter: nil)
        #expect(resources.encoder.fingerprint == encoder.fingerprint)
        #expect(resources.index?.count == sampleTexts.count)
        let modelOnly = try ServiceResources.load(database: nil, model: TinyModel.url.path, adapter: nil)
        #expect(modelOnly.index == nil)
        #expect(throws: ServiceSetupError.nothingToServe) {
            try ServiceResources.load(database: nil, model: nil, adapter: nil)
        }
    }
}
