import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Service

/// The same application over a real loopback socket.
struct LiveServerTests {
    @Test func embeddingsSearchHealthAndErrorsOverLoopback() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let index = try database.index(encoder: encoder)
        let expected = encoder.encode(sampleTexts)
        let d = encoder.dimension
        try await withService(index: index, encoder: encoder, setup: .live) { client, _ in
            #expect(client.port != nil)
            let response = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(sampleTexts))
            #expect(response.status == .ok)
            let rows = try embeddings(in: jsonObject(response.body))
            for (i, row) in rows.enumerated() {
                #expect(maxAbsDifference(row, Array(expected[(i * d)..<((i + 1) * d)])) <= 1e-5)
            }
            let search = try await client.execute(
                uri: "/search", method: .post, body: ByteBuffer(string: #"{"query":"mary spent the second year at the academy","k":2}"#))
            #expect(search.status == .ok)
            let results = try #require(try jsonObject(search.body)["results"] as? [[String: Any]])
            #expect(results.first?["id"] as? String == "d3")
            for body in ["{\"input\":", "\u{0}\u{1}garbage", #"{"input":{"a":1}}"#] {
                let bad = try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: body))
                #expect(bad.status == .badRequest)
            }
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(try PrometheusExposition(String(buffer: metrics.body)).value(
                "embedtune_http_requests_total", ["route": "/search", "method": "POST", "status": "200"]) == 1)
        }
    }
}
