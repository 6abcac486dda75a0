import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Retrieval
@testable import Store
import Testing
@testable import Service

/// `POST /search` with `"mode": "hybrid"`: the server's fusion (`serve --rrf-k`, `--vector-weight`,
/// `--lexical-weight`) and a request's own `rrf_k`, `vector_weight` and `lexical_weight`.
struct SearchFusionTests {
    /// A query whose vector, lexical and hybrid rankings of `sampleTexts` all differ.
    static let query = "the ship passed the stone bridge at the academy"
    static let k = 6

    /// The ids `/search` answers for `fields` (query and k added).
    static func ids(_ client: any TestClientProtocol, _ fields: [String: Any]) async throws -> [String] {
        var object: [String: Any] = ["query": query, "k": k]
        for (key, value) in fields { object[key] = value }
        let response = try await client.execute(
            uri: "/search", method: .post, body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)))
        guard response.status == .ok else { throw TestFailure("\(fields): \(response.status) \(String(buffer: response.body))") }
        let results = try jsonObject(response.body)["results"] as? [[String: Any]] ?? []
        return results.compactMap { $0["id"] as? String }
    }

    @Test func aZeroWeightLeavesTheOtherListsRanking() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        try await withService(index: try database.index(encoder: encoder), encoder: encoder) { client, _ in
            let vector = try await Self.ids(client, ["mode": "vector"])
            let lexical = try await Self.ids(client, ["mode": "lexical"])
            let hybrid = try await Self.ids(client, ["mode": "hybrid"])
            try #require(hybrid != vector && Array(hybrid.prefix(lexical.count)) != lexical, "the query must tell the rankings apart")
            #expect(try await Self.ids(client, ["mode": "hybrid", "lexical_weight": 0]) == vector)
            let lexicalOnly = try await Self.ids(client, ["mode": "hybrid", "vector_weight": 0])
            #expect(Array(lexicalOnly.prefix(lexical.count)) == lexical, "\(lexicalOnly) vs \(lexical)")
            #expect(try await Self.ids(client, ["mode": "hybrid", "vector_weight": 1, "lexical_weight": 1]) == hybrid)
        }
    }

    @Test func aRequestsKAndWeightsRankAsRankFusionDoes() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let index = try database.index(encoder: encoder)
        let fusion = RankFusion(k: 0.5, weights: [1, 1.5])
        let expected = try index.search(Self.query, k: Self.k, mode: .hybrid(fusion)).map(\.id)
        let usual = try index.search(Self.query, k: Self.k, mode: .hybrid(RankFusion())).map(\.id)
        try #require(expected != usual, "k 0.5 and lexical weight 1.5 must change the ranking of this query")
        try await withService(index: index, encoder: encoder) { client, _ in
            let overridden = try await Self.ids(client, ["mode": "hybrid", "rrf_k": 0.5, "lexical_weight": 1.5])
            let plain = try await Self.ids(client, ["mode": "hybrid"])
            #expect(overridden == expected)
            #expect(plain == usual)
        }
    }

    @Test func theServersFusionIsTheDefaultARequestOverrides() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let index = try database.index(encoder: encoder)
        let vector = try index.search(Self.query, k: Self.k, mode: .vector).map(\.id)
        let usual = try index.search(Self.query, k: Self.k, mode: .hybrid(RankFusion())).map(\.id)
        try #require(vector != usual)
        var configuration = ServiceConfiguration(port: 0)
        configuration.fusion = RankFusion(k: 60, weights: [1, 0])
        try await withService(index: index, encoder: encoder, configuration: configuration) { client, _ in
            let serversDefault = try await Self.ids(client, ["mode": "hybrid"])
            let overridden = try await Self.ids(client, ["mode": "hybrid", "lexical_weight": 1])
            #expect(serversDefault == vector)
            #expect(overridden == usual)
        }
    }

    /// (raw body, field named in the 400).
    static let invalid: [(String, String)] = [
        (#"{"query":"x","mode":"hybrid","rrf_k":0}"#, "rrf_k"),
        (#"{"query":"x","mode":"hybrid","rrf_k":-60}"#, "rrf_k"),
        (#"{"query":"x","mode":"hybrid","rrf_k":1e999}"#, "rrf_k"),
        (#"{"query":"x","mode":"hybrid","rrf_k":"60"}"#, "rrf_k"),
        (#"{"query":"x","mode":"vector","rrf_k":0}"#, "rrf_k"),
        (#"{"query":"x","mode":"hybrid","vector_weight":-1}"#, "vector_weight"),
        (#"{"query":"x","mode":"hybrid","vector_weight":true}"#, "vector_weight"),
        (#"{"query":"x","mode":"hybrid","lexical_weight":-0.5}"#, "lexical_weight"),
        (#"{"query":"x","mode":"hybrid","lexical_weight":1e400}"#, "lexical_weight"),
        (#"{"query":"x","mode":"hybrid","vector_weight":0,"lexical_weight":0}"#, "lexical_weight"),
    ]

    @Test(arguments: invalid)
    func anUnusableFusionValueIsA400NamingItsField(_ body: String, _ field: String) async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        try await withService(index: try database.index(encoder: encoder), encoder: encoder) { client, _ in
            let response = try await client.execute(uri: "/search", method: .post, body: ByteBuffer(string: body))
            #expect(response.status == .badRequest, "\(body)")
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect(error["param"] as? String == field, "\(body): \(error)")
            #expect((error["message"] as? String)?.contains("'\(field)'") == true, "\(body): \(error)")
        }
    }

    @Test func bothWeightsZeroIsRefusedWhenTheServerSetOneOfThem() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        var configuration = ServiceConfiguration(port: 0)
        configuration.fusion = RankFusion(k: 60, weights: [0, 1])
        try await withService(index: try database.index(encoder: encoder), encoder: encoder, configuration: configuration) { client, _ in
            let response = try await client.execute(
                uri: "/search", method: .post, body: ByteBuffer(string: #"{"query":"x","mode":"hybrid","lexical_weight":0}"#))
            #expect(response.status == .badRequest)
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect(error["param"] as? String == "lexical_weight", "\(error)")
        }
    }
}
