import Foundation

extension TrainingPairs {
    /// (query text, document text) pairs from a BEIR directory, built exactly as
    /// ../shared/bench/finetune_st.py does with `--pairs beir:SPLIT`:
    /// - corpus.jsonl (`_id`, `title`, `text`): the passage is `(title + " " + text).strip()` when the
    ///   title is non-empty, else `text`;
    /// - queries.jsonl (`_id`, `text`);
    /// - qrels/<split>.tsv: tab-separated query id, document id, score; the first line is skipped when it is
    ///   a header (its score column not an integer); pairs with score > 0, deduplicated;
    /// - pairs ordered by query id, then document id (code-point order, as Python's `sorted`);
    ///   a qrel whose document is missing from the corpus is skipped.
    /// The files are read by the rules of evaluation's `BEIRDataset` (one reading of a BEIR directory):
    /// ids are `_id` (or `id`), strings or integers; an id repeated in corpus.jsonl or queries.jsonl, and a
    /// qrels query that queries.jsonl lacks, are errors naming the file and line.
    public static func loadBEIR(_ directory: URL, split: String) throws(TrainingDataError) -> TrainingPairs {
        let corpusURL = directory.appendingPathComponent("corpus.jsonl")
        var corpus: [String: String] = [:]
        var firstLines: [String: Int] = [:]
        for row in try JSONLine.objects(corpusURL) {
            let text = try row.string("text")
            let title = try row.optionalString("title") ?? ""
            let id = try row.id()
            if let first = firstLines[id] { throw .repeatedID(file: row.file, line: row.line, id: id, firstLine: first) }
            firstLines[id] = row.line
            corpus[id] = title.isEmpty ? text : pythonStrip(title + " " + text)
        }
        var queries: [String: String] = [:]
        firstLines = [:]
        for row in try JSONLine.objects(directory.appendingPathComponent("queries.jsonl")) {
            let id = try row.id()
            if let first = firstLines[id] { throw .repeatedID(file: row.file, line: row.line, id: id, firstLine: first) }
            firstLines[id] = row.line
            queries[id] = try row.string("text")
        }
        let qrelsURL = directory.appendingPathComponent("qrels").appendingPathComponent(split + ".tsv")
        let (relevant, qrelsLines) = try readQrels(qrelsURL)
        for (query, line) in qrelsLines.sorted(by: { $0.value < $1.value }) where queries[query] == nil {
            throw .invalidQrels(file: qrelsURL.path, line: line, reason: "query \"\(query)\" has no text in queries.jsonl")
        }
        var pairs: [TrainingPair] = []
        for query in relevant.keys.sorted(by: codePointOrder) {
            guard let queryText = queries[query] else { continue }
            for document in (relevant[query] ?? []).sorted(by: codePointOrder) {
                guard let documentText = corpus[document] else { continue }
                pairs.append(TrainingPair(anchor: queryText, positive: documentText))
            }
        }
        if pairs.isEmpty { throw .noPairs(file: qrelsURL.path) }
        return TrainingPairs(pairs)
    }

    /// query id → ids of documents with a score > 0, and the first line naming each query.
    static func readQrels(_ url: URL) throws(TrainingDataError) -> ([String: Set<String>], [String: Int]) {
        var relevant: [String: Set<String>] = [:]
        var firstLines: [String: Int] = [:]
        for (number, bytes) in try TextLines.read(url) {
            guard let line = String(data: bytes, encoding: .utf8) else {
                throw .invalidQrels(file: url.path, line: number, reason: "not UTF-8 text")
            }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if number == 1 && (fields.count < 3 || Int(pythonStrip(String(fields[2]))) == nil) {
                continue  // header: query-id, corpus-id, score
            }
            guard fields.count >= 3 else {
                throw .invalidQrels(file: url.path, line: number, reason: "expected query-id, corpus-id and score separated by tabs")
            }
            var scoreText = pythonStrip(String(fields[2]))
            if scoreText.hasPrefix("+") { scoreText.removeFirst() }
            guard let score = Int(scoreText) else {
                throw .invalidQrels(file: url.path, line: number, reason: "score '\(fields[2])' is not an integer")
            }
            if firstLines[String(fields[0])] == nil { firstLines[String(fields[0])] = number }
            if score > 0 { relevant[String(fields[0]), default: []].insert(String(fields[1])) }
        }
        return (relevant, firstLines)
    }
}

/// Python's `str.strip()`: removes leading and trailing characters for which `str.isspace()` holds
/// (Unicode White_Space plus the separators U+001C...U+001F).
func pythonStrip(_ text: String) -> String {
    func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace || (0x1C...0x1F).contains(s.value) }
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(scalars[first...last])
}

/// Python's string order: lexicographic by Unicode code point.
func codePointOrder(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
}
