import Datasets
import Encoder
import Foundation
import Store

/// BEIR-style retrieval evaluation of an encoder: embed the corpus (each document's `passage`, as
/// BEIR's sentence-transformers models do) and the queries, exact cosine top-100 for every query,
/// then trec_eval / pytrec_eval metrics over the queries of the qrels.
public struct RetrievalEvaluation: Sendable {
    public let dataset: BEIRDataset
    /// Documents retrieved per query; 100 covers recall@100 and MAP@100.
    public var depth = 100
    public var batchSize = 32
    /// The query and document prompts; nil: the evaluated model's own (`ModelPrompts`, by role).
    public var prompts: (query: String?, document: String?)?

    public init(dataset: BEIRDataset) { self.dataset = dataset }

    public init(directory: URL, split: String) throws {
        self.init(dataset: try BEIRDataset.load(directory: directory, split: split))
    }

    /// Metrics ("ndcg@10", "mrr@10", "recall@10", "recall@100", "map@100") of `encoder` on the dataset.
    public func evaluate(
        _ encoder: SentenceEncoder, threads: Int, progress: ((EncodingProgress) -> Void)? = nil
    ) -> MetricsReport {
        let judged = dataset.queries.filter { dataset.qrels[$0.id] != nil }
        let own = encoder.directory.prompts
        let (queryPrompt, documentPrompt) = prompts ?? (
            try? own.resolve(prompt: nil, name: nil, role: .query), try? own.resolve(prompt: nil, name: nil, role: .document))
        let documents = encoder.encode(
            ModelPrompts.apply(documentPrompt, to: dataset.corpus.map(\.passage)), batchSize: batchSize,
            threads: threads, progress: progress)
        let d = encoder.dimension
        let matrix = VectorMatrix(count: dataset.corpus.count, dimension: d, ids: dataset.corpus.map(\.id))
        documents.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            for i in 0..<dataset.corpus.count { matrix.row(i).update(from: base + i * d, count: d) }
        }
        matrix.updateNorms()
        let queries = encoder.encode(ModelPrompts.apply(queryPrompt, to: judged.map(\.text)), batchSize: batchSize, threads: threads)
        let hits = queries.withUnsafeBufferPointer { q -> [[TopK.Hit]] in
            guard let base = q.baseAddress else { return [] }
            return TopK.searchBatch(queries: base, queryCount: judged.count, matrix: matrix, k: depth + 1, threads: threads)
        }
        var run: [String: [String: Double]] = [:]
        for (query, list) in zip(judged, hits) {
            // As BEIR's exact search: depth + 1 hits, the query's own id dropped, the best `depth` kept.
            let kept = list.filter { matrix.ids[$0.index] != query.id }.prefix(depth)
            run[query.id] = Dictionary(kept.map { (matrix.ids[$0.index], Double($0.score)) }, uniquingKeysWith: max)
        }
        return IRMetrics.evaluate(run: run, qrels: dataset.qrels)
    }
}
