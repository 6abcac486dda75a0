import Hummingbird

/// The outermost middleware: answers every error as OpenAI-style JSON (`APIError`) and records
/// each request's route, status and latency in `ServiceMetrics`.
struct ErrorAndMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics
    /// Route patterns registered on the router; anything else is labelled `unmatched`.
    let routes: Set<String>

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        var errorType: String?
        do {
            response = try await next(request, context)
            if response.status.code >= 400 { errorType = APIError.Kind.server.rawValue }
        } catch {
            let apiError = APIError.from(error, method: request.method, path: request.uri.path)
            response = apiError.response
            errorType = apiError.kind.rawValue
        }
        // A registered route's pattern, never the raw path: label values stay few.
        let route = context.endpointPath.flatMap { routes.contains($0) ? $0 : nil } ?? "unmatched"
        metrics.recordRequest(route: route, method: request.method.rawValue, status: response.status.code,
                              errorType: errorType, seconds: start.duration(to: .now).seconds)
        return response
    }
}
