import Datasets
import Foundation

/// The inputs of `embedtune mine`, read by `Datasets` (the readers `train` and `eval` use), with errors
/// naming the file and line.
public enum MiningData {
    /// Pairs from a JSONL file (`anchor` and `positive` strings on every line; other fields, such as
    /// existing negatives, ignored; blank lines skipped), or from a BEIR directory and split (the pairs
    /// `train` reads, in its order). For BEIR, the directory's corpus comes back too: its documents are
    /// the positives and the default candidates. An anchor or positive of only white space is an error.
    public static func loadPairs(path: String, split: String) throws -> (pairs: [MiningPair], corpus: [MiningDocument]?) {
        let data = try PairData.load(path: path, split: split, negatives: false)
        let pairs = data.pairs.enumerated().map { index, pair in
            MiningPair(anchor: pair.anchor, positive: pair.positive, positiveID: data.positiveIDs?[index])
        }
        return (pairs, data.corpus.map { $0.map { MiningDocument(id: $0.id, text: $0.passage) } })
    }

    /// Candidate documents from a corpus file in any `CorpusReader` format, as their passages.
    /// Plain-text line numbers are not document ids, so those documents carry none.
    public static func loadCorpus(path: String) throws -> [MiningDocument] {
        let reader = try CorpusReader(path: path)
        let documents = try reader.readAll().map { MiningDocument(id: reader.format == .jsonl ? $0.id : nil, text: $0.passage) }
        if documents.isEmpty { throw MiningError.emptyCorpus(file: path) }
        return documents
    }
}
