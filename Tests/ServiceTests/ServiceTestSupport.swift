import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Retrieval
@testable import Store
import Testing
@testable import Service

/// The random 2-layer BERT of the encoder tests (hidden 32, vocabulary of 1,000 common words).
enum TinyModel {
    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EncoderTests/Fixtures/tiny_bert")

    static func encoder() throws -> SentenceEncoder { try SentenceEncoder(modelDirectory: url) }
}

/// Sentences of words in the tiny model's vocabulary, distinct enough to tokenize differently.
let sampleTexts = [
    "the city of washington was founded in 1990",
    "the university hospital changed its management",
    "a ship passed under the stone bridge",
    "mary spent the second year at the academy",
    "the national tournament awards were reported later",
    "people know the federal officer walked alone",
    "the captain believed the energy model was wrong",
    "jack lived in the kingdom for three years",
]

/// An embeddings request body for `texts` (JSON-escaped by JSONSerialization).
func embeddingsBody(_ texts: [String], extra: [String: Any] = [:]) throws -> ByteBuffer {
    var object: [String: Any] = ["input": texts]
    for (k, v) in extra { object[k] = v }
    return ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
}

func jsonObject(_ buffer: ByteBuffer) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))
    guard let object = value as? [String: Any] else { throw TestFailure("response is not a JSON object: \(value)") }
    return object
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The embeddings of a response's `data`, in `index` order, decoded from floats or base64.
func embeddings(in response: [String: Any]) throws -> [[Float]] {
    guard let data = response["data"] as? [[String: Any]] else { throw TestFailure("no data array") }
    var rows = [[Float]?](repeating: nil, count: data.count)
    for item in data {
        guard let index = item["index"] as? Int, rows.indices.contains(index) else { throw TestFailure("bad index") }
        if let values = item["embedding"] as? [NSNumber] {
            rows[index] = values.map { $0.floatValue }
        } else if let text = item["embedding"] as? String, let bytes = Data(base64Encoded: text) {
            let raw = [UInt8](bytes)
            rows[index] = stride(from: 0, to: raw.count, by: 4).map { i -> Float in
                var bits: UInt32 = 0
                for b in 0..<4 { bits |= UInt32(raw[i + b]) << UInt32(8 * b) }
                return Float(bitPattern: bits)
            }
        } else {
            throw TestFailure("embedding \(index) is neither a float array nor base64")
        }
    }
    return try rows.map { row in
        guard let row else { throw TestFailure("missing index") }
        return row
    }
}

/// Largest absolute difference between two equally long vectors.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// A service around the tiny model; the batcher is shut down when `body` returns.
func withService<T>(
    index: Searcher? = nil, encoder: SentenceEncoder? = nil,
    configuration: ServiceConfiguration = ServiceConfiguration(port: 0), setup: TestingSetup = .router,
    _ body: @Sendable (any TestClientProtocol, EmbeddingBatcher) async throws -> T
) async throws -> T {
    let batcher = EmbeddingBatcher(encoder: try encoder ?? TinyModel.encoder(), policy: configuration.batching,
                                   metrics: ServiceMetrics())
    // Tests that do not test the idle timeout get a long one: on a loaded machine a test may pause for
    // longer than the default 30 s between two requests of one connection.
    var configuration = configuration
    if configuration.idleTimeout == ServiceConfiguration(port: 0).idleTimeout { configuration.idleTimeout = .seconds(600) }
    let app = buildApplication(configuration: configuration, batcher: batcher, index: index)
    do {
        let result = try await app.test(setup) { client in try await body(client, batcher) }
        await batcher.shutdown()
        return result
    } catch {
        await batcher.shutdown()
        throw error
    }
}

/// A vector store in a temporary directory holding `texts` (ids "d0", "d1", ...) encoded by
/// `encoder`, and the search index over it. `recordedFingerprint` records another model's
/// fingerprint instead of the encoder's.
struct TestDatabase {
    let directory: URL
    let path: String
    let texts: [String]

    init(encoder: SentenceEncoder, texts: [String] = sampleTexts, recordedFingerprint: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("service-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("vectors.sqlite").path
        self.texts = texts
        let store = try VectorStore(path: path)
        try store.bind(model: StoreModelInfo(
            fingerprint: recordedFingerprint ?? encoder.fingerprint.description, modelPath: TinyModel.url.path, adapterPath: nil,
            dimension: encoder.dimension, maxLength: encoder.maxLength, pooling: encoder.directory.pooling.rawValue,
            normalize: encoder.directory.normalize, truncation: encoder.truncation?.dimensions))
        let vectors = encoder.encode(texts)
        let d = encoder.dimension
        try store.upsert(texts.enumerated().map { i, text in
            StoredDocument(id: "d\(i)", title: nil, text: text, embedding: Array(vectors[(i * d)..<((i + 1) * d)]))
        })
    }

    func index(encoder: SentenceEncoder) throws -> Searcher {
        try Searcher(store: VectorStore(path: path, readOnly: true), encoder: encoder)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
