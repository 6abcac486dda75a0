import Hummingbird

/// The outermost middleware: answers every error as OpenAI-style JSON (`APIError`) and records
/// each request's route, status and latency in `ServiceMetrics`. A known path asked with another
/// method is a 405 naming the method it takes (with an `Allow` header), not the router's 404.
struct ErrorAndMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics
    /// Route patterns registered on the router, with their method; anything else is labelled `unmatched`.
    let routes: [String: HTTPRequest.Method]

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
            var apiError = APIError.from(error, method: request.method, path: request.uri.path)
            let path = request.uri.path
            let allowed = routes[path].flatMap { $0 == request.method ? nil : $0 }
            if let allowed, !(error is APIError), apiError.status == .notFound {
                apiError = APIError(.methodNotAllowed, .invalidRequest, "\(request.method) is not allowed on \(path); use \(allowed)")
                response = apiError.response
                response.headers[.allow] = allowed.rawValue
            } else {
                response = apiError.response
            }
            errorType = apiError.kind.rawValue
        }
        // A registered route's pattern, never the raw path: label values stay few.
        let route = context.endpointPath.flatMap { routes[$0] == nil ? nil : $0 } ?? "unmatched"
        metrics.recordRequest(route: route, method: request.method.rawValue, status: response.status.code,
                              errorType: errorType, seconds: start.duration(to: .now).seconds)
        return response
    }
}
