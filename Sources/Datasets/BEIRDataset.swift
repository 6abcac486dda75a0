import Foundation

/// A query of a BEIR dataset.
public struct BEIRQuery: Sendable, Equatable {
    public var id: String
    public var text: String

    public init(id: String, text: String) {
        self.id = id
        self.text = text
    }
}

/// A BEIR dataset directory (Thakur et al., 2021; beir `GenericDataLoader`): `corpus.jsonl`
/// (`_id`, `title`, `text`), `queries.jsonl` (`_id`, `text`) and `qrels/<split>.tsv`
/// (`query-id<TAB>corpus-id<TAB>score`, the first line skipped when it is a header, i.e. its score
/// column is not an integer). The one reading of a BEIR directory, for evaluation, training and mining:
/// - ids are `_id` (or `id`), strings or integers; an id repeated in corpus.jsonl or queries.jsonl
///   is an error naming the file and both lines;
/// - a qrels query that queries.jsonl lacks is an error naming the qrels line, and so is a corpus.jsonl
///   without documents (a qrels document the corpus lacks is, as in BEIR and pytrec_eval, a miss);
/// - as in BEIR, only the queries that have qrels in the split are kept (in queries.jsonl order),
///   and a repeated (query, document) pair in the qrels keeps its last score.
public struct BEIRDataset: Sendable {
    public var corpus: [CorpusDocument]
    public var queries: [BEIRQuery]
    /// query id → document id → graded relevance.
    public var qrels: [String: [String: Int]]

    /// A dataset built in memory (e.g. a validation slice held out of the training pairs).
    public init(corpus: [CorpusDocument], queries: [BEIRQuery], qrels: [String: [String: Int]]) {
        self.corpus = corpus
        self.queries = queries
        self.qrels = qrels
    }

    public static func load(directory: URL, split: String) throws(DataError) -> BEIRDataset {
        let queriesPath = directory.appendingPathComponent("queries.jsonl").path
        let qrelsPath = qrelsPath(directory: directory, split: split)

        let (qrels, qrelsLines) = try loadQrels(path: qrelsPath)
        let corpusPath = directory.appendingPathComponent("corpus.jsonl").path
        let corpus = try CorpusReader(path: corpusPath, format: .jsonl).readAll()
        guard !corpus.isEmpty else { throw .noDocuments(file: corpusPath) }

        var queries: [BEIRQuery] = []
        var seen: [String: Int] = [:]
        for row in try JSONObjectLine.objects(path: queriesPath) {
            let id = try row.id()
            if let first = seen[id] { throw .repeatedID(file: queriesPath, line: row.line, id: id, firstLine: first) }
            seen[id] = row.line
            let text = try row.string("text")
            if qrels[id] != nil { queries.append(BEIRQuery(id: id, text: text)) }
        }
        for (id, line) in qrelsLines.sorted(by: { $0.value < $1.value }) where seen[id] == nil {
            throw .unknownQuery(file: qrelsPath, line: line, id: id)
        }
        guard qrels.values.contains(where: { $0.values.contains { $0 > 0 } }) else {
            throw .noRelevantDocuments(file: qrelsPath)
        }
        return BEIRDataset(corpus: corpus, queries: queries, qrels: qrels)
    }

    /// `qrels/<split>.tsv` of a dataset directory.
    public static func qrelsPath(directory: URL, split: String) -> String {
        directory.appendingPathComponent("qrels").appendingPathComponent("\(split).tsv").path
    }

    /// Every (query, relevant document) pair — score above 0 — ordered by query id, then document id
    /// (code-point order, as Python's `sorted`), with the document as its `passage`; a qrel whose
    /// document is absent from the corpus is skipped. The pairs `train` and `mine` read from a BEIR
    /// directory (as ../shared/bench/finetune_st.py builds them with `--pairs beir:SPLIT`).
    public func relevantPairs() -> [(query: BEIRQuery, document: CorpusDocument)] {
        var documents: [String: CorpusDocument] = [:]
        for document in corpus { documents[document.id] = document }
        var pairs: [(query: BEIRQuery, document: CorpusDocument)] = []
        for query in queries.sorted(by: { codePointOrder($0.id, $1.id) }) {
            let relevant = (qrels[query.id] ?? [:]).filter { $0.value > 0 }.keys.sorted(by: codePointOrder)
            for id in relevant {
                guard let document = documents[id] else { continue }
                pairs.append((query, document))
            }
        }
        return pairs
    }

    /// Reads a qrels TSV. Returns the judgments and, per query, the first line naming it.
    static func loadQrels(path: String) throws(DataError) -> ([String: [String: Int]], [String: Int]) {
        let lines = try LineReader(path: path)
        var qrels: [String: [String: Int]] = [:]
        var firstLine: [String: Int] = [:]
        while let bytes = try lines.next() {
            let line = lines.lineNumber
            if LineReader.isBlank(bytes) { continue }
            guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8(file: path, line: line) }
            let columns = text.split(separator: "\t", omittingEmptySubsequences: false)
            let score = columns.count >= 3 ? Int(pythonStrip(String(columns[2]))) : nil
            if line == 1 && score == nil { continue }  // header: query-id, corpus-id, score
            guard columns.count >= 3 else {
                throw .invalidRow(file: path, line: line, reason: "expected query-id<TAB>corpus-id<TAB>score, got \(columns.count) column(s)")
            }
            let query = String(columns[0]), document = String(columns[1])
            guard !query.isEmpty, !document.isEmpty else {
                throw .invalidRow(file: path, line: line, reason: "empty query-id or corpus-id")
            }
            guard let score else {
                throw .invalidRow(file: path, line: line, reason: "score \"\(columns[2])\" is not an integer")
            }
            qrels[query, default: [:]][document] = score
            if firstLine[query] == nil { firstLine[query] = line }
        }
        return (qrels, firstLine)
    }
}
