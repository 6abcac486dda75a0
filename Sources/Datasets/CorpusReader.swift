/// One document to encode, with the input line it came from.
public struct CorpusDocument: Sendable, Equatable {
    public var id: String
    public var title: String?
    public var text: String
    /// 1-based line of the input file.
    public var line: Int

    public init(id: String, title: String?, text: String, line: Int) {
        self.id = id
        self.title = title
        self.text = text
        self.line = line
    }

    /// The text a document is embedded as, as BEIR's sentence-transformers models build it:
    /// `(title + " " + text).strip()` when the title is non-empty, else `text`.
    public var passage: String {
        guard let title, !title.isEmpty else { return text }
        return pythonStrip(title + " " + text)
    }
}

/// The input layouts `embedtune encode` reads (see DESIGN.md, "Corpus to encode").
public enum CorpusFormat: Sendable, Equatable {
    /// One JSON object per line: BEIR `corpus.jsonl` (`_id`, `title`, `text`) or `id`/`text`
    /// with an optional `title`.
    case jsonl
    /// One document per line; its id is the line number (from 1).
    case plainText

    /// `.jsonl` for names ending in .jsonl, .ndjson or .json; `.plainText` otherwise.
    public static func detect(path: String) -> CorpusFormat {
        let lower = path.lowercased()
        return [".jsonl", ".ndjson", ".json"].contains { lower.hasSuffix($0) } ? .jsonl : .plainText
    }
}

/// Streams documents from a corpus file without loading it whole.
///
/// Blank lines are skipped (line numbers still count them). A bad line — invalid JSON or UTF-8, a
/// missing or mistyped id or text, an id seen on an earlier line — throws a `DataError` naming
/// the file and line; with `skipInvalid` the error goes to `onInvalid` instead and the line is
/// skipped (for a repeated id, the first occurrence is kept).
public final class CorpusReader {
    public let path: String
    public let format: CorpusFormat
    public let skipInvalid: Bool
    private let onInvalid: (DataError) -> Void
    private let lines: LineReader
    /// id → line of its first occurrence.
    private var seen: [String: Int] = [:]

    public init(
        path: String, format: CorpusFormat? = nil, skipInvalid: Bool = false,
        onInvalid: @escaping (DataError) -> Void = { _ in }
    ) throws(DataError) {
        let lines = try LineReader(path: path)
        self.path = path
        self.format = format ?? CorpusFormat.detect(path: path)
        self.skipInvalid = skipInvalid
        self.onInvalid = onInvalid
        self.lines = lines
    }

    /// The next valid document, or nil at the end of the file.
    public func next() throws(DataError) -> CorpusDocument? {
        while let bytes = try lines.next() {
            let line = lines.lineNumber
            if LineReader.isBlank(bytes) { continue }
            do throws(DataError) {
                let doc = try parse(bytes, line: line)
                if let first = seen[doc.id] {
                    throw DataError.repeatedID(file: path, line: line, id: doc.id, firstLine: first)
                }
                seen[doc.id] = line
                return doc
            } catch {
                guard skipInvalid else { throw error }
                onInvalid(error)
            }
        }
        return nil
    }

    /// Up to `count` further documents (fewer only at the end of the file).
    public func next(batch count: Int) throws(DataError) -> [CorpusDocument] {
        var out: [CorpusDocument] = []
        while out.count < count, let doc = try next() { out.append(doc) }
        return out
    }

    /// Every remaining document.
    public func readAll() throws(DataError) -> [CorpusDocument] {
        var out: [CorpusDocument] = []
        while let doc = try next() { out.append(doc) }
        return out
    }

    private func parse(_ bytes: [UInt8], line: Int) throws(DataError) -> CorpusDocument {
        let doc = try parseFields(bytes, line: line)
        // SQLite's C strings end at U+0000: a stored id or text would be cut there, so refuse it.
        for (field, value) in [("id", doc.id), ("title", doc.title ?? ""), ("text", doc.text)] where value.utf8.contains(0) {
            throw .wrongType(
                file: path, line: line, field: field, expected: "text without NUL characters (U+0000)")
        }
        return doc
    }

    private func parseFields(_ bytes: [UInt8], line: Int) throws(DataError) -> CorpusDocument {
        switch format {
        case .jsonl:
            let row = try JSONObjectLine(bytes, file: path, line: line)
            return CorpusDocument(id: try row.id(), title: try row.optionalString("title"), text: try row.string("text"), line: line)
        case .plainText:
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw .invalidUTF8(file: path, line: line)
            }
            return CorpusDocument(id: String(line), title: nil, text: text, line: line)
        }
    }
}
