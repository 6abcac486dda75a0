import Foundation

/// A JSON value, as `JSONParser` reads it. Numbers are `Double`s, as in Foundation's `JSONSerialization`.
enum JSONValue: Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object(JSONMembers)

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    var object: JSONMembers? { if case .object(let o) = self { return o } else { return nil } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var isNull: Bool { if case .null = self { return true } else { return false } }
    /// An integral number.
    var int: Int? {
        if case .number(let d) = self, d.rounded() == d, abs(d) < 9e15 { return Int(d) }
        return nil
    }
}

/// A JSON file with typed field access whose errors name the file and field.
struct JSONFile {
    let url: URL
    init(_ url: URL) { self.url = url }

    func object() throws -> JSONObject {
        let data: Data
        do { data = try FileContents.read(url) } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.description)
        }
        let path = url.path
        let parsed: Result<JSONValue, JSONSyntaxError> = data.withUnsafeBytes { text in
            do throws(JSONSyntaxError) { return .success(try JSONParser.parse(text, path: path)) } catch { return .failure(error) }
        }
        switch parsed {
        case .failure(let error): throw TokenizerError.malformedFile(path: path, reason: "invalid JSON at \(error.reason)")
        case .success(.object(let members)): return JSONObject(value: members, file: path)
        case .success: throw TokenizerError.malformedFile(path: path, reason: "top level is not a JSON object")
        }
    }
}

/// A JSON object; absent and `null` fields read as nil, fields of the wrong type throw.
struct JSONObject {
    let value: JSONMembers
    let file: String

    private func field<T>(_ key: String, _ what: String, _ get: (JSONValue) -> T?) throws -> T? {
        guard let raw = value[key], !raw.isNull else { return nil }
        guard let typed = get(raw) else {
            throw TokenizerError.malformedFile(path: file, reason: "field '\(key)' is not \(what)")
        }
        return typed
    }

    func string(_ key: String) throws -> String? { try field(key, "a string") { $0.string } }
    func bool(_ key: String) throws -> Bool? { try field(key, "a boolean") { $0.bool } }
    func int(_ key: String) throws -> Int? { try field(key, "an integer") { $0.int } }
    func array(_ key: String) throws -> [JSONValue]? { try field(key, "an array") { $0.array } }
    func object(_ key: String) throws -> JSONObject? {
        try field(key, "an object") { $0.object }.map { JSONObject(value: $0, file: file) }
    }
}
