import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The inputs of `embedtune mine`, read from the formats of DESIGN.md ("Training data", "Corpus to
/// encode"), with errors naming the file and line.
public enum MiningData {
    /// Pairs from a JSONL file (`anchor` and `positive` strings on every line; other fields, such as
    /// existing negatives, ignored; blank lines skipped), or from a BEIR directory and split. For
    /// BEIR, the directory's corpus comes back too: its documents are the positives and the default
    /// candidates.
    public static func loadPairs(path: String, split: String) throws -> (pairs: [MiningPair], corpus: [MiningDocument]?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CorpusError.cannotOpen(file: path, reason: "no such file or directory")
        }
        if isDirectory.boolValue { return try loadBEIR(directory: URL(fileURLWithPath: path), split: split) }
        return (try loadJSONL(path: path), nil)
    }

    /// Candidate documents from a corpus file in any `CorpusReader` format; BEIR documents as
    /// `RetrievalEvaluation.passage` (title + " " + text). Plain-text line numbers are not document
    /// ids, so those documents carry none.
    public static func loadCorpus(path: String) throws -> [MiningDocument] {
        let reader = try CorpusReader(path: path)
        let documents = try reader.readAll().map {
            MiningDocument(id: reader.format == .jsonl ? $0.id : nil, text: RetrievalEvaluation.passage($0))
        }
        if documents.isEmpty { throw MiningError.emptyCorpus(file: path) }
        return documents
    }

    static func loadJSONL(path: String) throws -> [MiningPair] {
        guard let lines = LineReader(path: path) else {
            throw CorpusError.cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        var pairs: [MiningPair] = []
        while let bytes = lines.next() {
            let line = lines.lineNumber
            if JSONLRecord.isBlank(bytes) { continue }
            let object: Any
            do { object = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
                throw CorpusError.invalidJSON(file: path, line: line, reason: String(describing: error))
            }
            guard let fields = object as? [String: Any] else {
                throw CorpusError.invalidJSON(file: path, line: line, reason: "not a JSON object")
            }
            func text(_ field: String) throws -> String {
                guard let value = fields[field], !(value is NSNull) else {
                    throw CorpusError.missingField(file: path, line: line, field: field)
                }
                guard let string = value as? String else {
                    throw CorpusError.wrongType(file: path, line: line, field: field, expected: "a string")
                }
                if string.allSatisfy(\.isWhitespace) { throw MiningError.emptyField(file: path, line: line, field: field) }
                return string
            }
            pairs.append(MiningPair(anchor: try text("anchor"), positive: try text("positive")))
        }
        if pairs.isEmpty { throw MiningError.noPairs(file: path) }
        return pairs
    }

    /// Pairs of every qrel with score > 0, ordered by query id, then document id (code-point
    /// order), as `TrainingPairs.loadBEIR` orders them for `train`; a qrel naming a document absent
    /// from the corpus is skipped, as there.
    static func loadBEIR(directory: URL, split: String) throws -> (pairs: [MiningPair], corpus: [MiningDocument]?) {
        let dataset = try BEIRDataset.load(directory: directory, split: split)
        let queriesPath = directory.appendingPathComponent("queries.jsonl").path
        var passages: [String: String] = [:]
        for doc in dataset.corpus { passages[doc.id] = RetrievalEvaluation.passage(doc) }
        func codePointOrder(_ a: String, _ b: String) -> Bool {
            a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
        }
        var pairs: [MiningPair] = []
        for query in dataset.queries.sorted(by: { codePointOrder($0.id, $1.id) }) {
            let relevant = (dataset.qrels[query.id] ?? [:]).filter { $0.value > 0 }.keys.sorted(by: codePointOrder)
            for id in relevant {
                guard let passage = passages[id] else { continue }
                if query.text.allSatisfy(\.isWhitespace) { throw MiningError.emptyQuery(file: queriesPath, id: query.id) }
                pairs.append(MiningPair(anchor: query.text, positive: passage, positiveID: id))
            }
        }
        let qrelsPath = directory.appendingPathComponent("qrels").appendingPathComponent("\(split).tsv").path
        if pairs.isEmpty { throw MiningError.noPairs(file: qrelsPath) }
        return (pairs, dataset.corpus.map { MiningDocument(id: $0.id, text: RetrievalEvaluation.passage($0)) })
    }
}
