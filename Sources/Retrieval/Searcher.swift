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

/// Errors of `Searcher`; each names the database whose recorded model is at fault, or the index file
/// found damaged.
public enum SearchError: Error, Equatable, CustomStringConvertible {
    /// The database has no model recorded (nothing was ever encoded into it).
    case noModelRecorded(database: String)
    /// The recorded model (or adapter) directory cannot be loaded.
    case modelUnavailable(database: String, modelPath: String, reason: String)
    /// The recorded directories now hold another model than the one that wrote the vectors.
    case modelChanged(database: String, modelPath: String, recorded: String, found: String)
    /// A hit read through the store's index file (`path`) does not match the database (`IndexHitCheck`:
    /// why): the file is damaged. Deleting it is safe; the next search writes it again from the database.
    case damagedIndex(path: String, reason: String)

    public var description: String {
        switch self {
        case let .noModelRecorded(database):
            return "\(database): no model recorded; encode documents into it first"
        case let .modelUnavailable(database, modelPath, reason):
            return "\(database): cannot load the model it was encoded with (\(modelPath)): \(reason); if the model moved, "
                + "give its directory with --model (and the adapter's with --adapter)"
        case let .modelChanged(database, modelPath, recorded, found):
            return "\(database): the vectors were encoded with model fingerprint \(recorded), but \(modelPath) "
                + "now gives \(found); give the model it was encoded with by --model (and --adapter), or re-encode the database"
        case let .damagedIndex(path, reason):
            return "\(path): the index file does not match the database (\(reason)); it is damaged: delete it, and the next "
                + "search writes it again from the database"
        }
    }
}

/// Where a `Searcher` takes the store's vectors from.
public enum SearchIndexUse: Sendable {
    /// The store's index file (`VectorIndexFile`) when it is current, else every vector read from SQLite.
    case ifCurrent
    /// As `ifCurrent`, but a missing or stale index file is first written again when the store's
    /// directory can be written (the search after an `encode` that was interrupted, or after another
    /// program changed the store).
    case rebuildIfStale
    /// Every vector read from SQLite.
    case never
}

/// What a `Searcher` did about the store's index file.
public enum SearchIndexOutcome: Sendable, Equatable {
    /// Mapped the current index file.
    case mapped
    /// The index file was missing or stale (why), and was written again.
    case rebuilt(VectorIndexProblem)
    /// Read every vector from SQLite: the index file could not be used (why), nor written.
    case readFromDatabase(VectorIndexProblem?)
}

/// Semantic search over a vector store with the model recorded in it (`embedtune search`).
///
/// Opening loads the recorded model directory (+ adapter, same maximum length, same truncation of
/// the embeddings, so queries are truncated as the stored vectors were) and refuses a model whose
/// fingerprint differs from the one that wrote the vectors (the weights are hashed again unless their
/// files' `WeightsStamp` is the one recorded with the fingerprint). The vectors come from the store's
/// index file, mapped, when it is current (`SearchIndexUse`), else from one read snapshot of SQLite
/// (WAL: an encode may be writing meanwhile).
/// Queries are exact cosine top-k; when an int8 copy is at hand (always with the index file; from
/// SQLite, when the store was quantized), the exact search reads it with proven error bounds
/// (`TopK.Scan.exactThroughInt8`: the same results as the full float32 scan, about a quarter of the
/// memory traffic), otherwise every float32 row (`TopK.Scan.exact`). With `quantized`, a 4-bit copy
/// of the int8 codes (`NibbleMatrix`, an eighth of the float32 bytes) is scanned and its best
/// candidates are rescored in float32 (`TopK.Scan.nibble`: approximate).
/// Hits found through the index file, whose sections are not verified when mapped, are checked against
/// the database before use (`IndexHitCheck`; `SearchError.damagedIndex`).
public final class Searcher: @unchecked Sendable {
    public let databasePath: String
    public let model: StoreModelInfo
    public let encoder: SentenceEncoder
    /// (count, dimension) every stored vector, row order = rowid order.
    public let matrix: VectorMatrix
    /// The int8 copy, when at hand.
    public let int8Copy: QuantizedMatrix?
    /// The 4-bit copy of `int8Copy`, when opened `quantized`.
    public let nibbleCopy: NibbleMatrix?
    /// True when opened `quantized`: approximate search through the 4-bit copy with float32 rescoring.
    public var isQuantized: Bool { nibbleCopy != nil }
    /// Where the vectors came from.
    public let indexOutcome: SearchIndexOutcome
    /// The store's generation read just before its index file was mapped (or written and mapped); nil
    /// when the vectors came from SQLite. Set, every vector hit is checked (`checkIndexHits`).
    let indexGeneration: StoreGeneration?
    /// Prepended to every query text: by default the model's query prompt (`ModelPrompts`, role query),
    /// nil for models without prompts.
    public var queryPrompt: String?
    let store: VectorStore

