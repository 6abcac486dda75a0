import Foundation
import GRDB

/// The SQLite file that holds documents and their vectors; the one owner of its GRDB `DatabasePool`.
///
/// The pool runs in WAL mode: readers (`loadMatrix`, `documents`) see the last committed snapshot
/// while a writer (`upsert`) commits batches beside them. Every write method is one transaction.
/// Schema: `StoreSchema`. Vectors of one model only: `bind(model:)` records the model's fingerprint
/// and refuses another.
public final class VectorStore: Sendable {
    public let path: String
    /// A `DatabasePool` (WAL), or for a read-only store in a directory we cannot write to, an immutable
    /// `DatabaseQueue` (SQLite cannot create the WAL index file there; nobody can be writing either).
    let pool: any DatabaseWriter

    /// Opens (and, when writable, creates and migrates) the store at `path`.
    /// A read-only open requires a store already migrated to this version.
    public convenience init(path: String, readOnly: Bool = false) throws {
        try self.init(path: path, readOnly: readOnly, immutable: readOnly && Self.cannotWriteBeside(path))
    }

    /// `immutable` (read-only stores only): open through SQLite's `immutable=1` URI, which needs no WAL
    /// files — chosen when they cannot be created beside the store.
    init(path: String, readOnly: Bool, immutable: Bool) throws {
        self.path = path
        // Said plainly before SQLite says "unable to open database file" or "disk I/O error".
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue {
            throw StoreError.cannotOpen(path: path, reason: "a directory, not a vector store file")
        }
        if readOnly && !exists { throw StoreError.cannotOpen(path: path, reason: "no such file") }
        if exists && access(path, readOnly ? R_OK : R_OK | W_OK) != 0 {
            throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        var config = Configuration()
        config.readonly = readOnly
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in ShardBM25.register(db) }  // sharded lexical search
        do {
            if !readOnly && FileManager.default.fileExists(atPath: path) {
                // Before the pool switches the file to WAL mode (a write): refuse another program's database.
                var probe = Configuration()
                probe.readonly = true
                let queue = try DatabaseQueue(path: path, configuration: probe)
                try queue.read { db in try VectorStore.checkOwnSchema(db, path: path) }
                try queue.close()
            }
            if readOnly && immutable {
                guard let uri = Self.immutableURI(path) else {
                    throw StoreError.cannotOpen(path: path, reason: "the path cannot be written as an SQLite URI")
                }
                pool = try DatabaseQueue(path: uri, configuration: config)
            } else {
                pool = try DatabasePool(path: path, configuration: config)
            }
            let migrator = StoreSchema.migrator
            if readOnly {
                try pool.read { db in
                    if try migrator.hasBeenSuperseded(db) {
                        throw StoreError.cannotOpen(path: path, reason: "written by a newer schema than this program knows")
                    }
                    if try !migrator.hasCompletedMigrations(db) {
                        throw StoreError.cannotOpen(path: path, reason: "not an embedtune vector store of this version")
                    }
                }
            } else {
                try pool.read { db in try VectorStore.checkOwnSchema(db, path: path) }
                try migrator.migrate(pool)
                try pool.write { db in
                    try LexicalIndex.ensure(db)
                    try StoreGeneration.ensure(db)
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path: path, reason: String(describing: error))
        }
    }

    /// True when this process cannot create files beside `path` and the store has no WAL file there: SQLite
    /// could then not open it in WAL mode, even to read.
    static func cannotWriteBeside(_ path: String) -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        return access(directory.isEmpty ? "." : directory, W_OK) != 0 && !FileManager.default.fileExists(atPath: path + "-wal")
            && FileManager.default.fileExists(atPath: path)
    }

