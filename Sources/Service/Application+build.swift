import Encoder
import Foundation
import Hummingbird
import Retrieval

/// The HTTP application of `embedtune serve`, kept apart from the command so tests drive its
/// router in process (HummingbirdTesting `.router`) or over a loopback socket (`.live`).
///
/// Routes: `POST /v1/embeddings` (OpenAI-compatible), `POST /search`, `GET /health`,
/// `GET /metrics`. The caller owns `batcher` and calls `batcher.shutdown()` once the
/// application has returned (after its graceful shutdown has drained in-flight requests).
public func buildApplication(
    configuration: ServiceConfiguration, batcher: EmbeddingBatcher, index: Searcher?
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    let routes = ServiceRoutes(configuration: configuration, batcher: batcher, index: index)
    router.add(middleware: ErrorAndMetricsMiddleware(metrics: batcher.metrics, routes: ServiceRoutes.paths))
    routes.register(on: router)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "embedtune"))
}
