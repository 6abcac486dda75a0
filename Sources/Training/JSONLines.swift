import Foundation

/// Lines of a text file with their 1-based numbers: split on "\n", a trailing "\r" removed (CRLF
/// files), a UTF-8 byte-order mark dropped, and lines that are only whitespace skipped.
enum TextLines {
    static func read(_ url: URL) throws(TrainingDataError) -> [(number: Int, bytes: Data)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { throw .notFound(file: url.path) }
        if isDirectory.boolValue { throw .unreadable(file: url.path, reason: "is a directory, not a file") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadable(file: url.path, reason: "cannot read (\(String(cString: strerror(errno))))")
        }
        var lines: [(number: Int, bytes: Data)] = []
        var start = data.startIndex, number = 1
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { start += 3 }
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            var line = data[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { lines.append((number, Data(line))) }
            start = end < data.endIndex ? end + 1 : end
            number += 1
        }
        return lines
    }
}

/// One JSON object per line (JSON Lines), with errors that name the file, line and field.
struct JSONLine {
    let file: String
    let line: Int
    let object: [String: Any]

    static func objects(_ url: URL) throws(TrainingDataError) -> [JSONLine] {
        var result: [JSONLine] = []
        for (number, bytes) in try TextLines.read(url) {
            let parsed: Any
            do { parsed = try JSONSerialization.jsonObject(with: bytes) } catch {
                throw .invalidJSON(file: url.path, line: number, reason: "not a JSON value")
            }
            guard let object = parsed as? [String: Any] else {
                throw .invalidJSON(file: url.path, line: number, reason: "expected a JSON object")
            }
            result.append(JSONLine(file: url.path, line: number, object: object))
        }
        return result
    }

    /// A BEIR id: `_id`, else `id`; a string, or an integer written as its decimal string.
    func id() throws(TrainingDataError) -> String {
        let key = object["_id"] != nil ? "_id" : "id"
        guard let value = object[key], !(value is NSNull) else { throw .missingField(file: file, line: line, field: "_id") }
        if let text = value as? String { return text }
        if !(value is Bool), let integer = value as? Int { return String(integer) }
        throw .wrongType(file: file, line: line, field: key, expected: "a string or an integer")
    }

    func string(_ field: String) throws(TrainingDataError) -> String {
        guard let value = object[field], !(value is NSNull) else { throw .missingField(file: file, line: line, field: field) }
        guard let text = value as? String else { throw .wrongType(file: file, line: line, field: field, expected: "a string") }
        return text
    }

    /// nil when the field is absent or null.
    func optionalString(_ field: String) throws(TrainingDataError) -> String? {
        guard let value = object[field], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw .wrongType(file: file, line: line, field: field, expected: "a string") }
        return text
    }

    /// A string or a list of strings; absent or null gives [].
    func strings(_ field: String) throws(TrainingDataError) -> [String] {
        guard let value = object[field], !(value is NSNull) else { return [] }
        if let text = value as? String { return [text] }
        guard let list = value as? [Any] else {
            throw .wrongType(file: file, line: line, field: field, expected: "a string or a list of strings")
        }
        var texts: [String] = []
        for element in list {
            guard let text = element as? String else {
                throw .wrongType(file: file, line: line, field: field, expected: "a string or a list of strings")
            }
            texts.append(text)
        }
        return texts
    }
}
