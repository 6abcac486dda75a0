import Encoder
import Foundation
import Hummingbird
import HummingbirdCore
import Retrieval

/// The HTTP application of `embedtune serve`, kept apart from the command so tests drive its
/// router in process (HummingbirdTesting `.router`) or over a loopback socket (`.live`).
///
/// Routes: `POST /v1/embeddings` (OpenAI-compatible), `GET /v1/models`, `POST /search`, `GET /health`,
/// `GET /metrics`. Connections idle for `idleTimeout` are closed and at most `maxConnections` are
/// open at once; with `apiKey`, routes other than /health and /metrics need the bearer token. `/search`
/// sees documents encoded into the database after the start (`LiveIndex` reopens it on change). The caller owns `batcher` and calls `batcher.shutdown()` once the
/// application has returned (after its graceful shutdown has drained in-flight requests).
public func buildApplication(
    configuration: ServiceConfiguration, batcher: EmbeddingBatcher, index: Searcher?
) -> some ApplicationProtocol {
    buildApplication(configuration: configuration, batcher: batcher, searcher: index.map(ShardedSearcher.init(single:)))
}

/// As `buildApplication(configuration:batcher:index:)`, searching several databases as one store
/// (`ShardedSearcher`; `ServiceResources.load(databases:...)` opens them).
public func buildApplication(
    configuration: ServiceConfiguration, batcher: EmbeddingBatcher, searcher: ShardedSearcher?
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    let routes = ServiceRoutes(configuration: configuration, batcher: batcher, index: searcher.map(LiveIndex.init))
    router.add(middleware: ErrorAndMetricsMiddleware(metrics: batcher.metrics, routes: ServiceRoutes.methods))
    if let key = configuration.apiKey {
        router.add(middleware: APIKeyMiddleware(key: key, openPaths: ["/health", "/metrics"]))
    }
    routes.register(on: router)
    let idle = configuration.idleTimeout.components
    return Application(
        router: router,
        server: .http1(configuration: .init(
            additionalChannelHandlers: [DrainBeforeCloseHandler(patience: .seconds(60))],
            idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "embedtune",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)))
}