    /// The SQLite URI that opens `path` immutable (`file:/abs/path?immutable=1`, percent-escaped).
    static func immutableURI(_ path: String) -> String? {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "%?#")
        guard let escaped = absolute.addingPercentEncoding(withAllowedCharacters: allowed) else { return nil }
        return "file:" + escaped + "?immutable=1"
    }

    /// An empty database or one holding this schema's tables passes; any other SQLite database (tables
    /// of another program) is refused before anything is written to it.
    static func checkOwnSchema(_ db: Database, path: String) throws {
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        guard !tables.isEmpty else { return }
        let ours: Set<String> = ["grdb_migrations", "documents", "meta", "int8_scales"]
        // The lexical index: the FTS5 table and its shadow tables (documents_fts_data, _idx, _docsize, _config).
        let foreign = tables.filter { !ours.contains($0) && $0 != LexicalIndex.table && !$0.hasPrefix(LexicalIndex.table + "_") }
        if !tables.contains("grdb_migrations") || !foreign.isEmpty {
            let shown = (foreign.isEmpty ? tables : foreign).sorted().prefix(5).joined(separator: ", ")
            throw StoreError.cannotOpen(
                path: path, reason: "is an SQLite database of another program (tables \(shown)); "
                    + "give a new file or an embedtune store")
        }
    }

    /// Runs `body`, turning SQLite errors into `StoreError.database` naming this file.
    func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw StoreError.database(path: path, reason: String(describing: error))
        }
    }

    // MARK: - model

    /// Records `model` the first time. Later calls: an equal fingerprint is accepted (and the model
    /// and adapter paths are updated, so a moved model directory can be recorded); a different one
    /// throws `StoreError.fingerprintMismatch`.
    public func bind(model: StoreModelInfo) throws {
        try guarded {
            try pool.write { db in
                if let stored = try VectorStore.readModel(db, path: path) {
                    try StoreError.checkSameModel(stored: stored, given: model, path: path)
                    try VectorStore.setMeta(db, StoreSchema.Key.modelPath, model.modelPath)
                    try VectorStore.setMeta(db, StoreSchema.Key.adapterPath, model.adapterPath)
                    try VectorStore.setRelativePaths(db, model, databasePath: path)
                    return
                }
                typealias K = StoreSchema.Key
                try VectorStore.setMeta(db, K.fingerprint, model.fingerprint)
                try VectorStore.setMeta(db, K.dimension, String(model.dimension))
                try VectorStore.setMeta(db, K.modelPath, model.modelPath)
                try VectorStore.setMeta(db, K.adapterPath, model.adapterPath)
                try VectorStore.setRelativePaths(db, model, databasePath: path)
                try VectorStore.setMeta(db, K.maxLength, String(model.maxLength))
                try VectorStore.setMeta(db, K.pooling, model.pooling)
                try VectorStore.setMeta(db, K.normalize, model.normalize ? "true" : "false")
                if let truncation = model.truncation { try VectorStore.setMeta(db, K.truncation, String(truncation)) }
                if let prompt = model.documentPrompt { try VectorStore.setMeta(db, K.documentPrompt, prompt) }
            }
        }
    }

    /// The model recorded by `bind`, or nil for a new store.
    public func storedModel() throws -> StoreModelInfo? {
        try guarded { try pool.read { db in try VectorStore.readModel(db, path: path) } }
    }

    static func setMeta(_ db: Database, _ key: String, _ value: String?) throws {
        try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       arguments: [key, value])
    }

    static func readModel(_ db: Database, path: String) throws -> StoreModelInfo? {
        var meta: [String: String?] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM meta") { meta[row[0]] = row[1] as String? }
        typealias K = StoreSchema.Key
        guard let fingerprintValue = meta[K.fingerprint], let fingerprint = fingerprintValue else { return nil }
        func text(_ key: String) throws -> String {
            guard let v = meta[key], let v else { throw StoreError.corruptMeta(key: key, value: nil, path: path) }
            return v
        }
        func int(_ key: String) throws -> Int {
            let v = try text(key)
            guard let i = Int(v), i > 0 else { throw StoreError.corruptMeta(key: key, value: v, path: path) }
            return i
        }
        let normalize = try text(K.normalize)
        guard normalize == "true" || normalize == "false" else {
            throw StoreError.corruptMeta(key: K.normalize, value: normalize, path: path)
        }
        // Absent in stores of full embeddings (and in every store written before truncation existed).
        let truncation: Int? = try meta[K.truncation] == nil ? nil : int(K.truncation)
        if let truncation, try truncation != int(K.dimension) {
            throw StoreError.corruptMeta(key: K.truncation, value: String(truncation), path: path)
        }
        if try int(K.maxLength) < 2 {
            throw StoreError.corruptMeta(key: K.maxLength, value: try text(K.maxLength), path: path)
        }
        return StoreModelInfo(
            fingerprint: fingerprint, modelPath: try text(K.modelPath), adapterPath: meta[K.adapterPath] ?? nil,
            dimension: try int(K.dimension), maxLength: try int(K.maxLength), pooling: try text(K.pooling),
            normalize: normalize == "true", truncation: truncation, documentPrompt: meta[K.documentPrompt] ?? nil)
    }

    /// The recorded dimension; `modelNotBound` before `bind`.
    static func dimension(_ db: Database, path: String) throws -> Int {
        guard let model = try readModel(db, path: path) else { throw StoreError.modelNotBound(path: path) }
        return model.dimension
    }

    // MARK: - documents

    /// Content hashes of those `ids` that are stored (for resuming: skip a document whose hash matches).
    public func existingHashes(ids: [String]) throws -> [String: String] {
        try guarded {
            try pool.read { db in
                var out: [String: String] = [:]
                for start in Swift.stride(from: 0, to: ids.count, by: 500) {
                    let chunk = Array(ids[start..<Swift.min(ids.count, start + 500)])
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    let rows = try Row.fetchAll(db, sql: "SELECT id, content_hash FROM documents WHERE id IN (\(marks))",
                                                arguments: StatementArguments(chunk))
                    for row in rows { out[row[0]] = row[1] }
                }
                return out
            }
        }
    }

    /// Inserts or replaces (same id: same rowid, new fields) `docs` in one transaction. When the
    /// store is quantized, each vector's int8 codes are written too (values beyond the stored scale
    /// clamp to ±127; `quantize()` recomputes the scales).
    public func upsert(_ docs: [StoredDocument]) throws {
        try guarded {
            try pool.write { db in
                let dimension = try VectorStore.dimension(db, path: path)
                let scales = try VectorStore.readScales(db, dimension: dimension, path: path)
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO documents(id, title, text, content_hash, embedding, embedding_int8)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET title = excluded.title, text = excluded.text,
                        content_hash = excluded.content_hash, embedding = excluded.embedding,
                        embedding_int8 = excluded.embedding_int8
                    """)
                for doc in docs {
                    guard doc.embedding.count == dimension else {
                        throw StoreError.dimensionMismatch(id: doc.id, expected: dimension, got: doc.embedding.count, path: path)
                    }
                    let codes = scales.map { VectorBlob.encode(int8: QuantizedMatrix.quantize(doc.embedding, scales: $0)) }
                    try statement.execute(arguments: [
                        doc.id, doc.title, doc.text, doc.contentHash, VectorBlob.encode(doc.embedding), codes,
                    ])
                }
            }
        }
    }

    public func count() throws -> Int {
        try guarded { try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents") ?? 0 } }
    }

    /// The stored documents among `ids`, in the order asked (missing ids are left out).
    public func documents(ids: [String]) throws -> [StoredDocument] {
        try guarded {
            try pool.read { db in
                let dimension = try VectorStore.dimension(db, path: path)
                let found = try VectorStore.storedRows(db, ids: ids)
                return try ids.compactMap { id in
                    guard let row = found[id] else { return nil }
                    guard let embedding = VectorBlob.decode(row.embedding, count: dimension) else {
                        throw StoreError.corruptVector(id: id, column: "embedding", bytes: row.embedding.count, path: path)
                    }
                    return StoredDocument(id: id, title: row.title, text: row.text, contentHash: row.contentHash, embedding: embedding)
                }
            }
        }
    }

    /// Every stored document's id, title and text, in rowid order — the order of `loadMatrix()`.
    public func documentsInRowOrder() throws -> [(id: String, title: String?, text: String)] {
        try guarded {
            try pool.read { db in
                var documents: [(id: String, title: String?, text: String)] = []
                let rows = try Row.fetchCursor(db, sql: "SELECT id, title, text FROM documents ORDER BY rowid")
                while let row = try rows.next() { documents.append((row[0], row[1], row[2])) }
                return documents
            }
        }
    }

    /// Deletes the documents with these `ids` (absent ids are ignored) in one transaction; the lexical
    /// index follows by trigger. Returns how many were deleted.
    @discardableResult
    public func delete(ids: [String]) throws -> Int {
        try guarded {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: "DELETE FROM documents WHERE id = ?")
                var deleted = 0
                for id in ids {
                    try statement.execute(arguments: [id])
                    deleted += db.changesCount
                }
                return deleted
            }
        }
    }

    /// Deletes, in one transaction, every document whose id is not in `keep`; returns the ids deleted.
    @discardableResult
    public func deleteAll(except keep: Set<String>) throws -> [String] {
        try guarded {
            try pool.write { db in
                let absent = try String.fetchAll(db, sql: "SELECT id FROM documents ORDER BY rowid").filter { !keep.contains($0) }
                let statement = try db.cachedStatement(sql: "DELETE FROM documents WHERE id = ?")
                for id in absent { try statement.execute(arguments: [id]) }
                return absent
            }
        }
    }

    /// The k best documents for `query` by BM25 over title and text (`LexicalIndex`): (id, score),
    /// best first. A store without the index throws `StoreError.noLexicalIndex`.
    public func lexicalSearch(_ query: String, k: Int) throws -> [(id: String, score: Double)] {
        try guarded {
            try pool.read { db in
                guard try LexicalIndex.isPresent(db) else { throw StoreError.noLexicalIndex(path: path) }
                let hits = try LexicalIndex.search(db, table: LexicalIndex.table, query: query, k: k)
                let statement = try db.cachedStatement(sql: "SELECT id FROM documents WHERE rowid = ?")
                return try hits.compactMap { hit in
                    try String.fetchOne(statement, arguments: [hit.rowid]).map { (id: $0, score: hit.score) }
                }
            }
        }
    }
}