    /// Opens the store at `databasePath` with the model that wrote it: `model` when given (`--model`,
    /// `--adapter`), else the recorded directories, else those recorded relative to the database (a
    /// database moved together with its model). The first that loads with the recorded fingerprint wins.
    public convenience init(
        databasePath: String, quantized: Bool = false, model override: StoreModelLocation? = nil,
        index: SearchIndexUse = .rebuildIfStale
    ) throws {
        let store = try VectorStore(path: databasePath, readOnly: true)
        guard let model = try store.storedModel() else { throw SearchError.noModelRecorded(database: databasePath) }
        let candidates = try override.map { [$0] } ?? store.modelLocations()
        let recordedStamp = try store.weightsStamp()
        var failure: SearchError?
        for location in candidates {
            let encoder: SentenceEncoder
            do {
                encoder = try SentenceEncoder(
                    modelDirectory: URL(fileURLWithPath: location.modelPath),
                    adapterDirectory: location.adapterPath.map { URL(fileURLWithPath: $0) }, maxLength: model.maxLength,
                    dimensions: model.truncation, precision: ModelFingerprint.precision(in: model.fingerprint))
            } catch {
                if failure == nil {
                    failure = .modelUnavailable(database: databasePath, modelPath: location.modelPath, reason: String(describing: error))
                }
                continue
            }
            let found = Self.fingerprint(of: encoder, recorded: model.fingerprint, stamp: recordedStamp)
            guard found == model.fingerprint else {
                if failure == nil || override != nil {
                    failure = .modelChanged(
                        database: databasePath, modelPath: location.modelPath, recorded: model.fingerprint, found: found)
                }
                continue
            }
            try self.init(store: store, encoder: encoder, quantized: quantized, index: index, verified: true)
            return
        }
        throw failure ?? SearchError.noModelRecorded(database: databasePath)
    }

    /// Searches `store` with `encoder`, which must have the recorded fingerprint.
    public convenience init(
        store: VectorStore, encoder: SentenceEncoder, quantized: Bool = false, index: SearchIndexUse = .ifCurrent
    ) throws {
        try self.init(store: store, encoder: encoder, quantized: quantized, index: index, verified: false)
    }

    /// `verified`: the caller checked that `encoder` gives the recorded fingerprint.
    init(store: VectorStore, encoder: SentenceEncoder, quantized: Bool, index: SearchIndexUse, verified: Bool) throws {
        guard let model = try store.storedModel() else { throw SearchError.noModelRecorded(database: store.path) }
        if !verified {
            let found = encoder.fingerprint.description
            guard found == model.fingerprint else {
                throw SearchError.modelChanged(
                    database: store.path, modelPath: model.modelPath, recorded: model.fingerprint, found: found)
            }
        }
        self.databasePath = store.path
        self.model = model
        self.encoder = encoder
        queryPrompt = try? encoder.directory.prompts.resolve(prompt: nil, name: nil, role: .query)
        self.store = store
        // Read before mapping: a change of the store in between then counts as a change, never as damage.
        let before = try index == .never ? nil : store.generation()
        let vectors = try SearchVectors.load(store: store, quantized: quantized, use: index)
        matrix = vectors.matrix
        int8Copy = vectors.int8Copy
        nibbleCopy = vectors.nibbleCopy
        indexOutcome = vectors.outcome
        if case .readFromDatabase = vectors.outcome {
            indexGeneration = nil
        } else {
            // A store without identity gets one when its index file is written (`.rebuilt`).
            indexGeneration = try before ?? store.generation()
        }
    }

    /// The fingerprint of `encoder`'s weights as the store should see it: when its weight files'
    /// stamp, taken before they were read, equals `stamp` (recorded with the fingerprint `recorded`),
    /// the recorded weights hash with this encoder's pooling, normalisation, length and truncation;
    /// otherwise the encoder's own, hashed.
    static func fingerprint(of encoder: SentenceEncoder, recorded: String, stamp: String?) -> String {
        if let stamp, encoder.weightsStamp == stamp, let hash = ModelFingerprint.weightsHash(in: recorded) {
            return encoder.fingerprint(weightsHash: hash).description
        }
        return encoder.fingerprint.description
    }

    /// True when a search may write the index file of the database at `path` again, as
    /// `SearchIndexUse.rebuildIfStale` does: the database and its directory are writable.
    public static func mayWriteIndex(ofDatabase path: String) -> Bool {
        SearchVectors.mayWriteIndex(ofDatabase: path)
    }

    /// Number of documents searched.
    public var count: Int { matrix.count }

