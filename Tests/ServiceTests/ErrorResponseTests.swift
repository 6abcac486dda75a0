import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Service

/// Every bad request gets a 4xx with an OpenAI-style JSON error body naming what is wrong.
struct ErrorResponseTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var uri: String
        var body: String
        var status: HTTPResponse.Status
        /// Text the error message must contain.
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", uri: "/v1/embeddings", body: #"{"input": ["a", }"#, status: .badRequest, message: "not valid JSON"),
        Case(name: "truncated JSON", uri: "/v1/embeddings", body: #"{"input": "abc"#, status: .badRequest, message: "not valid JSON"),
        Case(name: "empty body", uri: "/v1/embeddings", body: "", status: .badRequest, message: "empty"),
        Case(name: "not an object", uri: "/v1/embeddings", body: #"["a"]"#, status: .badRequest, message: "JSON object"),
        Case(name: "missing input", uri: "/v1/embeddings", body: #"{"model": "m"}"#, status: .badRequest, message: "'input'"),
        Case(name: "input a number", uri: "/v1/embeddings", body: #"{"input": 5}"#, status: .badRequest, message: "string or an array of strings"),
        Case(name: "input null", uri: "/v1/embeddings", body: #"{"input": null}"#, status: .badRequest, message: "string or an array of strings"),
        Case(name: "input nested arrays", uri: "/v1/embeddings", body: #"{"input": [["a"]]}"#, status: .badRequest, message: "string or an array of strings"),
        Case(name: "input mixed array", uri: "/v1/embeddings", body: #"{"input": ["a", 1]}"#, status: .badRequest, message: "string or an array of strings"),
        Case(name: "token ids", uri: "/v1/embeddings", body: #"{"input": [[101, 102]]}"#, status: .badRequest, message: "token-id input"),
        Case(name: "empty input list", uri: "/v1/embeddings", body: #"{"input": []}"#, status: .badRequest, message: "empty array"),
        Case(name: "unknown encoding", uri: "/v1/embeddings", body: #"{"input": "a", "encoding_format": "int8"}"#, status: .badRequest, message: "encoding_format"),
        Case(name: "model not a string", uri: "/v1/embeddings", body: #"{"input": "a", "model": 3}"#, status: .badRequest, message: "'model' must be a string"),
        Case(name: "dimensions beyond the model's", uri: "/v1/embeddings", body: #"{"input": "a", "dimensions": 33}"#, status: .badRequest, message: "'dimensions' must be between 1 and 32"),
        Case(name: "dimensions zero", uri: "/v1/embeddings", body: #"{"input": "a", "dimensions": 0}"#, status: .badRequest, message: "'dimensions' must be between 1 and 32"),
        Case(name: "dimensions negative", uri: "/v1/embeddings", body: #"{"input": "a", "dimensions": -4}"#, status: .badRequest, message: "'dimensions' must be between 1 and 32"),
        Case(name: "dimensions a string", uri: "/v1/embeddings", body: #"{"input": "a", "dimensions": "8"}"#, status: .badRequest, message: "'dimensions' must be an integer"),
        Case(name: "huge dimensions", uri: "/v1/embeddings", body: #"{"input": "a", "dimensions": 1e400}"#, status: .badRequest, message: "'dimensions' must be an integer"),
        Case(name: "dimensions fractional", uri: "/v1/embeddings", body: #"{"input": "a", "dimensions": 3.5}"#, status: .badRequest, message: "'dimensions' must be an integer"),
        Case(name: "deeply nested", uri: "/v1/embeddings", body: "{\"input\": " + String(repeating: "[", count: 10_000) + "}", status: .badRequest, message: "not valid JSON"),
        Case(name: "lone surrogate", uri: "/v1/embeddings", body: #"{"input": "\ud800"}"#, status: .badRequest, message: "'input'"),
        Case(name: "search without query", uri: "/search", body: #"{"k": 3}"#, status: .badRequest, message: "'query'"),
        Case(name: "k a string", uri: "/search", body: #"{"query": "a", "k": "3"}"#, status: .badRequest, message: "'k' must be an integer"),
        Case(name: "k zero", uri: "/search", body: #"{"query": "a", "k": 0}"#, status: .badRequest, message: "between 1 and"),
        Case(name: "k too large", uri: "/search", body: #"{"query": "a", "k": 1001}"#, status: .badRequest, message: "between 1 and 1000"),
        Case(name: "k fractional", uri: "/search", body: #"{"query": "a", "k": 2.5}"#, status: .badRequest, message: "'k' must be an integer"),
        Case(name: "k huge", uri: "/search", body: #"{"query": "a", "k": 123456789012345678901234567890}"#, status: .badRequest, message: "'k' must be an integer"),
    ]

    @Test(arguments: cases) func badRequestGetsJSONError(_ c: Case) async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let index = try database.index(encoder: encoder)
        try await withService(index: index, encoder: encoder) { client, _ in
            let response = try await client.execute(uri: c.uri, method: .post, body: ByteBuffer(string: c.body))
            #expect(response.status == c.status)
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            let message = try #require(error["message"] as? String)
            #expect(message.contains(c.message), "message: \(message)")
            #expect(error["type"] as? String == "invalid_request_error")
        }
    }

    @Test func tooManyInputsIsRefused() async throws {
        let configuration = ServiceConfiguration(port: 0, maxInputsPerRequest: 4)
        try await withService(configuration: configuration) { client, _ in
            let ok = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(Array(sampleTexts.prefix(4))))
            #expect(ok.status == .ok)
            let response = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(Array(sampleTexts.prefix(5))))
            #expect(response.status == .badRequest)
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("at most 4") == true)
            #expect(error["param"] as? String == "input")
        }
    }

    @Test func bodyOverTheLimitIsTooLarge() async throws {
        let configuration = ServiceConfiguration(port: 0, maxBodyBytes: 1000)
        try await withService(configuration: configuration) { client, _ in
            let body = try embeddingsBody([String(repeating: "word ", count: 400)])
            let response = try await client.execute(uri: "/v1/embeddings", method: .post, body: body)
            #expect(response.status == .contentTooLarge)
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect(error["type"] as? String == "request_too_large")
        }
    }

    @Test func unknownRouteIsNotFoundWithAJSONError() async throws {
        try await withService { client, _ in
            let response = try await client.execute(uri: "/v2/nothing", method: .get)
            #expect(response.status == .notFound)
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect(error["type"] as? String == "not_found_error")
        }
    }

    @Test func aKnownPathAskedWithAnotherMethodIsNotAllowed() async throws {
        try await withService { client, _ in
            for (uri, method, allowed) in [("/search", HTTPRequest.Method.get, "POST"), ("/v1/embeddings", .get, "POST"),
                                           ("/health", .post, "GET"), ("/v1/models", .delete, "GET")] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(response.headers[.allow] == allowed, "\(method) \(uri)")
                let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
                #expect((error["message"] as? String)?.contains("use \(allowed)") == true, "\(error)")
            }
        }
    }

    @Test func aShutDownBatcherAnswersServiceUnavailable() async throws {
        try await withService { client, batcher in
            await batcher.shutdown()
            let response = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(["a"]))
            #expect(response.status == .serviceUnavailable)
            #expect(try jsonObject(response.body)["error"] is [String: Any])
        }
    }
}
