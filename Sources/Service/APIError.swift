import Foundation
import Hummingbird

/// An error answered to the client as JSON, in the shape OpenAI's API uses
/// (`{"error":{"message":...,"type":...,"param":...,"code":null}}`, see
/// https://platform.openai.com/docs/guides/error-codes), with the HTTP status it maps to.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// OpenAI's error `type` strings, plus the ones this server adds.
    public enum Kind: String, Sendable {
        case invalidRequest = "invalid_request_error"
        case authentication = "authentication_error"
        case notFound = "not_found_error"
        case tooLarge = "request_too_large"
        case unavailable = "service_unavailable"
        case server = "server_error"
    }

    public var status: HTTPResponse.Status
    public var kind: Kind
    public var message: String
    /// The request field at fault (a JSON path such as `input[3]`), when there is one.
    public var param: String?

    public init(_ status: HTTPResponse.Status, _ kind: Kind, _ message: String, param: String? = nil) {
        self.status = status
        self.kind = kind
        self.message = message
        self.param = param
    }

    public var description: String { "\(status.code) \(kind.rawValue): \(message)" }

    static func invalid(_ message: String, param: String? = nil) -> APIError {
        APIError(.badRequest, .invalidRequest, message, param: param)
    }

    /// The JSON body of the error response.
    public var body: String {
        var json = JSONWriter()
        json.raw("{\"error\":{\"message\":")
        json.string(message)
        json.raw(",\"type\":")
        json.string(kind.rawValue)
        json.raw(",\"param\":")
        if let param { json.string(param) } else { json.raw("null") }
        json.raw(",\"code\":null}}")
        return json.text
    }

    /// The error as an HTTP response with a JSON body.
    public var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// The client-facing error for any error thrown while handling a request: `APIError` as is,
    /// Hummingbird's errors (unknown route, body too large) by their status, anything else a 500
    /// that does not leak internals.
    static func from(_ error: any Error, method: HTTPRequest.Method, path: String) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? any HTTPResponseError {
            switch error.status {
            case .notFound:
                return APIError(.notFound, .notFound, "no route for \(method) \(path)")
            case .methodNotAllowed:
                return APIError(.methodNotAllowed, .invalidRequest, "\(method) is not allowed on \(path)")
            case .contentTooLarge:
                return APIError(.contentTooLarge, .tooLarge, "request body is too large")
            case let status where status.code < 500:
                return APIError(status, .invalidRequest, (error as? HTTPError)?.body ?? status.reasonPhrase)
            default:
                break
            }
        }
        return APIError(.internalServerError, .server, "internal error while handling \(method) \(path)")
    }
}
