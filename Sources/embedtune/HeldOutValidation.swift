import Datasets
import Encoder
import Foundation
import Retrieval
import Training

extension TrainingEvaluation {
    /// Retrieval on pairs held out of the training data (`train --eval-fraction`): the held-out anchors
    /// are the queries, their positives the relevant documents, and the corpus every distinct positive
    /// and negative text of the data (with a BEIR --data directory, its whole corpus).
    static func heldOut(
        _ validation: [TrainingPair], all: TrainingPairs, data: String, split: String, threads: Int
    ) throws -> (SentenceEncoder) throws -> [String: Double] {
        var documentIDs: [String: String] = [:]
        var corpus: [CorpusDocument] = []
        func document(_ text: String) -> String {
            if let id = documentIDs[text] { return id }
            let id = "d\(corpus.count)"
            documentIDs[text] = id
            corpus.append(CorpusDocument(id: id, title: nil, text: text, line: corpus.count + 1))
            return id
        }
        for pair in all.pairs {
            _ = document(pair.positive)
            for negative in pair.negatives { _ = document(negative) }
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue {
            let dataset = try BEIRDataset.load(directory: URL(fileURLWithPath: data), split: split)
            for doc in dataset.corpus { _ = document(doc.passage) }
        }
        var queryIDs: [String: String] = [:]
        var queries: [BEIRQuery] = []
        var qrels: [String: [String: Int]] = [:]
        for pair in validation {
            let id: String
            if let known = queryIDs[pair.anchor] { id = known } else {
                id = "q\(queries.count)"
                queryIDs[pair.anchor] = id
                queries.append(BEIRQuery(id: id, text: pair.anchor))
            }
            qrels[id, default: [:]][document(pair.positive)] = 1
        }
        let evaluation = RetrievalEvaluation(dataset: BEIRDataset(corpus: corpus, queries: queries, qrels: qrels))
        return { encoder in try evaluation.evaluate(encoder, threads: threads).means }
    }
}
