import Foundation

/// One line of a JSON Lines file holding a JSON object, with typed field access whose errors name the
/// file, line and field.
public struct JSONObjectLine {
    public let file: String
    public let line: Int
    public let object: [String: Any]

    /// Parses one line's bytes; anything but a JSON object is an error naming the file and line.
    public init(_ bytes: [UInt8], file: String, line: Int) throws(DataError) {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            throw .invalidJSON(file: file, line: line, reason: Self.reason(error))
        }
        guard let object = parsed as? [String: Any] else {
            throw .invalidJSON(file: file, line: line, reason: "expected a JSON object")
        }
        self.file = file
        self.line = line
        self.object = object
    }

    /// Foundation's description of a parse error ("Invalid value around character 8."), its 0-based
    /// character offset given as a 1-based column ("invalid value around column 9"); or a plain phrase
    /// where there is none.
    static func reason(_ error: Error) -> String {
        guard var text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String, !text.isEmpty else {
            return "not a JSON value"
        }
        if text.hasSuffix(".") { text.removeLast() }
        if let range = text.range(of: #"character \d+"#, options: .regularExpression),
            let offset = Int(text[range].dropFirst("character ".count))
        {
            text.replaceSubrange(range, with: "column \(offset + 1)")
        }
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// Every non-blank line of a JSON Lines file.
    public static func objects(path: String) throws(DataError) -> [JSONObjectLine] {
        let reader = try LineReader(path: path)
        var rows: [JSONObjectLine] = []
        while let bytes = try reader.next() {
            if LineReader.isBlank(bytes) { continue }
            rows.append(try JSONObjectLine(bytes, file: path, line: reader.lineNumber))
        }
        return rows
    }

    /// A BEIR id: `_id`, else `id`; a string, or an integer written as its decimal string.
    public func id() throws(DataError) -> String {
        let key = object["_id"] != nil ? "_id" : "id"
        guard let value = object[key], !(value is NSNull) else { throw .missingField(file: file, line: line, field: "_id or id") }
        if let text = value as? String {
            // An empty id names nothing: no search result, qrels row or `delete` could refer to it.
            guard !text.isEmpty else { throw .emptyField(file: file, line: line, field: key) }
            return text
        }
        if !(value is Bool), let integer = value as? Int { return String(integer) }
        throw .wrongType(file: file, line: line, field: key, expected: "a string or an integer")
    }

    public func string(_ field: String) throws(DataError) -> String {
        guard let value = object[field], !(value is NSNull) else { throw .missingField(file: file, line: line, field: field) }
        guard let text = value as? String else { throw .wrongType(file: file, line: line, field: field, expected: "a string") }
        return text
    }

    /// A string holding more than white space.
    public func text(_ field: String) throws(DataError) -> String {
        let value = try string(field)
        if value.allSatisfy(\.isWhitespace) { throw .emptyField(file: file, line: line, field: field) }
        return value
    }

    /// nil when the field is absent or null.
    public func optionalString(_ field: String) throws(DataError) -> String? {
        guard let value = object[field], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw .wrongType(file: file, line: line, field: field, expected: "a string") }
        return text
    }

    /// A string or a list of strings; absent or null gives [].
    public func strings(_ field: String) throws(DataError) -> [String] {
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

    /// The hard negatives of a training row in either sentence-transformers layout: `negative` (a
    /// string or a list of strings), or the "n-tuple" columns `negative_1` ... `negative_n` that
    /// `mine_hard_negatives(output_format="n-tuple")` and `embedtune mine` write (strings, numbered
    /// consecutively from 1). A row with both layouts, or a numbered column missing below the highest,
    /// is an error naming the file and line.
    public func negatives() throws(DataError) -> [String] {
        var numbered: [Int: String] = [:]
        for key in object.keys where key.hasPrefix("negative_") {
            guard let number = Int(key.dropFirst("negative_".count)), number >= 1,
                  key == "negative_\(number)" else { continue }
            numbered[number] = key
        }
        guard let highest = numbered.keys.max() else { return try strings("negative") }
        if let value = object["negative"], !(value is NSNull) {
            throw .conflictingNegatives(file: file, line: line, reason: "both \"negative\" and \"negative_1\"... columns")
        }
        var texts: [String] = []
        for number in 1...highest {
            guard numbered[number] != nil else {
                throw .conflictingNegatives(file: file, line: line,
                                            reason: "\"negative_\(number)\" missing below \"negative_\(highest)\"")
            }
            texts.append(try string("negative_\(number)"))
        }
        return texts
    }
}

extension JSONObjectLine {
    /// A finite number (a JSON number, not true/false).
    public func number(_ field: String) throws(DataError) -> Double {
        guard let value = try optionalNumber(field) else { throw .missingField(file: file, line: line, field: field) }
        return value
    }

    /// nil when absent or null; a finite number otherwise.
    public func optionalNumber(_ field: String) throws(DataError) -> Double? {
        guard let value = object[field], !(value is NSNull) else { return nil }
        // JSON true/false arrive as NSNumbers of Objective-C type "c" (char).
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue.isFinite
        else { throw .wrongType(file: file, line: line, field: field, expected: "a finite number") }
        return number.doubleValue
    }

    /// A finite number with no fractional part.
    public func integer(_ field: String) throws(DataError) -> Int {
        let value = try number(field)
        guard value == value.rounded(), abs(value) < 1e15 else {
            throw .wrongType(file: file, line: line, field: field, expected: "an integer")
        }
        return Int(value)
    }
}
