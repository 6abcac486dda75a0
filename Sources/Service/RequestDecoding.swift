import Foundation

/// Decodes a JSON request body into `T`, turning every failure into a 400 `APIError` that names
/// the field at fault (`JSONDecoder`'s messages reworded; its coding path becomes a JSON path).
enum RequestDecoding {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw APIError.invalid("request body is empty; expected a JSON object")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw describe(error, bytes)
        } catch {
            throw APIError.invalid("request body is not valid JSON")
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out
    }

    /// Where `JSONSerialization` finds the body malformed (`JSONDecoder` on Linux does not say), as
    /// ": reason", or "" when it parses.
    private static func syntaxProblem(_ bytes: [UInt8]) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            return ""
        } catch {
            let reason = (error as NSError).userInfo["NSDebugDescription"] as? String
            return reason.map { ": \($0)" } ?? ""
        }
    }

    /// An optional integer field, with a message naming it when the value is not a JSON integer
    /// that fits in `Int` (`JSONDecoder` on Linux reports those without the field's path).
    static func integer<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> Int? {
        try optional(Int.self, c, key)
    }

    /// An optional number field, with a message naming it when the value is not a JSON number that
    /// fits in `Double`.
    static func number<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> Double? {
        try optional(Double.self, c, key)
    }

    /// An optional string field, with a message naming it when the value is not a JSON string.
    static func string<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> String? {
        try optional(String.self, c, key)
    }

    /// An optional field of type `T` (absent or null: nil); any other value is a 400 naming the field
    /// and the type it must have.
    private static func optional<T: Decodable, K: CodingKey>(
        _ type: T.Type, _ c: KeyedDecodingContainer<K>, _ key: K
    ) throws -> T? {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
        do {
            return try c.decode(T.self, forKey: key)
        } catch {
            throw APIError.invalid("'\(key.stringValue)' must be \(name(of: T.self))", param: key.stringValue)
        }
    }

    private static func describe(_ error: DecodingError, _ bytes: [UInt8]) -> APIError {
        switch error {
        case let .keyNotFound(key, context):
            let field = path(context.codingPath + [key])
            return .invalid("missing required field '\(field)'", param: field)
        case let .valueNotFound(type, context):
            let field = path(context.codingPath)
            return .invalid("'\(field)' must be \(name(of: type)), not null", param: field)
        case let .typeMismatch(type, context):
            let field = path(context.codingPath)
            if field.isEmpty { return .invalid("request body must be a JSON object") }
            return .invalid("'\(field)' must be \(name(of: type))", param: field)
        case let .dataCorrupted(context):
            let field = path(context.codingPath)
            if field.isEmpty { return .invalid("request body is not valid JSON\(syntaxProblem(bytes))") }
            return .invalid("'\(field)' has an invalid value: \(context.debugDescription)", param: field)
        @unknown default:
            return .invalid("request body could not be decoded")
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Bool.Type: return "a boolean"
        case is Double.Type, is Float.Type: return "a number"
        case is [Any].Type: return "an array"
        default: return type == [String: Any].self ? "an object" : "of type \(type)"
        }
    }
}
