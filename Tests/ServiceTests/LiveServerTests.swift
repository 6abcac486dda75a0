import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Service

/// One HTTP/1.1 exchange over a fresh loopback connection (`Connection: close`), waiting up to two
/// minutes: on a loaded machine (the whole suite runs in parallel on two cores) a request can wait far
/// longer than the testing client's fixed 20 s read timeout. The connection is opened and written in
/// one step off the pool; an answer of no bytes at all (the server closed the connection as idle
/// before the request reached it) is retried, twice.
func liveRequest(port: Int, _ method: String, _ path: String, body: String = "") async throws -> (status: Int, body: Data) {
    let request = "\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    var answer = Data()
    for _ in 0..<3 where answer.isEmpty {
        answer = await offThePool { () -> Data in
            guard let connection = try? RawConnection(port: port) else { return Data() }
            return connection.exchangeBytes(request, timeoutSeconds: 120)
        }
    }
    guard let split = answer.firstRange(of: Data("\r\n\r\n".utf8)),
          let head = String(data: answer[..<split.lowerBound], encoding: .utf8),
          let status = head.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
    else { throw TestFailure("no HTTP response: \(String(decoding: answer, as: UTF8.self).prefix(200))") }
    var payload = Data(answer[split.upperBound...])
    if head.lowercased().contains("transfer-encoding: chunked") {
        var decoded = Data()
        while let line = payload.firstRange(of: Data("\r\n".utf8)),
              let size = Int(String(decoding: payload[..<line.lowerBound], as: UTF8.self), radix: 16), size > 0 {
            let start = line.upperBound
            decoded += payload[start..<(start + size)]
            payload = Data(payload[(start + size + 2)...])
        }
        payload = decoded
    }
    return (status, payload)
}

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
            let port = try #require(client.port)
            let body = String(buffer: try embeddingsBody(sampleTexts))
            let response = try await liveRequest(port: port, "POST", "/v1/embeddings", body: body)
            #expect(response.status == 200)
            let rows = try embeddings(in: jsonObject(ByteBuffer(data: response.body)))
            for (i, row) in rows.enumerated() {
                #expect(maxAbsDifference(row, Array(expected[(i * d)..<((i + 1) * d)])) <= 1e-5)
            }
            let search = try await liveRequest(
                port: port, "POST", "/search", body: #"{"query":"mary spent the second year at the academy","k":2}"#)
            #expect(search.status == 200)
            let results = try #require(try jsonObject(ByteBuffer(data: search.body))["results"] as? [[String: Any]])
            #expect(results.first?["id"] as? String == "d3")
            for bad in ["{\"input\":", "\u{1}garbage", #"{"input":{"a":1}}"#] {
                #expect(try await liveRequest(port: port, "POST", "/v1/embeddings", body: bad).status == 400)
            }
            #expect(try await liveRequest(port: port, "GET", "/health").status == 200)
            let metrics = try await liveRequest(port: port, "GET", "/metrics")
            #expect(try PrometheusExposition(String(decoding: metrics.body, as: UTF8.self)).value(
                "embedtune_http_requests_total", ["route": "/search", "method": "POST", "status": "200"]) == 1)
        }
    }
}