    /// The k best documents for `query`, best first: by cosine similarity of the embeddings
    /// (`.vector`), by BM25 over title and text (`.lexical`, the store's FTS5 index), or by
    /// reciprocal rank fusion of the two (`.hybrid`, each list `SearchMode.candidates(k:)` deep). The
    /// score is the cosine, the BM25 score or the fused score.
    public func search(_ query: String, k: Int, threads: Int = 1, mode: SearchMode = .vector) throws -> [SearchResult] {
        try search(query, vector: mode == .lexical ? nil : try embed(query, threads: threads), k: k, threads: threads, mode: mode)
    }

    /// `search(_:k:threads:mode:)` with the query's embedding already computed (nil for `.lexical`).
    public func search(_ query: String, vector: [Float]?, k: Int, threads: Int = 1, mode: SearchMode) throws -> [SearchResult] {
        switch mode {
        case .vector:
            return try search(vector: vector ?? embed(query, threads: threads), k: k, threads: threads)
        case .lexical:
            return try results(try store.lexicalSearch(query, k: k).map { ($0.id, Float($0.score)) })
        case .hybrid(let fusion, let depth):
            let deep = depth ?? SearchMode.candidates(k: k)
            let semantic = try vectorHits(vector ?? embed(query, threads: threads), k: deep, threads: threads)
            let lexical = try store.lexicalSearch(query, k: deep).map(\.id)
            let fused = fusion.fuse([semantic.hits.map(\.id), lexical]).prefix(k).map { ($0.key, Float($0.score)) }
            return try results(fused, read: semantic.documents)
        }
    }

    /// The query's embedding, with the query prompt.
    func embed(_ query: String, threads: Int) throws -> [Float] {
        try encoder.encode(ModelPrompts.apply(queryPrompt, to: [query]), batchSize: 1, threads: threads)
    }

    /// The k documents most similar to a query vector of `dimension` floats, best first.
    public func search(vector: [Float], k: Int, threads: Int = 1) throws -> [SearchResult] {
        let found = try vectorHits(vector, k: k, threads: threads)
        return try results(found.hits, read: found.documents)
    }

    /// (id, cosine) of the k rows most similar to `vector`, best first; checked against the database
    /// when read through the index file (`checkIndexHits`), with the documents that check read.
    func vectorHits(_ vector: [Float], k: Int, threads: Int) throws
        -> (hits: [(id: String, score: Float)], documents: [StoredDocument])
    {
        let hits = vectorRows(vector, k: k, threads: threads).map { (id: matrix.ids[$0.index], score: $0.score) }
        return (hits, try checkIndexHits(hits, query: vector))
    }

    /// Throws `SearchError.damagedIndex` when `hits` (id, cosine; found for `query`, from this store's
    /// rows) came through the index file and do not match the database (`IndexHitCheck`). Costs one
    /// read of the hits' rows from SQLite; nothing when the vectors came from SQLite. A mismatch after
    /// the store changed since this searcher opened is that change's doing — the hits are those of the
    /// snapshot searched, as without an index file — not damage. Returns the documents read (none
    /// when nothing was checked), for `results(_:read:)`.
    func checkIndexHits(_ hits: [(id: String, score: Float)], query: [Float]) throws -> [StoredDocument] {
        guard let indexGeneration, !hits.isEmpty else { return [] }
        let documents = try store.documents(ids: hits.map(\.id))
        guard let reason = IndexHitCheck.mismatch(hits: hits, query: query, documents: documents),
            try store.generation() == indexGeneration
        else { return documents }
        throw SearchError.damagedIndex(path: store.indexPath, reason: reason)
    }

    /// (row, cosine) of the k rows most similar to `vector`, best first, ties by row.
    func vectorRows(_ vector: [Float], k: Int, threads: Int) -> [TopK.Hit] {
        precondition(vector.count == matrix.dimension, "query has \(vector.count) values, the store \(matrix.dimension)")
        return vector.withUnsafeBufferPointer { q -> [TopK.Hit] in
            guard let base = q.baseAddress else { return [] }
            if let nibbleCopy {
                return TopK.search(query: base, matrix: matrix, k: k, scan: .nibble(nibbleCopy), threads: threads)
            }
            guard let int8Copy else { return TopK.search(query: base, matrix: matrix, k: k, scan: .exact, threads: threads) }
            return TopK.search(query: base, matrix: matrix, k: k, scan: .exactThroughInt8(int8Copy), threads: threads)
        }
    }

    /// The stored documents of ranked (id, score) hits; those in `read` (already read from this store)
    /// are not read again.
    func results(_ hits: [(id: String, score: Float)], read: [StoredDocument] = []) throws -> [SearchResult] {
        var documents = Dictionary(read.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = hits.map(\.id).filter { documents[$0] == nil }
        if !missing.isEmpty {
            for document in try store.documents(ids: missing) where documents[document.id] == nil {
                documents[document.id] = document
            }
        }
        return hits.enumerated().map { rank, hit in
            let document = documents[hit.id]
            return SearchResult(rank: rank + 1, id: hit.id, score: hit.score, title: document?.title, text: document?.text ?? "")
        }
    }
}
