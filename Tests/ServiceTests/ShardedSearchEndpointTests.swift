import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Retrieval
import Store
import Testing
@testable import Service

/// `serve --db A --db B --db C`: POST /search answers as a server of the store `StoreMerge` makes of them.
struct ShardedSearchEndpointTests {
    /// POST /search's results (id, score, text) of `body` on a service of `searcher`.
    static func search(_ searcher: ShardedSearcher, encoder: SentenceEncoder, _ bodies: [[String: Any]]) async throws -> [String] {
        let batcher = EmbeddingBatcher(encoder: encoder, policy: BatchingPolicy(), metrics: ServiceMetrics())
        var configuration = ServiceConfiguration(port: 0)
        configuration.idleTimeout = .seconds(600)
        let app = buildApplication(configuration: configuration, batcher: batcher, searcher: searcher)
        let requests = try bodies.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        let answers = try await app.test(.router) { client in
            var answers: [String] = []
            for data in requests {
                let response = try await client.execute(uri: "/search", method: .post, body: ByteBuffer(bytes: data))
                #expect(response.status == .ok)
                answers.append(String(buffer: response.body))
            }
            return answers
        }
        await batcher.shutdown()
        return answers
    }

    @Test func threeDatabasesAnswerLikeTheirMergedStore() async throws {
        let encoder = try TinyModel.encoder()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("service-shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let vectors = encoder.encode(sampleTexts)
        let d = encoder.dimension
        let documents = sampleTexts.enumerated().map { i, text in
            StoredDocument(id: "d\(i)", title: nil, text: text, embedding: Array(vectors[(i * d)..<((i + 1) * d)]))
        }
        let model = StoreModelInfo(encoder: encoder, modelPath: TinyModel.url.path, adapterPath: nil)
        let shards = try (0..<3).map { s -> String in
            let path = directory.appendingPathComponent("shard\(s).db").path
            let store = try VectorStore(path: path)
            try store.bind(model: model)
            try store.upsert(documents.enumerated().filter { $0.offset % 3 == s }.map(\.element))
            try store.writeIndex()
            return path
        }
        let merged = directory.appendingPathComponent("merged.db").path
        _ = try StoreMerge(outputPath: merged, shardPaths: shards).run()

        let sharded = try ServiceResources.load(databases: shards, model: nil, adapter: nil)
        let one = try ServiceResources.load(databases: [merged], model: nil, adapter: nil)
        #expect(sharded.searcher?.shards.count == 3 && sharded.searcher?.count == sampleTexts.count)
        var bodies: [[String: Any]] = []
        for query in ["the stone bridge and the ship", "a river", "ship"] {
            for mode in ["vector", "lexical", "hybrid"] { bodies.append(["query": query, "k": 4, "mode": mode]) }
        }
        let got = try await Self.search(try #require(sharded.searcher), encoder: sharded.encoder, bodies)
        let want = try await Self.search(try #require(one.searcher), encoder: one.encoder, bodies)
        #expect(got == want)
    }
}
