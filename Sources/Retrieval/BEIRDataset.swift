import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
/// (a header line, then `query-id<TAB>corpus-id<TAB>score`; CRLF line ends accepted).
///
/// As in BEIR, only the queries that have qrels in the split are kept (in queries.jsonl order),
/// and a repeated (query, document) pair in the qrels keeps its last score.
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

    public static func load(directory: URL, split: String) throws -> BEIRDataset {
        let corpusPath = directory.appendingPathComponent("corpus.jsonl").path
        let queriesPath = directory.appendingPathComponent("queries.jsonl").path
        let qrelsPath = directory.appendingPathComponent("qrels").appendingPathComponent("\(split).tsv").path

        let (qrels, qrelsLines) = try loadQrels(path: qrelsPath)
        let corpus = try CorpusReader(path: corpusPath, format: .jsonl).readAll()

        guard let lines = LineReader(path: queriesPath) else {
            throw CorpusError.cannotOpen(file: queriesPath, reason: String(cString: strerror(errno)))
        }
        var queries: [BEIRQuery] = []
        var seen: [String: Int] = [:]
        while let bytes = lines.next() {
            let line = lines.lineNumber
            if JSONLRecord.isBlank(bytes) { continue }
            let r = try JSONLRecord.parse(bytes, file: queriesPath, line: line)
            if let first = seen[r.id] {
                throw CorpusError.repeatedID(file: queriesPath, line: line, id: r.id, firstLine: first)
            }
            seen[r.id] = line
            if qrels[r.id] != nil { queries.append(BEIRQuery(id: r.id, text: r.text)) }
        }
        for (id, line) in qrelsLines.sorted(by: { $0.value < $1.value }) where seen[id] == nil {
            throw CorpusError.unknownQuery(file: qrelsPath, line: line, id: id)
        }
        guard qrels.values.contains(where: { $0.values.contains { $0 > 0 } }) else {
            throw CorpusError.noRelevantDocuments(file: qrelsPath)
        }
        return BEIRDataset(corpus: corpus, queries: queries, qrels: qrels)
    }

    /// Reads a qrels TSV. The first line is a header (skipped) unless its third column is an
    /// integer. Returns the judgments and, per query, the first line naming it.
    static func loadQrels(path: String) throws -> ([String: [String: Int]], [String: Int]) {
        guard let lines = LineReader(path: path) else {
            throw CorpusError.cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        var qrels: [String: [String: Int]] = [:]
        var firstLine: [String: Int] = [:]
        while let bytes = lines.next() {
            let line = lines.lineNumber
            if JSONLRecord.isBlank(bytes) { continue }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw CorpusError.invalidUTF8(file: path, line: line)
            }
            let columns = text.split(separator: "\t", omittingEmptySubsequences: false)
            if line == 1 && (columns.count < 3 || Int(columns[2].trimmingCharacters(in: .whitespaces)) == nil) {
                continue  // header: query-id, corpus-id, score
            }
            guard columns.count >= 3 else {
                throw CorpusError.invalidRow(file: path, line: line, reason: "expected query-id<TAB>corpus-id<TAB>score, got \(columns.count) column(s)")
            }
            let query = String(columns[0]), doc = String(columns[1])
            guard !query.isEmpty, !doc.isEmpty else {
                throw CorpusError.invalidRow(file: path, line: line, reason: "empty query-id or corpus-id")
            }
            guard let score = Int(columns[2].trimmingCharacters(in: .whitespaces)) else {
                throw CorpusError.invalidRow(file: path, line: line, reason: "score \"\(columns[2])\" is not an integer")
            }
            qrels[query, default: [:]][doc] = score
            if firstLine[query] == nil { firstLine[query] = line }
        }
        return (qrels, firstLine)
    }
}
