import Encoder
import Foundation
import Store

/// One search hit: the document and its cosine similarity to the query.
public struct SearchResult: Sendable, Equatable {
    /// 1-based.
    public var rank: Int
    public var id: String
    public var score: Float
    public var title: String?
    public var text: String
}

/// Errors of `Searcher`; each names the database whose recorded model is at fault.
public enum SearchError: Error, Equatable, CustomStringConvertible {
    /// The database has no model recorded (nothing was ever encoded into it).
    case noModelRecorded(database: String)
    /// The recorded model (or adapter) directory cannot be loaded.
    case modelUnavailable(database: String, modelPath: String, reason: String)
    /// The recorded directories now hold another model than the one that wrote the vectors.
    case modelChanged(database: String, modelPath: String, recorded: String, found: String)

    public var description: String {
        switch self {
        case let .noModelRecorded(database):
            return "\(database): no model recorded; encode documents into it first"
        case let .modelUnavailable(database, modelPath, reason):
            return "\(database): cannot load the model it was encoded with (\(modelPath)): \(reason)"
        case let .modelChanged(database, modelPath, recorded, found):
            return "\(database): the vectors were encoded with model fingerprint \(recorded), but \(modelPath) "
                + "now gives \(found); re-encode the database or restore that model"
        }
    }
}

/// Semantic search over a vector store with the model recorded in it (`embedtune search`).
///
/// Opening loads the recorded model directory (+ adapter, same maximum length, same truncation of
/// the embeddings, so queries are truncated as the stored vectors were), recomputes its
/// fingerprint and refuses a model that differs from the one that wrote the vectors; then it loads
/// every stored vector once, from one read snapshot (WAL: an encode may be writing meanwhile).
/// Queries are exact cosine top-k; when the store has an int8 copy, the exact search reads it with
/// proven error bounds (`TopK.Scan.exactThroughInt8`: the same results as the full float32 scan, about a
/// quarter of the memory traffic), otherwise every float32 row (`TopK.Scan.exact`). With `quantized`,
/// a 4-bit copy derived from the int8 codes at load (`NibbleMatrix`, an eighth of the float32
/// bytes) is scanned and its best candidates are rescored in float32 (`TopK.Scan.nibble`:
/// approximate; the store must have been quantized).
public final class Searcher: @unchecked Sendable {
    public let databasePath: String
    public let model: StoreModelInfo
    public let encoder: SentenceEncoder
    /// (count, dimension) every stored vector, row order = rowid order.
    public let matrix: VectorMatrix
    /// The int8 copy, when the store has one.
    public let int8Copy: QuantizedMatrix?
    /// The 4-bit copy of `int8Copy`, when opened `quantized`.
    public let nibbleCopy: NibbleMatrix?
    /// True when opened `quantized`: approximate search through the 4-bit copy with float32 rescoring.
    public var isQuantized: Bool { nibbleCopy != nil }
    /// Prepended to every query text: by default the model's query prompt (`ModelPrompts`, role query),
    /// nil for models without prompts.
    public var queryPrompt: String?
    private let store: VectorStore

    public convenience init(databasePath: String, quantized: Bool = false) throws {
        let store = try VectorStore(path: databasePath, readOnly: true)
        guard let model = try store.storedModel() else { throw SearchError.noModelRecorded(database: databasePath) }
        let encoder: SentenceEncoder
        do {
            encoder = try SentenceEncoder(
                modelDirectory: URL(fileURLWithPath: model.modelPath),
                adapterDirectory: model.adapterPath.map { URL(fileURLWithPath: $0) }, maxLength: model.maxLength,
                dimensions: model.truncation)
        } catch {
            throw SearchError.modelUnavailable(
                database: databasePath, modelPath: model.modelPath, reason: String(describing: error))
        }
        try self.init(store: store, encoder: encoder, quantized: quantized)
    }

    /// Searches `store` with `encoder`, which must have the recorded fingerprint.
    public init(store: VectorStore, encoder: SentenceEncoder, quantized: Bool = false) throws {
        guard let model = try store.storedModel() else { throw SearchError.noModelRecorded(database: store.path) }
        guard encoder.fingerprint.description == model.fingerprint else {
            throw SearchError.modelChanged(
                database: store.path, modelPath: model.modelPath, recorded: model.fingerprint,
                found: encoder.fingerprint.description)
        }
        self.databasePath = store.path
        self.model = model
        self.encoder = encoder
        queryPrompt = try? encoder.directory.prompts.resolve(prompt: nil, name: nil, role: .query)
        self.store = store
        if try quantized || store.int8Scales() != nil {
            let loaded = try store.loadQuantized()
            matrix = loaded.matrix
            int8Copy = loaded.quantized
            nibbleCopy = quantized ? NibbleMatrix(quantized: loaded.quantized) : nil
        } else {
            matrix = try store.loadMatrix()
            int8Copy = nil
            nibbleCopy = nil
        }
    }

    /// Number of documents searched.
    public var count: Int { matrix.count }

    /// The k documents most similar to `query`, best first.
    public func search(_ query: String, k: Int, threads: Int = 1) throws -> [SearchResult] {
        try search(vector: encoder.encode(ModelPrompts.apply(queryPrompt, to: [query]), batchSize: 1, threads: threads),
                   k: k, threads: threads)
    }

    /// The k documents most similar to a query vector of `dimension` floats, best first.
    public func search(vector: [Float], k: Int, threads: Int = 1) throws -> [SearchResult] {
        precondition(vector.count == matrix.dimension, "query has \(vector.count) values, the store \(matrix.dimension)")
        let hits = vector.withUnsafeBufferPointer { q -> [TopK.Hit] in
            guard let base = q.baseAddress else { return [] }
            if let nibbleCopy {
                return TopK.search(query: base, matrix: matrix, k: k, scan: .nibble(nibbleCopy), threads: threads)
            }
            guard let int8Copy else { return TopK.search(query: base, matrix: matrix, k: k, scan: .exact, threads: threads) }
            return TopK.search(query: base, matrix: matrix, k: k, scan: .exactThroughInt8(int8Copy), threads: threads)
        }
        let ids = hits.map { matrix.ids[$0.index] }
        let documents = Dictionary(try store.documents(ids: ids).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return zip(hits, ids).enumerated().map { rank, pair in
            let document = documents[pair.1]
            return SearchResult(rank: rank + 1, id: pair.1, score: pair.0.score, title: document?.title, text: document?.text ?? "")
        }
    }
}
