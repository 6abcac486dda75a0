import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Service

struct EmbeddingsEndpointTests {
    @Test func arrayOfStringsGivesTheEncodersEmbeddingsInOrder() async throws {
        let encoder = try TinyModel.encoder()
        let expected = encoder.encode(sampleTexts)
        let d = encoder.dimension
        try await withService(encoder: encoder) { client, _ in
            let response = try await client.execute(
                uri: "/v1/embeddings", method: .post, body: try embeddingsBody(sampleTexts, extra: ["model": "tiny"]))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let json = try jsonObject(response.body)
            #expect(json["object"] as? String == "list")
            #expect(json["model"] as? String == "tiny")
            let rows = try embeddings(in: json)
            #expect(rows.count == sampleTexts.count)
            for (i, row) in rows.enumerated() {
                #expect(row.count == d)
                #expect(maxAbsDifference(row, Array(expected[(i * d)..<((i + 1) * d)])) <= 1e-5)
            }
            let usage = try #require(json["usage"] as? [String: Any])
            let tokens = encoder.tokenize(sampleTexts).reduce(0) { $0 + $1.count }
            #expect(usage["prompt_tokens"] as? Int == tokens)
            #expect(usage["total_tokens"] as? Int == tokens)
            let data = try #require(json["data"] as? [[String: Any]])
            #expect(data.allSatisfy { $0["object"] as? String == "embedding" })
        }
    }

    @Test func singleStringInputGivesOneEmbeddingAndTheDefaultModelName() async throws {
        let encoder = try TinyModel.encoder()
        let expected = encoder.encode([sampleTexts[2]])
        let configuration = ServiceConfiguration(port: 0, modelName: "tiny-default")
        try await withService(encoder: encoder, configuration: configuration) { client, _ in
            let body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["input": sampleTexts[2]]))
            let response = try await client.execute(uri: "/v1/embeddings", method: .post, body: body)
            #expect(response.status == .ok)
            let json = try jsonObject(response.body)
            #expect(json["model"] as? String == "tiny-default")
            let rows = try embeddings(in: json)
            #expect(rows.count == 1)
            #expect(maxAbsDifference(rows[0], expected) <= 1e-5)
        }
    }

    @Test func base64DecodesToTheSameFloatsAsTheFloatFormat() async throws {
        try await withService { client, _ in
            let floats = try await client.execute(
                uri: "/v1/embeddings", method: .post, body: try embeddingsBody(sampleTexts, extra: ["encoding_format": "float"]))
            let base64 = try await client.execute(
                uri: "/v1/embeddings", method: .post, body: try embeddingsBody(sampleTexts, extra: ["encoding_format": "base64"]))
            #expect(floats.status == .ok && base64.status == .ok)
            let base64JSON = try jsonObject(base64.body)
            let data = try #require(base64JSON["data"] as? [[String: Any]])
            #expect(data.allSatisfy { $0["embedding"] is String })
            // The float text is the shortest round-tripping form, so both decode to identical bits.
            #expect(try embeddings(in: jsonObject(floats.body)) == embeddings(in: base64JSON))
        }
    }

    @Test func overLongInputsAreTruncatedAtTheModelsLength() async throws {
        let encoder = try TinyModel.encoder()
        let long = Array(repeating: "the city of washington", count: 60).joined(separator: " ")
        let expected = encoder.encode([long])
        try await withService(encoder: encoder) { client, _ in
            let response = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody([long]))
            #expect(response.status == .ok)
            let json = try jsonObject(response.body)
            #expect(maxAbsDifference(try embeddings(in: json)[0], expected) <= 1e-5)
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["prompt_tokens"] as? Int == encoder.maxLength)
        }
    }

    @Test func dimensionsEqualToTheModelsIsAccepted() async throws {
        let encoder = try TinyModel.encoder()
        try await withService(encoder: encoder) { client, _ in
            let response = try await client.execute(
                uri: "/v1/embeddings", method: .post,
                body: try embeddingsBody(["hello"], extra: ["dimensions": encoder.dimension, "user": "someone"]))
            #expect(response.status == .ok)
        }
    }

    @Test func healthAnswersOK() async throws {
        try await withService { client, _ in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(try jsonObject(response.body)["status"] as? String == "ok")
        }
    }
}
