/// Errors of the vector store; each names the database file and what is at fault.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The database holds vectors of another model; vectors of two models never mix.
    case fingerprintMismatch(stored: String, given: String, path: String)
    /// The database holds embeddings truncated to another number of dimensions (nil: the full
    /// embeddings, `dimension` values); truncated and full vectors never mix.
    case truncationMismatch(stored: Int?, storedDimension: Int, given: Int?, givenDimension: Int, path: String)
    /// The same model, but documents embedded with another prompt (nil: none).
    case promptMismatch(stored: String?, given: String?, path: String)
    /// A write before `bind(model:)` recorded which model the vectors come from.
    case modelNotBound(path: String)
    /// A vector whose length is not the recorded dimension.
    case dimensionMismatch(id: String, expected: Int, got: Int, path: String)
    /// A stored blob whose byte length does not hold `dimension` values of its element type.
    case corruptVector(id: String, column: String, bytes: Int, path: String)
    /// A `meta` value that cannot be read.
    case corruptMeta(key: String, value: String?, path: String)
    /// int8 search asked for before `quantize()` computed the per-dimension scales.
    case notQuantized(path: String)
    /// Lexical or hybrid search on a store without its FTS5 index (written before it existed, or its
    /// table dropped); a writable open (`encode`) rebuilds it.
    case noLexicalIndex(path: String)
    /// The store's index file (`VectorIndexFile`) could not be written.
    case indexFile(path: String, reason: String)
    /// A shard of `StoreMerge` or a sharded search records another model than the first shard
    /// (`model`, `firstModel`: fingerprint, dimension and prompt as text).
    case shardModelMismatch(path: String, model: String, firstPath: String, firstModel: String)
    /// The document `id` is stored in `path` and `otherPath` with different title, text or vector.
    case conflictingDocument(id: String, path: String, otherPath: String)
    /// The output of `StoreMerge` is one of its shards.
    case mergeIntoShard(path: String)
    /// The file could not be opened or migrated (wraps SQLite's message).
    case cannotOpen(path: String, reason: String)
    /// SQLite refused a statement (wraps its message).
    case database(path: String, reason: String)

    public var description: String {
        switch self {
        case let .fingerprintMismatch(stored, given, path):
            return "\(path): the database holds vectors of model fingerprint \(stored), not \(given); "
                + "vectors of two models never mix — use another --db, or the model it was written with"
        case let .truncationMismatch(stored, storedDimension, given, givenDimension, path):
            func describe(_ truncation: Int?, _ dimension: Int) -> String {
                truncation.map { "\($0) dimensions (--dimensions \($0))" }
                    ?? "the model's full \(dimension) dimensions (no --dimensions)"
            }
            return "\(path): the database holds embeddings of \(describe(stored, storedDimension)), not "
                + "\(describe(given, givenDimension)); truncated and full vectors never mix — use another --db, "
                + "or the --dimensions it was written with"
        case let .promptMismatch(stored, given, path):
            func describe(_ prompt: String?) -> String { prompt.map { "the prompt \"\($0)\"" } ?? "no prompt" }
            return "\(path): the database holds documents embedded with \(describe(stored)), not \(describe(given)); "
                + "vectors made with two prompts never mix — use another --db, or --prompt/--prompt-name as it was written"
        case let .modelNotBound(path):
            return "\(path): no model recorded in meta; bind a model before writing vectors"
        case let .dimensionMismatch(id, expected, got, path):
            return "\(path): document \"\(id)\" has a \(got)-dimensional vector, the database holds \(expected)"
        case let .corruptVector(id, column, bytes, path):
            return "\(path): document \"\(id)\" column \(column) has \(bytes) bytes, not a whole vector"
        case let .corruptMeta(key, value, path):
            return "\(path): meta key \(key) has unreadable value \(value.map { "\"\($0)\"" } ?? "NULL")"
        case let .notQuantized(path):
            return "\(path): no int8 scales stored; quantize the database first"
        case let .noLexicalIndex(path):
            return "\(path): the store has no lexical (FTS5) index; any `embedtune encode --db \(path)` "
                + "run builds it (documents already stored are not encoded again); or search with --mode vector"
        case let .indexFile(path, reason):
            return "\(path): cannot write the index file: \(reason)"
        case let .shardModelMismatch(path, model, firstPath, firstModel):
            return "\(path): its vectors are of model \(model), but \(firstPath) holds model \(firstModel); "
                + "shards of one store must be encoded with one model, truncation, precision and prompt"
        case let .conflictingDocument(id, path, otherPath):
            return "document \"\(id)\" is stored in \(otherPath) and in \(path) with different title, text or vector; "
                + "shards may repeat a document only unchanged — re-encode one of them"
        case let .mergeIntoShard(path):
            return "\(path): the output store is also given as a shard; give a new --db"
        case let .cannotOpen(path, reason):
            return "\(path): cannot open vector store: \(reason)"
        case let .database(path, reason):
            return "\(path): \(reason)"
        }
    }
}

extension StoreError {
    /// Throws unless `given` is the model that wrote the store's vectors: `truncationMismatch` when
    /// the embeddings are truncated differently, `fingerprintMismatch` for any other difference.
    public static func checkSameModel(stored: StoreModelInfo, given: StoreModelInfo, path: String) throws(StoreError) {
        if stored.fingerprint == given.fingerprint && stored.documentPrompt != given.documentPrompt {
            throw .promptMismatch(stored: stored.documentPrompt, given: given.documentPrompt, path: path)
        }
        guard stored.fingerprint != given.fingerprint else { return }
        if stored.truncation != given.truncation {
            throw .truncationMismatch(
                stored: stored.truncation, storedDimension: stored.dimension, given: given.truncation,
                givenDimension: given.dimension, path: path)
        }
        throw .fingerprintMismatch(stored: stored.fingerprint, given: given.fingerprint, path: path)
    }
}
