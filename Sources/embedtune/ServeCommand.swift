import ArgumentParser
import Foundation
import Service

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve embeddings (OpenAI-compatible) and search over HTTP.",
        discussion: """
            Routes: POST /v1/embeddings {"input": string | [string], "model", "encoding_format": "float" | \
            "base64", "dimensions": int} (OpenAI-compatible); POST /search {"query": string, "k": int, "mode": \
            "vector" | "lexical" | "hybrid", "rrf_k": number, "vector_weight": number, "lexical_weight": number} → \
            {"query":...,"results":[{"id","score","text"}]} (with --db; the three numbers of hybrid ranking default \
            to --rrf-k, --vector-weight and --lexical-weight); GET /v1/models (OpenAI's list, one model); \
            GET /health; GET /metrics (Prometheus). With --api-key (or EMBEDTUNE_API_KEY) every route but /health \
            and /metrics needs 'Authorization: Bearer KEY' (else 401).

            Several --db are searched as one store: the results of `merge-stores` of them in that order (see \
            `search --help`); they must record the same model.

            With --db the model is the one recorded in the database (or --model/--adapter, which must give the \
            same fingerprint); with only --model the server answers embeddings and no search. Search queries are \
            truncated as the database's vectors were (see `encode --dimensions`); --dimensions, when given with \
            --db, must be the database's. It is also the default of /v1/embeddings requests without "dimensions".

            Concurrent requests are batched into one forward pass: a pass starts when --batch-window-ms has \
            passed since the oldest queued request arrived, or when --max-batch-inputs / --max-batch-tokens are \
            queued. SIGTERM or SIGINT stops accepting connections, finishes the requests in flight, then exits.
            """)

    @Option(help: "The SQLite vector store to search (its recorded model is served); repeat for shards searched as one.")
    var db: [String] = []
    @Option(help: "A model directory (default with --db: the one recorded in the database).") var model: String?
    @Option(help: "A peft LoRA adapter directory, merged into --model at load.") var adapter: String?
    @OptionGroup var truncation: DimensionsOption
    @OptionGroup var precision: PrecisionOption
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(parsing: .unconditional, help: "Port to listen on (0: any free port).") var port: Int = 8080
    @Option(help: "CPU threads of one forward pass (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Longest a request waits for others to share its forward pass, in milliseconds.")
    var batchWindowMs: Double = 2
    @Option(parsing: .unconditional, help: "Most sequences in one forward pass.") var maxBatchInputs: Int = 256
    @Option(parsing: .unconditional, help: "Most tokens in one forward pass.") var maxBatchTokens: Int = 8192
    @Option(parsing: .unconditional, help: "Most inputs in one embeddings request.") var maxInputs: Int = 2048
    @Option(parsing: .unconditional, help: "Largest request body in bytes.") var maxBodyBytes: Int = 2 << 20
    @Option(help: "Close a connection after this many seconds without traffic (idle, or a request stalled half-way); at most 600.")
    var idleTimeout: Double = 30
    @Option(parsing: .unconditional, help: "Most connections open at once (more wait until one closes).") var maxConnections: Int = 512
    @OptionGroup(title: "Hybrid search (defaults of POST /search; a request may give its own)") var fusion: FusionOptions
    @Option(help: ArgumentHelp(
        "Require 'Authorization: Bearer KEY' on every route but /health and /metrics (default: $EMBEDTUNE_API_KEY, if set).",
        valueName: "key"))
    var apiKey: String?

    func validate() throws {
        if db.isEmpty && model == nil { throw ValidationError("give --db FILE, or --model DIR to serve embeddings only") }
        if adapter != nil && model == nil { throw ValidationError("--adapter needs --model") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
        guard batchWindowMs >= 0, batchWindowMs <= 10_000 else {
            throw ValidationError("--batch-window-ms must be in 0...10000")
        }
        guard idleTimeout.isFinite, idleTimeout > 0, idleTimeout <= 600 else {
            throw ValidationError("--idle-timeout must be in (0, 600] seconds")
        }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        if let key = resolvedAPIKey, key.isEmpty || key.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw ValidationError("--api-key (or EMBEDTUNE_API_KEY) must be non-empty without spaces")
        }
        guard maxBatchInputs > 0, maxBatchTokens > 0, maxInputs > 0, maxBodyBytes > 0 else {
            throw ValidationError("--max-batch-inputs, --max-batch-tokens, --max-inputs and --max-body-bytes must be positive")
        }
    }

    /// --api-key, else the EMBEDTUNE_API_KEY environment variable (nil: no key required).
    var resolvedAPIKey: String? { apiKey ?? ProcessInfo.processInfo.environment["EMBEDTUNE_API_KEY"] }

    func run() throws {
        let resources = try ServiceResources.load(
            databases: db, model: model, adapter: adapter, dimensions: truncation.dimensions,
            precision: precision.precision)
        let policy = BatchingPolicy(
            window: .microseconds(Int64((batchWindowMs * 1000).rounded())), maxInputs: maxBatchInputs,
            maxTokens: maxBatchTokens, threads: threads)
        var configuration = ServiceConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyBytes, maxInputsPerRequest: maxInputs,
            modelName: resources.encoder.directory.url.standardizedFileURL.lastPathComponent, batching: policy,
            searchThreads: threads)
        configuration.idleTimeout = .milliseconds(Int64((idleTimeout * 1000).rounded()))
        configuration.maxConnections = maxConnections
        configuration.apiKey = resolvedAPIKey
        configuration.fusion = fusion.fusion
        let configured = configuration
        let encoder = resources.encoder
        var summary = "embedtune serve: \(configuration.modelName) (\(encoder.dimension) dimensions, "
            + "max \(encoder.maxLength) tokens)"
        if let searcher = resources.searcher {
            summary += ", \(searcher.count) documents from \(searcher.shards.map(\.databasePath).joined(separator: ", "))"
        }
        FileHandle.standardError.write(Data((summary + "\n").utf8))
        try BlockingTask.run {
            let batcher = EmbeddingBatcher(encoder: resources.encoder, policy: policy, metrics: ServiceMetrics())
            let app = buildApplication(configuration: configured, batcher: batcher, searcher: resources.searcher)
            do {
                try await app.runService()
            } catch {
                await batcher.shutdown()
                throw ServeFailure.explained(error, host: configured.host, port: configured.port)
            }
            await batcher.shutdown()
        }
    }
}

/// Runs async work to completion from a synchronous command (the root command is synchronous),
/// blocking the calling thread, which is not one of the cooperative pool's.
enum BlockingTask {
    private final class Outcome: @unchecked Sendable {
        var result: Result<Void, any Error> = .success(())
    }

    static func run(_ body: @escaping @Sendable () async throws -> Void) throws {
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await body() } catch { outcome.result = .failure(error) }
            done.signal()
        }
        done.wait()
        try outcome.result.get()
    }
}
