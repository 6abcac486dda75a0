import Foundation

/// The fields of one JSONL line of a corpus or queries file: the id from `_id` (BEIR) or `id`
/// (a string, or an integer written as its decimal string), optional `title`, required `text`.
struct JSONLRecord {
    var id: String
    var title: String?
    var text: String

    static func parse(_ bytes: [UInt8], file: String, line: Int) throws -> JSONLRecord {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            throw CorpusError.invalidJSON(file: file, line: line, reason: String(describing: error))
        }
        guard let fields = object as? [String: Any] else {
            throw CorpusError.invalidJSON(file: file, line: line, reason: "not a JSON object")
        }
        let idKey = fields["_id"] != nil ? "_id" : "id"
        guard let rawID = fields[idKey], !(rawID is NSNull) else {
            throw CorpusError.missingField(file: file, line: line, field: "_id or id")
        }
        let id: String
        if let s = rawID as? String {
            id = s
        } else if !(rawID is Bool), let i = rawID as? Int {
            id = String(i)
        } else {
            throw CorpusError.wrongType(file: file, line: line, field: idKey, expected: "a string or an integer")
        }
        guard let rawText = fields["text"], !(rawText is NSNull) else {
            throw CorpusError.missingField(file: file, line: line, field: "text")
        }
        guard let text = rawText as? String else {
            throw CorpusError.wrongType(file: file, line: line, field: "text", expected: "a string")
        }
        var title: String?
        if let rawTitle = fields["title"], !(rawTitle is NSNull) {
            guard let t = rawTitle as? String else {
                throw CorpusError.wrongType(file: file, line: line, field: "title", expected: "a string")
            }
            title = t
        }
        return JSONLRecord(id: id, title: title, text: text)
    }

    /// True for a line holding only spaces, tabs or nothing (skipped by every reader).
    static func isBlank(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 } }
}
