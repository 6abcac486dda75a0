import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Retrieval
@testable import Store
import Testing
@testable import Service

/// OpenAI's `dimensions` field on /v1/embeddings, `serve --dimensions`, and search over a store of
/// truncated vectors.
struct DimensionsTests {
    /// Rows of `vectors` (count, d) as arrays.
    static func rows(_ vectors: [Float], _ d: Int) -> [[Float]] {
        (0..<(vectors.count / d)).map { Array(vectors[($0 * d)..<(($0 + 1) * d)]) }
    }

    @Test(arguments: [1, 8, 20])
    func dimensionsTruncatesThenNormalisesLikeTheLibrary(_ n: Int) async throws {
        let encoder = try TinyModel.encoder()
        let expected = Self.rows(try encoder.truncated(to: n).encode(sampleTexts), n)
        try await withService(encoder: encoder) { client, _ in
            for format in ["float", "base64"] {
                let response = try await client.execute(
                    uri: "/v1/embeddings", method: .post,
                    body: try embeddingsBody(sampleTexts, extra: ["dimensions": n, "encoding_format": format]))
                #expect(response.status == .ok)
                let got = try embeddings(in: jsonObject(response.body))
                #expect(got.count == sampleTexts.count)
                for (row, reference) in zip(got, expected) {
                    #expect(row.count == n)
                    #expect(maxAbsDifference(row, reference) <= 1e-6)
                    let norm = row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                    #expect(abs(norm - 1) <= 1e-5)
                }
            }
        }
    }

    @Test func requestsOfDifferentDimensionsShareAPassAndEachGetsItsOwn() async throws {
        let encoder = try TinyModel.encoder()
        let configuration = ServiceConfiguration(
            port: 0, batching: BatchingPolicy(window: .milliseconds(50), maxInputs: 256, maxTokens: 8192, threads: 1))
        let asks: [Int?] = [4, nil, 16, 32, 4, 9]
        try await withService(encoder: encoder, configuration: configuration) { client, _ in
            let got = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
                for (i, n) in asks.enumerated() {
                    group.addTask {
                        let extra: [String: Any] = n.map { ["dimensions": $0] } ?? [:]
                        let response = try await client.execute(
                            uri: "/v1/embeddings", method: .post, body: try embeddingsBody(sampleTexts, extra: extra))
                        return (i, try embeddings(in: jsonObject(response.body)))
                    }
                }
                var out: [Int: [[Float]]] = [:]
                for try await (i, rows) in group { out[i] = rows }
                return out
            }
            for (i, n) in asks.enumerated() {
                let expected = Self.rows(try encoder.truncated(to: n).encode(sampleTexts), n ?? 32)
                let rows = try #require(got[i])
                #expect(rows.count == expected.count)
                for (row, reference) in zip(rows, expected) { #expect(maxAbsDifference(row, reference) <= 1e-6, "request \(i)") }
            }
        }
    }

    @Test func allTheModelsDimensionsGiveTheSameBitsAsNoField() async throws {
        try await withService { client, _ in
            let plain = try await client.execute(
                uri: "/v1/embeddings", method: .post, body: try embeddingsBody(sampleTexts, extra: ["encoding_format": "base64"]))
            let all = try await client.execute(
                uri: "/v1/embeddings", method: .post,
                body: try embeddingsBody(sampleTexts, extra: ["encoding_format": "base64", "dimensions": 32]))
            #expect(try embeddings(in: jsonObject(plain.body)) == embeddings(in: jsonObject(all.body)))
        }
    }

