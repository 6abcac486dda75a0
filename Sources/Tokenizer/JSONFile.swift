import Foundation

/// A JSON file read with Foundation, with typed field access whose errors name the file and field.
struct JSONFile {
    let url: URL
    init(_ url: URL) { self.url = url }

    func object() throws -> JSONObject {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw TokenizerError.malformedFile(path: url.path, reason: "invalid JSON (\(error.localizedDescription))")
        }
        guard let dictionary = parsed as? [String: Any] else {
            throw TokenizerError.malformedFile(path: url.path, reason: "top level is not a JSON object")
        }
        return JSONObject(value: dictionary, file: url.path)
    }
}

/// A JSON object; absent and `null` fields read as nil, fields of the wrong type throw.
struct JSONObject {
    let value: [String: Any]
    let file: String

    private func field<T>(_ key: String, as type: T.Type, _ what: String) throws -> T? {
        guard let raw = value[key], !(raw is NSNull) else { return nil }
        guard let typed = raw as? T else {
            throw TokenizerError.malformedFile(path: file, reason: "field '\(key)' is not \(what)")
        }
        return typed
    }

    func string(_ key: String) throws -> String? { try field(key, as: String.self, "a string") }

    func bool(_ key: String) throws -> Bool? { try field(key, as: Bool.self, "a boolean") }

    func int(_ key: String) throws -> Int? {
        guard let number = try field(key, as: NSNumber.self, "a number") else { return nil }
        let d = number.doubleValue
        guard d.rounded() == d, abs(d) < 9e18 else {
            throw TokenizerError.malformedFile(path: file, reason: "field '\(key)' is not an integer")
        }
        return Int(d)
    }

    func object(_ key: String) throws -> JSONObject? {
        try field(key, as: [String: Any].self, "an object").map { JSONObject(value: $0, file: file) }
    }
}
