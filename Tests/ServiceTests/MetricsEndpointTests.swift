import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Service

struct MetricsEndpointTests {
    func metrics(_ client: any TestClientProtocol) async throws -> PrometheusExposition {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return try PrometheusExposition(String(buffer: response.body))
    }

    @Test func countersIncreaseAndEveryHistogramIsWellFormed() async throws {
        try await withService { client, _ in
            _ = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(["a"]))
            let before = try await metrics(client)
            let ok = ["route": "/v1/embeddings", "method": "POST", "status": "200"]
            let bad = ["route": "/v1/embeddings", "method": "POST", "status": "400"]
            let okBefore = try #require(before.value("embedtune_http_requests_total", ok))
            for _ in 0..<3 {
                _ = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(sampleTexts))
            }
            _ = try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: "{"))
            _ = try await client.execute(uri: "/nowhere", method: .get)
            let after = try await metrics(client)

            #expect(after.value("embedtune_http_requests_total", ok) == okBefore + 3)
            #expect(after.value("embedtune_http_requests_total", bad) == 1)
            #expect(after.value("embedtune_http_requests_total", ["route": "unmatched", "method": "GET", "status": "404"]) == 1, "\(after.samples.filter { $0.name == "embedtune_http_requests_total" })")
            #expect(after.value("embedtune_http_request_errors_total", ["route": "/v1/embeddings", "type": "invalid_request_error"]) == 1)
            #expect(after.value("embedtune_embedded_inputs_total") == 1 + 3 * Double(sampleTexts.count))
            for family in ["embedtune_http_requests_total", "embedtune_http_request_errors_total", "embedtune_embedded_inputs_total"] {
                #expect(after.types[family] == "counter")
                #expect(after.help[family]?.isEmpty == false)
            }
            let histograms = after.types.filter { $0.value == "histogram" }.map(\.key)
            #expect(Set(histograms).isSuperset(of: [
                "embedtune_http_request_duration_seconds", "embedtune_batch_inputs", "embedtune_batch_tokens",
                "embedtune_batch_queue_seconds", "embedtune_batch_forward_seconds",
            ]))
            for name in histograms { try checkHistogram(after, name) }
            #expect(after.value("embedtune_batch_queue_seconds_count") == 4)  // one per embeddings request that was valid
        }
    }

    /// Per label set: buckets cumulative and ascending in `le`, `+Inf` equal to `_count`, `_sum` present.
    func checkHistogram(_ exposition: PrometheusExposition, _ name: String) throws {
        let buckets = exposition.samples.filter { $0.name == name + "_bucket" }
        let groups = Dictionary(grouping: buckets) { $0.labels.filter { $0.key != "le" } }
        #expect(!groups.isEmpty, "\(name) has no buckets")
        for (labels, samples) in groups {
            let bounds = try samples.map { sample -> Double in
                guard let le = sample.labels["le"] else { throw TestFailure("\(name) bucket without le") }
                return le == "+Inf" ? .infinity : try #require(Double(le))
            }
            #expect(bounds == bounds.sorted() && Set(bounds).count == bounds.count && bounds.last == .infinity)
            let counts = samples.map(\.value)
            #expect(counts == counts.sorted(), "\(name) buckets not cumulative")
            #expect(counts.last == exposition.value(name + "_count", labels))
            #expect(exposition.value(name + "_sum", labels) != nil)
        }
    }

    @Test func histogramLinesFollowTheExpositionFormat() throws {
        var histogram = Histogram(bounds: [0.5, 1, 2.5])
        for x in [0.1, 0.7, 0.7, 3.0] { histogram.observe(x) }
        let text = PrometheusText.header("x", type: "histogram", help: "test.")
            + histogram.samples(name: "x", labels: PrometheusText.labels([("route", "a\"b\\c\nd")]))
        let exposition = try PrometheusExposition(text)
        let labels = ["route": "a\"b\\c\nd"]
        #expect(exposition.value("x_bucket", labels.merging(["le": "0.5"]) { a, _ in a }) == 1)
        #expect(exposition.value("x_bucket", labels.merging(["le": "1"]) { a, _ in a }) == 3)
        #expect(exposition.value("x_bucket", labels.merging(["le": "2.5"]) { a, _ in a }) == 3)
        #expect(exposition.value("x_bucket", labels.merging(["le": "+Inf"]) { a, _ in a }) == 4)
        #expect(exposition.value("x_count", labels) == 4)
        #expect(abs((exposition.value("x_sum", labels) ?? 0) - 4.5) < 1e-12)
    }
}
