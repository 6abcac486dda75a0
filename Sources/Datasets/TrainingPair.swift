import Foundation

/// One training example: an anchor, its positive, and zero or more hard negatives.
public struct TrainingPair: Sendable, Hashable {
    public var anchor: String
    public var positive: String
    public var negatives: [String]

    public init(anchor: String, positive: String, negatives: [String] = []) {
        self.anchor = anchor
        self.positive = positive
        self.negatives = negatives
    }
}

/// Training examples as a file gives them, for `train` and `mine` alike: a JSON Lines file of
/// sentence-transformers columns, or a BEIR directory and split.
public struct PairData: Sendable {
    public var pairs: [TrainingPair]
    /// BEIR data: the corpus id of each pair's positive; nil for JSONL.
    public var positiveIDs: [String]?
    /// BEIR data: the directory's corpus; nil for JSONL.
    public var corpus: [CorpusDocument]?
    /// The file that gave the pairs (the qrels file for BEIR data), for messages.
    public var source: String

    /// A JSONL file (`loadJSONL`) or a BEIR directory (`loadBEIR` with `split`). `negatives: false`
    /// ignores negative columns (mining reads pairs only).
    public static func load(path: String, split: String = "train", negatives: Bool = true) throws(DataError) -> PairData {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotRead(file: path, reason: "no such file or directory")
        }
        return isDirectory.boolValue
            ? try loadBEIR(directory: URL(fileURLWithPath: path), split: split)
            : try loadJSONL(path: path, negatives: negatives)
    }

    /// JSON Lines with the sentence-transformers column names: `anchor` and `positive` (strings) and
    /// optionally `negative` (a string or a list of strings) or `negative_1` ... `negative_n` (the
    /// n-tuple columns, `JSONObjectLine.negatives()`), the same count on every line. Other fields are
    /// ignored; blank lines are skipped. An anchor or positive of only white space is an error.
    public static func loadJSONL(path: String, negatives: Bool = true) throws(DataError) -> PairData {
        var pairs: [TrainingPair] = []
        var negativeCount: Int?
        for row in try JSONObjectLine.objects(path: path) {
            let pair = TrainingPair(anchor: try row.text("anchor"), positive: try row.text("positive"),
                                    negatives: negatives ? try row.negatives() : [])
            if let expected = negativeCount, expected != pair.negatives.count {
                throw .inconsistentNegatives(file: row.file, line: row.line, expected: expected, found: pair.negatives.count)
            }
            negativeCount = pair.negatives.count
            pairs.append(pair)
        }
        if pairs.isEmpty { throw .noPairs(file: path) }
        return PairData(pairs: pairs, positiveIDs: nil, corpus: nil, source: path)
    }

    /// The relevant (query, document) pairs of a BEIR split (`BEIRDataset.relevantPairs`), the
    /// document as its passage. A query of only white space with relevant documents is an error.
    public static func loadBEIR(directory: URL, split: String) throws(DataError) -> PairData {
        let dataset = try BEIRDataset.load(directory: directory, split: split)
        let relevant = dataset.relevantPairs()
        let qrels = BEIRDataset.qrelsPath(directory: directory, split: split)
        if relevant.isEmpty { throw .noPairs(file: qrels) }
        if let blank = relevant.first(where: { $0.query.text.allSatisfy(\.isWhitespace) }) {
            throw .emptyQuery(file: directory.appendingPathComponent("queries.jsonl").path, id: blank.query.id)
        }
        return PairData(
            pairs: relevant.map { TrainingPair(anchor: $0.query.text, positive: $0.document.passage) },
            positiveIDs: relevant.map(\.document.id), corpus: dataset.corpus, source: qrels)
    }
}
