import Encoder
import Foundation
import Store

/// Search over several stores (shards) at once with the results of one store: those of the store
/// `StoreMerge` makes of the same shards in the same order (`embedtune search --db A --db B ...`,
/// `serve --db ... --db ...`). One shard is searched by its `Searcher` unchanged.
///
/// What "the same" means, mode by mode — the merged store's rows are the shards' rows in order, an
/// id repeated in a later shard left out, so its ties (equal scores rank the lower row first) rank
/// by (shard, row):
/// - vector, exact: each shard's exact top k (`Searcher`), merged by (cosine, shard, row), the first
///   k distinct ids (`ShardedTopK.merge`). Same ids, order and scores, bit for bit.
/// - vector, `quantized`: the 4-bit pass must see the merged store's 4-bit copy, whose int8 scales
///   and steps depend on every row; each shard's copy is made with those global values at open
///   (`NibbleMatrix.shared`: one pass over every vector, instead of mapping each shard's own copy),
///   then the candidates of all shards are merged and rescored as one (`ShardedTopK.searchNibble`).
/// - lexical: FTS5's BM25 depends on collection statistics; each shard scores its rows with the
///   statistics of all shards together (`LexicalStatistics`, `embedtune_bm25`), so scores are the
///   merged store's bm25() values, merged by (score, shard, rowid).
/// - hybrid: the fusion of the vector and lexical lists above.
/// Rows whose id an earlier shard holds (never the case for shards of one input: `encode` refuses a
/// repeated id) are found at first need, and left out of the statistics and the 4-bit histogram.
public final class ShardedSearcher: @unchecked Sendable {
    /// One `Searcher` per store, in the order given.
    public let shards: [Searcher]
    public var encoder: SentenceEncoder { shards[0].encoder }
    public var model: StoreModelInfo { shards[0].model }
    /// True when searching approximately through the 4-bit copies.
    public let isQuantized: Bool
    /// Prepended to every query text (see `Searcher.queryPrompt`).
    public var queryPrompt: String? {
        get { shards[0].queryPrompt }
        set { shards[0].queryPrompt = newValue }
    }
    /// The shards' 4-bit copies made with the merged store's scales and steps (quantized, 2+ shards).
    private let sharedNibbles: [NibbleMatrix]?
    private let repeats: RepeatedRows

    /// Opens every store with the model recorded in the first (`Searcher(databasePath:...)`); every
    /// other must record the same model (`StoreError.shardModelMismatch` naming both files).
    public convenience init(
        databasePaths: [String], quantized: Bool = false, model override: StoreModelLocation? = nil,
        index: SearchIndexUse = .rebuildIfStale
    ) throws {
        precondition(!databasePaths.isEmpty, "a search needs a store")
        let single = databasePaths.count == 1
        let first = try Searcher(databasePath: databasePaths[0], quantized: quantized && single, model: override, index: index)
        let others = try databasePaths.dropFirst().map { path in
            let store = try VectorStore(path: path, readOnly: true)
            guard let model = try store.storedModel() else { throw SearchError.noModelRecorded(database: path) }
            try ShardedSearcher.checkSameModel(model, path: path, as: first)
            return try Searcher(store: store, encoder: first.encoder, quantized: false, index: index, verified: true)
        }
        try self.init(shards: [first] + others, quantized: quantized)
    }

    /// Searches `shards` as one. With one shard, that searcher as it is; with several, they must record
    /// one model, and are to be opened without `quantized` (this makes the shared 4-bit copies).
    public init(shards: [Searcher], quantized: Bool) throws {
        precondition(!shards.isEmpty, "a search needs a store")
        for shard in shards.dropFirst() { try ShardedSearcher.checkSameModel(shard.model, path: shard.databasePath, as: shards[0]) }
        self.shards = shards
        repeats = RepeatedRows(shards)
        isQuantized = shards.count == 1 ? shards[0].isQuantized : quantized
        if quantized && shards.count > 1 {
            sharedNibbles = NibbleMatrix.shared(parts: shards.map(\.matrix), excluded: repeats.rows)
        } else {
            sharedNibbles = nil
        }
    }

    /// One store's searcher, searched as it is.
    public init(single searcher: Searcher) {
        shards = [searcher]
        repeats = RepeatedRows([searcher])
        isQuantized = searcher.isQuantized
        sharedNibbles = nil
    }

    static func checkSameModel(_ model: StoreModelInfo, path: String, as first: Searcher) throws {
        let reference = first.model
        guard model.fingerprint != reference.fingerprint || model.dimension != reference.dimension
            || model.documentPrompt != reference.documentPrompt || model.truncation != reference.truncation
        else { return }
        throw StoreError.shardModelMismatch(
            path: path, model: StoreMerge.describe(model), firstPath: first.databasePath, firstModel: StoreMerge.describe(reference))
    }

    /// Documents searched (each shard's rows; a repeated id counted in each).
    public var count: Int { shards.reduce(0) { $0 + $1.count } }

    /// The k best documents for `query`, as `Searcher.search(_:k:threads:mode:)` over the merged store.
    public func search(_ query: String, k: Int, threads: Int = 1, mode: SearchMode = .vector) throws -> [SearchResult] {
        try search(query, vector: mode == .lexical ? nil : try shards[0].embed(query, threads: threads), k: k, threads: threads, mode: mode)
    }

