import Hummingbird

/// Requires `Authorization: Bearer <key>` (OpenAI's scheme) on every route except `openPaths`; a missing
/// or wrong key is answered 401 with an OpenAI-style error body (`authentication_error`).
/// The comparison takes the same time wherever the keys differ.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String
    let openPaths: Set<String>

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), Self.constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), Array(key.utf8))
        else {
            throw APIError(
                .unauthorized, .authentication,
                header.isEmpty ? "missing API key: send the header 'Authorization: Bearer <key>'" : "incorrect API key")
        }
        return try await next(request, context)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
