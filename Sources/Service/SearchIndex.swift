import Encoder
import Foundation
import Retrieval

/// One `/search` hit, as `embedtune search --json` prints it.
public struct SearchHit: Sendable, Equatable {
    public var id: String
    public var score: Float
    public var text: String
}

/// The vectors of one store, loaded once at start, and the store for the hits' texts.
public final class SearchIndex: Sendable {
    public let store: VectorStore
    public let model: StoreModelInfo
    /// (count, dimension) every stored vector, rowid order.
    public let matrix: VectorMatrix

    /// Loads every vector of `store`, whose recorded model must have `fingerprint` (the encoder
    /// that will embed the queries): vectors of two models are never compared.
    public init(store: VectorStore, fingerprint: ModelFingerprint) throws {
        guard let model = try store.storedModel() else { throw ServiceSetupError.noModelRecorded(database: store.path) }
        guard model.fingerprint == fingerprint.description else {
            throw ServiceSetupError.fingerprintMismatch(
                database: store.path, recorded: model.fingerprint, given: fingerprint.description)
        }
        self.store = store
        self.model = model
        matrix = try store.loadMatrix()
    }

    public var count: Int { matrix.count }

    /// The k stored documents most similar to a query vector of `dimension` floats, best first
    /// (exact cosine, `TopK.search`).
    public func search(vector: [Float], k: Int, threads: Int = 1) throws -> [SearchHit] {
        let hits = TopK.search(query: vector, matrix: matrix, k: k, threads: threads)
        let ids = hits.map { matrix.ids[$0.index] }
        let documents = try store.documents(ids: ids)
        let texts = Dictionary(documents.map { ($0.id, $0.text) }, uniquingKeysWith: { first, _ in first })
        return zip(hits, ids).map { hit, id in SearchHit(id: id, score: hit.score, text: texts[id] ?? "") }
    }
}