    /// As `Searcher.search(_:vector:k:threads:mode:)` over the merged store.
    public func search(_ query: String, vector: [Float]?, k: Int, threads: Int = 1, mode: SearchMode) throws -> [SearchResult] {
        if shards.count == 1 { return try shards[0].search(query, vector: vector, k: k, threads: threads, mode: mode) }
        switch mode {
        case .vector:
            let found = try vectorHits(vector ?? shards[0].embed(query, threads: threads), k: k, threads: threads)
            return try results(found.hits, read: found.documents)
        case .lexical:
            return try results(lexicalHits(query, k: k).map { ($0.part, $0.id, Float($0.score)) })
        case .hybrid(let fusion, let depth):
            let deep = depth ?? SearchMode.candidates(k: k)
            let semantic = try vectorHits(vector ?? shards[0].embed(query, threads: threads), k: deep, threads: threads)
            let lexical = try lexicalHits(query, k: deep)
            var holder: [String: Int] = [:]
            for hit in semantic.hits { holder[hit.id] = hit.part }
            for hit in lexical where holder[hit.id] == nil { holder[hit.id] = hit.part }
            let fused = fusion.fuse([semantic.hits.map(\.id), lexical.map(\.id)]).prefix(k)
            return try results(fused.map { (holder[$0.key] ?? 0, $0.key, Float($0.score)) }, read: semantic.documents)
        }
    }

    /// The k documents most similar to a query vector, as `Searcher.search(vector:k:threads:)` over the merged store.
    public func search(vector: [Float], k: Int, threads: Int = 1) throws -> [SearchResult] {
        if shards.count == 1 { return try shards[0].search(vector: vector, k: k, threads: threads) }
        let found = try vectorHits(vector, k: k, threads: threads)
        return try results(found.hits, read: found.documents)
    }

    /// (shard, id, cosine) of the k best rows, best first; each shard's hits checked against its
    /// database when read through its index file (`Searcher.checkIndexHits`), with the documents
    /// that check read, by shard.
    func vectorHits(_ vector: [Float], k: Int, threads: Int) throws
        -> (hits: [(part: Int, id: String, score: Float)], documents: [Int: [StoredDocument]])
    {
        let hits: [(part: Int, row: Int, score: Float)]
        if let sharedNibbles {
            let parts = zip(shards, sharedNibbles).map { (matrix: $0.matrix, nibbles: $1) }
            hits = ShardedTopK.searchNibble(query: vector, parts: parts, total: repeats.distinctCount, k: k, threads: threads)
                .map { (part: $0.part, row: $0.row, score: $0.score) }
        } else {
            let lists = shards.map { shard in shard.vectorRows(vector, k: k, threads: threads).map { (row: $0.index, score: $0.score) } }
            hits = ShardedTopK.merge(lists, k: k) { shards[$0].matrix.ids[$1] }
        }
        let named = hits.map { (part: $0.part, id: shards[$0.part].matrix.ids[$0.row], score: $0.score) }
        var read: [Int: [StoredDocument]] = [:]
        for (part, shard) in shards.enumerated() {
            read[part] = try shard.checkIndexHits(named.filter { $0.part == part }.map { (id: $0.id, score: $0.score) }, query: vector)
        }
        return (named, read)
    }

    /// (shard, id, BM25) of the k best documents by the merged store's bm25(), best first.
    func lexicalHits(_ query: String, k: Int) throws -> [(part: Int, id: String, score: Double)] {
        let statistics = try shards.map { try $0.store.lexicalStatistics(query) }
        guard var total = statistics.first ?? nil else { return [] }
        for more in statistics.dropFirst() { if let more { total = total + more } }
        for (part, rowids) in try repeats.rowids().enumerated() where !rowids.isEmpty {
            if let repeated = try shards[part].store.lexicalStatistics(query, rows: rowids) { total = total - repeated }
        }
        let lists = try shards.map { try $0.store.lexicalSearch(query, k: k, statistics: total) }
        let ids = lists.map { Dictionary($0.map { (Int($0.rowid), $0.id) }, uniquingKeysWith: { a, _ in a }) }
        return ShardedTopK.merge(lists.map { $0.map { (row: Int($0.rowid), score: $0.score) } }, k: k) { ids[$0][$1] ?? "" }
            .map { (part: $0.part, id: ids[$0.part][$0.row] ?? "", score: $0.score) }
    }

    /// The stored documents of ranked hits, each read from its shard; those in `read` (by shard,
    /// already read) are not read again.
    func results(_ hits: [(part: Int, id: String, score: Float)], read: [Int: [StoredDocument]] = [:]) throws -> [SearchResult] {
        var documents: [String: StoredDocument] = [:]
        for part in Set(hits.map(\.part)) {
            var known = Dictionary((read[part] ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let missing = hits.filter { $0.part == part && known[$0.id] == nil }.map(\.id)
            if !missing.isEmpty {
                for document in try shards[part].store.documents(ids: missing) { known[document.id] = document }
            }
            for hit in hits where hit.part == part { if let document = known[hit.id] { documents[hit.id] = document } }
        }
        return hits.enumerated().map { rank, hit in
            let document = documents[hit.id]
            return SearchResult(rank: rank + 1, id: hit.id, score: hit.score, title: document?.title, text: document?.text ?? "")
        }
    }
}