    @Test(arguments: ["0", "-3", "33", "10000", "\"8\"", "2.5", "true"])
    func badDimensionsIsA400NamingTheField(_ value: String) async throws {
        try await withService { client, _ in
            let body = #"{"input": ["a", "b"], "dimensions": \#(value)}"#
            let response = try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect(error["param"] as? String == "dimensions")
            let message = try #require(error["message"] as? String)
            #expect(message.contains("'dimensions'"), "\(message)")
            if Int(value) != nil { #expect(message.contains("between 1 and 32"), "\(message)") }
        }
    }

    @Test func theServedTruncationIsTheDefaultAndARequestMayAskForMore() async throws {
        let full = try TinyModel.encoder()
        let served = try ServiceResources.load(database: nil, model: TinyModel.url.path, adapter: nil, dimensions: 8).encoder
        let expected = try full.truncated(to: 8)
        #expect(served.dimension == 8 && served.fingerprint == expected.fingerprint)
        try await withService(encoder: served) { client, _ in
            for (ask, n) in [(nil, 8), (16, 16), (32, 32)] as [(Int?, Int)] {
                let extra: [String: Any] = ask.map { ["dimensions": $0] } ?? [:]
                let response = try await client.execute(
                    uri: "/v1/embeddings", method: .post, body: try embeddingsBody(sampleTexts, extra: extra))
                #expect(response.status == .ok)
                let expected = Self.rows(try full.truncated(to: n).encode(sampleTexts), n)
                let got = try embeddings(in: jsonObject(response.body))
                #expect(got.count == expected.count && got.allSatisfy { $0.count == n })
                for (row, reference) in zip(got, expected) { #expect(maxAbsDifference(row, reference) <= 1e-6) }
            }
        }
        #expect(throws: ServiceSetupError.dimensionsOutOfRange(requested: 10_000, modelDimension: 32)) {
            try ServiceResources.load(database: nil, model: TinyModel.url.path, adapter: nil, dimensions: 10_000)
        }
        #expect(ServiceSetupError.dimensionsOutOfRange(requested: 10_000, modelDimension: 32).description
            .contains("--dimensions 10000"))
    }

    @Test func aTruncatedDatabaseIsSearchedWithQueriesTruncatedAlike() async throws {
        let truncated = try TinyModel.encoder().truncated(to: 8)
        let database = try TestDatabase(encoder: truncated)
        defer { database.remove() }
        let resources = try ServiceResources.load(database: database.path, model: nil, adapter: nil)
        #expect(resources.encoder.dimension == 8 && resources.encoder.fingerprint == truncated.fingerprint)
        let index = try #require(resources.index)
        let query = "the stone bridge and the ship"
        let expected = TopK.search(query: truncated.encode([query]), matrix: index.matrix, k: 3)
        try await withService(index: index, encoder: resources.encoder) { client, _ in
            let body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["query": query, "k": 3]))
            let response = try await client.execute(uri: "/search", method: .post, body: body)
            #expect(response.status == .ok)
            let results = try #require(try jsonObject(response.body)["results"] as? [[String: Any]])
            #expect(results.map { $0["id"] as? String } == expected.map { index.matrix.ids[$0.index] })
            for (result, hit) in zip(results, expected) {
                #expect(abs(((result["score"] as? NSNumber)?.floatValue ?? -9) - hit.score) <= 1e-5)
            }
            // Without `dimensions`, /v1/embeddings answers as the database's vectors were written.
            let embedded = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody([query]))
            #expect(try embeddings(in: jsonObject(embedded.body)).first?.count == 8)
        }
        // --dimensions equal to the database's is accepted; another is refused naming both.
        _ = try ServiceResources.load(database: database.path, model: nil, adapter: nil, dimensions: 8)
        let mismatch = ServiceSetupError.dimensionsMismatch(database: database.path, recorded: 8, recordedDimension: 8, given: 16)
        #expect(throws: mismatch) { try ServiceResources.load(database: database.path, model: nil, adapter: nil, dimensions: 16) }
        #expect(mismatch.description.contains("--dimensions 8") && mismatch.description.contains("--dimensions 16"))
    }

    @Test func aFullDatabaseAcceptsAllTheModelsDimensionsAndRefusesFewer() throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let all = try ServiceResources.load(database: database.path, model: nil, adapter: nil, dimensions: 32)
        #expect(all.encoder.truncation == nil && all.encoder.fingerprint == encoder.fingerprint)
        let mismatch = ServiceSetupError.dimensionsMismatch(database: database.path, recorded: nil, recordedDimension: 32, given: 8)
        #expect(throws: mismatch) { try ServiceResources.load(database: database.path, model: nil, adapter: nil, dimensions: 8) }
        #expect(mismatch.description.contains("full 32-dimensional"))
    }
}
