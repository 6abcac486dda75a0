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

    /// Metrics ("ndcg@10", "mrr@10", "recall@10", "recall@100", "map@100") of `encoder` on the dataset,
    /// ranking as `mode` says: `.lexical` needs no embeddings (BM25 over an in-memory FTS5 index of the
    /// corpus, `InMemoryLexicalIndex`), `.hybrid` fuses the vector and lexical top-`depth` lists.
    public func evaluate(
        _ encoder: SentenceEncoder, threads: Int, mode: SearchMode = .vector, progress: ((EncodingProgress) -> Void)? = nil
    ) throws -> MetricsReport {
        let judged = dataset.queries.filter { dataset.qrels[$0.id] != nil }
        var vector: [[(id: String, score: Double)]] = []
        var lexical: [[(id: String, score: Double)]] = []
        if mode != .lexical { vector = vectorRuns(encoder, judged, threads: threads, progress: progress) }
        if mode != .vector {
            let index = try InMemoryLexicalIndex(documents: dataset.corpus.map { ($0.id, $0.title, $0.text) })
            lexical = try judged.map { query in
                try index.search(query.text, k: depth + 1).map { (id: dataset.corpus[$0.index].id, score: $0.score) }
            }
        }
        var run: [String: [String: Double]] = [:]
        for (i, query) in judged.enumerated() {
            // As BEIR's exact search: depth + 1 hits, the query's own id dropped, the best `depth` kept.
            func kept(_ list: [(id: String, score: Double)]) -> [(id: String, score: Double)] {
                Array(list.filter { $0.id != query.id }.prefix(depth))
            }
            let ranked: [(id: String, score: Double)]
            switch mode {
            case .vector: ranked = kept(vector[i])
            case .lexical: ranked = kept(lexical[i])
            case .hybrid(let fusion, _):
                ranked = fusion.fuse([kept(vector[i]).map(\.id), kept(lexical[i]).map(\.id)]).prefix(depth)
                    .map { (id: $0.key, score: $0.score) }
            }
            run[query.id] = Dictionary(ranked.map { ($0.id, $0.score) }, uniquingKeysWith: max)
        }
        return IRMetrics.evaluate(run: run, qrels: dataset.qrels)
    }

    /// Exact cosine top-(depth + 1) of every judged query over the embedded corpus.
    func vectorRuns(
        _ encoder: SentenceEncoder, _ judged: [BEIRQuery], threads: Int, progress: ((EncodingProgress) -> Void)?
    ) -> [[(id: String, score: Double)]] {
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
        return hits.map { list in list.map { (id: matrix.ids[$0.index], score: Double($0.score)) } }
    }
}
