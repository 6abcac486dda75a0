import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Service

struct BatchingTests {
    /// 32 distinct single-sentence texts (two sample sentences and a number).
    static let texts = (0..<32).map { i in "\(sampleTexts[i % 8]) and \(sampleTexts[(i / 8 + 3) % 8]) \(i)" }

    @Test func concurrentRequestsShareForwardPassesAndEachGetsItsOwnEmbedding() async throws {
        let encoder = try TinyModel.encoder()
        let expected = encoder.encode(Self.texts)
        let d = encoder.dimension
        let configuration = ServiceConfiguration(port: 0, batching: BatchingPolicy(window: .milliseconds(50)))
        try await withService(encoder: encoder, configuration: configuration) { client, batcher in
            let rows = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
                for (i, text) in Self.texts.enumerated() {
                    group.addTask {
                        let response = try await client.execute(
                            uri: "/v1/embeddings", method: .post, body: try embeddingsBody([text]))
                        guard response.status == .ok else { throw TestFailure("request \(i): \(response.status)") }
                        return (i, try embeddings(in: jsonObject(response.body))[0])
                    }
                }
                var rows = [[Float]](repeating: [], count: Self.texts.count)
                for try await (i, row) in group { rows[i] = row }
                return rows
            }
            for (i, row) in rows.enumerated() {
                #expect(maxAbsDifference(row, Array(expected[(i * d)..<((i + 1) * d)])) <= 1e-5, "request \(i)")
            }
            let metrics = try PrometheusExposition(batcher.metrics.exposition())
            let passes = try #require(metrics.value("embedtune_batch_inputs_count"))
            let singles = try #require(metrics.value("embedtune_batch_inputs_bucket", ["le": "1"]))
            #expect(metrics.value("embedtune_batch_inputs_sum") == 32)
            #expect(passes < 32, "32 requests ran in \(passes) passes")
            #expect(singles < passes, "every pass held one input")
        }
    }

    @Test func aRequestLargerThanTheBudgetIsSplitAndAnsweredInOrder() async throws {
        let encoder = try TinyModel.encoder()
        let expected = encoder.encode(Self.texts)
        let d = encoder.dimension
        let configuration = ServiceConfiguration(port: 0, batching: BatchingPolicy(window: .zero, maxInputs: 5, maxTokens: 10_000))
        try await withService(encoder: encoder, configuration: configuration) { client, batcher in
            let response = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(Self.texts))
            #expect(response.status == .ok)
            let rows = try embeddings(in: jsonObject(response.body))
            #expect(rows.count == Self.texts.count)
            for (i, row) in rows.enumerated() {
                #expect(maxAbsDifference(row, Array(expected[(i * d)..<((i + 1) * d)])) <= 1e-5, "input \(i)")
            }
            let metrics = try PrometheusExposition(batcher.metrics.exposition())
            #expect(metrics.value("embedtune_batch_inputs_count") == 7)  // ceil(32 / 5)
            #expect(metrics.value("embedtune_batch_inputs_bucket", ["le": "4"]) == 1)  // the last pass of 2
        }
    }

    @Test func theTokenBudgetCutsPasses() async throws {
        let encoder = try TinyModel.encoder()
        let tokens = encoder.tokenize(Self.texts)
        let budget = tokens.prefix(4).reduce(0) { $0 + $1.count }
        let configuration = ServiceConfiguration(port: 0, batching: BatchingPolicy(window: .zero, maxInputs: 256, maxTokens: budget))
        try await withService(encoder: encoder, configuration: configuration) { client, batcher in
            let response = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(Self.texts))
            #expect(response.status == .ok)
            let metrics = try PrometheusExposition(batcher.metrics.exposition())
            let passes = try #require(metrics.value("embedtune_batch_inputs_count"))
            #expect(passes >= 8)
            #expect(metrics.value("embedtune_batch_tokens_bucket", ["le": "+Inf"]) == passes)
            // No pass exceeds the budget: the largest bucket at or above `budget` holds every pass.
            let bound = ServiceMetrics.batchTokenBounds.first { $0 >= Double(budget) } ?? .infinity
            #expect(metrics.value("embedtune_batch_tokens_bucket", ["le": PrometheusText.number(bound)]) == passes)
        }
    }
}
