import Encoder
import Foundation
import Hummingbird
import Retrieval

/// The request handlers. Parsing and tokenization run on the request's task; the forward pass on
/// the batcher's thread; the top-k scan and the SQLite read on a Dispatch worker.
struct ServiceRoutes: Sendable {
    let configuration: ServiceConfiguration
    let batcher: EmbeddingBatcher
    let index: LiveIndex?

    var encoder: SentenceEncoder { batcher.encoder }

    /// Each route's path and its one method (`register(on:)`).
    static let methods: [String: HTTPRequest.Method] = [
        "/v1/embeddings": .post, "/v1/models": .get, "/search": .post, "/health": .get, "/metrics": .get,
    ]

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/embeddings") { request, _ in try await embeddings(request) }
        router.get("/v1/models") { _, _ in ResponseBodies.json(ByteBuffer(string: models())) }
        router.post("/search") { request, _ in try await search(request) }
        router.get("/health") { _, _ in ResponseBodies.json(ByteBuffer(string: "{\"status\":\"ok\"}")) }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = PrometheusText.contentType
            return Response(status: .ok, headers: headers,
                            body: ResponseBody(byteBuffer: ByteBuffer(string: batcher.metrics.exposition())))
        }
    }

    func embeddings(_ request: Request) async throws -> Response {
        let body = try await collectBody(request)
        let parsed = try EmbeddingsRequest.parse(body, maxInputs: configuration.maxInputsPerRequest,
                                                 modelDimension: encoder.modelDimension)
        // Without `dimensions`: the served encoder's truncation (`serve --dimensions`, or the database's).
        let truncation: EmbeddingTruncation?
        do {
            truncation = try parsed.dimensions.map { try encoder.truncation(for: $0) } ?? encoder.truncation
        } catch {
            throw APIError.invalid("'dimensions': \(error)", param: "dimensions")
        }
        let prompt = try resolvePrompt(named: parsed.promptName, role: nil)
        let tokens = encoder.tokenize(ModelPrompts.apply(prompt, to: parsed.inputs))
        let vectors = try await batcher.embed(tokenIDs: tokens, truncation: truncation)
        try requireFinite(vectors, dimension: truncation?.dimensions ?? encoder.modelDimension) { "input \($0)" }
        return ResponseBodies.json(ResponseBodies.embeddings(
            vectors: vectors, count: parsed.inputs.count, dimension: truncation?.dimensions ?? encoder.modelDimension,
            format: parsed.encodingFormat,
            model: parsed.model ?? configuration.modelName, promptTokens: tokens.reduce(0) { $0 + $1.count }))
    }

    func search(_ request: Request) async throws -> Response {
        guard let index = index?.current() else {
            throw APIError(.notFound, .notFound, "this server has no vector database; start it with --db FILE to search")
        }
        let parsed = try SearchRequest.parse(try await collectBody(request), maxK: configuration.maxK)
        let prompt = try parsed.promptName.map { try resolvePrompt(named: $0, role: .query) } ?? index.queryPrompt
        let fusion = try parsed.fusion(overriding: configuration.fusion)
        let mode = SearchMode(name: parsed.mode ?? "vector", fusion: fusion) ?? .vector
        var vector: [Float]?
        if mode != .lexical {
            let embedded = try await batcher.embed(tokenIDs: encoder.tokenize(ModelPrompts.apply(prompt, to: [parsed.query])))
            try requireFinite(embedded, dimension: embedded.count) { _ in "the query" }
            vector = embedded
        }
        let threads = configuration.searchThreads
        let query = parsed.query
        let hits: [SearchResult]
        do {
            hits = try await offload { [vector] in try index.search(query, vector: vector, k: parsed.k, threads: threads, mode: mode) }
        } catch SearchError.damagedIndex(let path, let reason) {
            // Answer from the database's own vectors (`LiveIndex.distrustIndex(at:)`).
            guard let fallback = self.index?.distrustIndex(at: path) else { throw SearchError.damagedIndex(path: path, reason: reason) }
            batcher.metrics.recordIndexFallback()
            hits = try await offload { [vector] in try fallback.search(query, vector: vector, k: parsed.k, threads: threads, mode: mode) }
        }
        if let hit = hits.first(where: { !$0.score.isFinite }) {
            throw APIError(.internalServerError, .server,
                           "document \(JSONStringLiteral.make(hit.id)) scores \(hit.score): its stored vector is not finite")
        }
        return ResponseBodies.json(ResponseBodies.search(query: parsed.query, hits: hits))
    }

    /// The whole body, refused with 413 beyond `maxBodyBytes` (by its Content-Length before reading
    /// anything, or while reading).
    /// The served model's prompt called `name` (a 400 naming `prompt_name` when it has none such), or
    /// without a name its prompt for `role` / its default prompt.
    func resolvePrompt(named name: String?, role: PromptRole?) throws -> String? {
        do {
            return try encoder.directory.prompts.resolve(prompt: nil, name: name, role: role)
        } catch {
            throw APIError.invalid("'prompt_name': \(error)", param: "prompt_name")
        }
    }

    /// OpenAI's `GET /v1/models` list, holding the one served model.
    func models() -> String {
        var json = JSONWriter()
        json.raw("{\"object\":\"list\",\"data\":[{\"id\":")
        json.string(configuration.modelName)
        json.raw(",\"object\":\"model\",\"created\":0,\"owned_by\":\"embedtune\"}]}")
        return json.text
    }

    func collectBody(_ request: Request) async throws -> [UInt8] {
        let limit = configuration.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError(.contentTooLarge, .tooLarge, "request body of \(declared) bytes exceeds the limit of \(limit)")
        }
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, .tooLarge, "request body exceeds the limit of \(limit) bytes")
        }
    }

    /// A 500 naming (`name(row)`) the first row of `vectors` (rows, dimension) that is not finite
    /// (`NonFiniteEmbedding`).
    private func requireFinite(_ vectors: [Float], dimension: Int, name: (Int) -> String) throws {
        guard let row = NonFiniteEmbedding.firstRow(vectors, dimension: dimension) else { return }
        throw APIError(.internalServerError, .server, NonFiniteEmbedding(input: name(row)).description)
    }
}

/// Runs blocking work (a memory-bound scan, a SQLite read) on a Dispatch worker rather than a
/// cooperative-pool thread.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
