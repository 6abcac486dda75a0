import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Store
import Testing
@testable import Service
import Retrieval

#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP connection to the loopback server, for clients that misbehave (stay idle, stop half-way).
final class RawConnection: @unchecked Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { throw TestFailure("connect failed: \(String(cString: strerror(errno)))") }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    /// Sends a whole request with `Connection: close` and returns everything the server answers.
    func exchange(_ request: String, timeoutSeconds: Int = 60) -> String {
        String(decoding: exchangeBytes(request, timeoutSeconds: timeoutSeconds), as: UTF8.self)
    }

    /// `exchange`'s bytes.
    func exchangeBytes(_ request: String, timeoutSeconds: Int = 60) -> Data {
        send(request)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(descriptor, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return Data(received)
    }

    /// True when the server has closed the connection (a read returns end of file or a reset) within
    /// `seconds`; false when the connection is still open then.
    func closedByServer(within seconds: Int) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(descriptor, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}

/// Runs blocking socket work on a Dispatch thread, never on the cooperative pool the servers of other
/// suites in this process need.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}

/// GET /health over a new connection, opened and written in one step off the pool. With a 1 s idle
/// timeout a client delayed on a loaded machine between connecting and writing is itself (rightly)
/// closed as idle, with no answer at all: only that empty answer is retried, twice; any other answer
/// is returned as it is.
func healthOnAFreshConnection(port: Int) async -> String {
    for _ in 0..<3 {
        let answer = await offThePool { () -> String in
            guard let connection = try? RawConnection(port: port) else { return "" }
            return connection.exchange("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        }
        if !answer.isEmpty { return answer }
    }
    return ""
}

/// The service's guards against misbehaving clients: idle and half-sent connections are closed after
/// the idle timeout while /health keeps answering, the optional API key, and GET /v1/models.
struct ServiceGuardTests {
    @Test func idleAndHalfSentConnectionsAreClosedAndHealthStillAnswers() async throws {
        var configuration = ServiceConfiguration(port: 0)
        configuration.idleTimeout = .seconds(1)
        try await withService(configuration: configuration, setup: .live) { client, _ in
            let port = try #require(client.port)
            var held: [RawConnection] = []
            for i in 0..<60 {
                let connection = try RawConnection(port: port)
                switch i % 3 {
                case 0: break  // connects and says nothing
                case 1: connection.send("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Le")  // half a header
                default: connection.send("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inp")
                }
                held.append(connection)
            }
            let started = ContinuousClock.now
            // (A new connection: the test client's keep-alive one may itself have idled out on a loaded machine.)
            let health = await healthOnAFreshConnection(port: port)
            #expect(health.hasPrefix("HTTP/1.1 200"), "\(health)")
            // (Other suites share the process's event loops and may keep them busy: a generous bound.)
            #expect(started.duration(to: .now) < .seconds(120))
            let connections = held
            let closed = await offThePool { connections.map { $0.closedByServer(within: 30) } }
            for (i, wasClosed) in closed.enumerated() {
                #expect(wasClosed, "connection \(i) (kind \(i % 3)) still open after the idle timeout")
            }
            // (The test client's own keep-alive connection was idle meanwhile and is closed too: a new one.)
            let after = await healthOnAFreshConnection(port: port)
            #expect(after.hasPrefix("HTTP/1.1 200") && after.contains("\"ok\""), "\(after)")
        }
    }

    @Test func theConnectionLimitQueuesRatherThanRefusesForever() async throws {
        var configuration = ServiceConfiguration(port: 0)
        configuration.idleTimeout = .seconds(1)
        configuration.maxConnections = 2
        try await withService(configuration: configuration, setup: .live) { client, _ in
            let port = try #require(client.port)
            let idle = try (0..<4).map { _ in try RawConnection(port: port) }
            // The limit is full of idle connections; they are closed after a second and a new client gets in.
            let started = ContinuousClock.now
            // (Generous bounds: the suite may run on a loaded machine; without the idle timeout it would never get in.)
            let health = await healthOnAFreshConnection(port: port)
            #expect(health.hasPrefix("HTTP/1.1 200"), "\(health)")
            #expect(started.duration(to: .now) < .seconds(120))
            #expect(await offThePool { idle.allSatisfy { $0.closedByServer(within: 30) } })
        }
    }

    @Test func anAPIKeyGuardsEveryRouteButHealthAndMetrics() async throws {
        var configuration = ServiceConfiguration(port: 0, modelName: "tiny")
        configuration.apiKey = "s3cret-key"
        try await withService(configuration: configuration) { client, _ in
            let body = try embeddingsBody(["a river"])
            let missing = try await client.execute(uri: "/v1/embeddings", method: .post, body: body)
            #expect(missing.status == .unauthorized)
            let error = try #require(try jsonObject(missing.body)["error"] as? [String: Any])
            #expect(error["type"] as? String == "authentication_error")
            for header in ["Bearer wrong", "Bearer s3cret-ke", "Bearer s3cret-keyy", "s3cret-key", "Basic s3cret-key"] {
                let wrong = try await client.execute(
                    uri: "/v1/embeddings", method: .post, headers: [.authorization: header], body: body)
                #expect(wrong.status == .unauthorized, "\(header)")
            }
            for path in ["/search", "/v1/models"] {
                let guarded = try await client.execute(uri: path, method: path == "/search" ? .post : .get)
                #expect(guarded.status == .unauthorized, "\(path)")
            }
            let right = try await client.execute(
                uri: "/v1/embeddings", method: .post, headers: [.authorization: "Bearer s3cret-key"], body: body)
            #expect(right.status == .ok)
            let models = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer s3cret-key"])
            #expect(models.status == .ok)
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
        }
    }

    @Test func searchSeesDocumentsEncodedAfterTheStart() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let index = try database.index(encoder: encoder)
        try await withService(index: index, encoder: encoder) { client, _ in
            let body = ByteBuffer(string: #"{"query":"zebra quantum harbour","k":1}"#)
            let before = try await client.execute(uri: "/search", method: .post, body: body)
            let first = try #require(try jsonObject(before.body)["results"] as? [[String: Any]])
            #expect(first.first?["id"] as? String != "late")
            // Another process's encode: a new document, committed while the server runs.
            let store = try VectorStore(path: database.path)
            try store.upsert([StoredDocument(id: "late", title: nil, text: "zebra quantum harbour",
                                             embedding: encoder.encode(["zebra quantum harbour"]))])
            let after = try await client.execute(uri: "/search", method: .post, body: body)
            let second = try #require(try jsonObject(after.body)["results"] as? [[String: Any]])
            #expect(second.first?["id"] as? String == "late")
            #expect(abs((second.first?["score"] as? Double ?? 0) - 1) < 1e-4)
        }
    }

    @Test func promptNameNamesOneOfTheModelsPrompts() async throws {
        try await withService { client, _ in
            // Every model has sentence-transformers' default prompts "query" and "document" (empty).
            let known = try await client.execute(
                uri: "/v1/embeddings", method: .post, body: try embeddingsBody(["x"], extra: ["prompt_name": "query"]))
            #expect(known.status == .ok)
            let plain = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(["x"]))
            #expect(try embeddings(in: jsonObject(known.body)) == embeddings(in: jsonObject(plain.body)))
            let unknown = try await client.execute(
                uri: "/v1/embeddings", method: .post, body: try embeddingsBody(["x"], extra: ["prompt_name": "nope"]))
            #expect(unknown.status == .badRequest)
            let error = try #require(try jsonObject(unknown.body)["error"] as? [String: Any])
            #expect(error["param"] as? String == "prompt_name")
            #expect((error["message"] as? String)?.contains("nope") == true)
            let wrongType = try await client.execute(
                uri: "/v1/embeddings", method: .post, body: try embeddingsBody(["x"], extra: ["prompt_name": 3]))
            #expect(wrongType.status == .badRequest)
        }
    }

    @Test func withoutAKeyEveryRouteIsOpenAndModelsListsTheServedModel() async throws {
        let configuration = ServiceConfiguration(port: 0, modelName: "tiny-served")
        try await withService(configuration: configuration) { client, _ in
            let response = try await client.execute(uri: "/v1/models", method: .get)
            #expect(response.status == .ok)
            let object = try jsonObject(response.body)
            #expect(object["object"] as? String == "list")
            let data = try #require(object["data"] as? [[String: Any]])
            #expect(data.count == 1 && data[0]["id"] as? String == "tiny-served" && data[0]["object"] as? String == "model")
            let embeddings = try await client.execute(uri: "/v1/embeddings", method: .post, body: try embeddingsBody(["x"]))
            #expect(embeddings.status == .ok)
        }
    }
}
