import GRDB

/// The vector store's schema as named GRDB migrations (applied in order, each once).
///
/// - `documents`: a rowid table, so an upsert (`ON CONFLICT DO UPDATE`) keeps a document's rowid
///   and `ORDER BY rowid` gives a stable row order for the in-memory matrix.
/// - `meta`: key/value text: schema_version, model_fingerprint, dimension, model_path, adapter_path,
///   max_length, pooling, normalize, and truncate_dim (sentence-transformers' name) only when the
///   vectors are truncated embeddings — a store of full embeddings has no such key — and document_prompt
///   only when documents were embedded with a prompt.
/// - `int8_scales`: one row, the per-dimension scales of `embedding_int8` as little-endian float32.
enum StoreSchema {
    static let version = 1

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-documents") { db in
            try db.execute(sql: """
                CREATE TABLE documents (
                    id TEXT PRIMARY KEY NOT NULL,
                    title TEXT,
                    text TEXT NOT NULL,
                    content_hash TEXT NOT NULL,
                    embedding BLOB NOT NULL,   -- dimension x little-endian float32 (sqlite-vec layout)
                    embedding_int8 BLOB        -- dimension x int8 codes, see int8_scales; NULL until quantized
                )
                """)
        }
        migrator.registerMigration("v1-meta") { db in
            try db.execute(sql: "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT)")
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('schema_version', ?)", arguments: [String(version)])
        }
        migrator.registerMigration("v1-int8-scales") { db in
            try db.execute(sql: """
                CREATE TABLE int8_scales (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    scales BLOB NOT NULL       -- dimension x little-endian float32
                )
                """)
        }
        return migrator
    }

    enum Key {
        static let schemaVersion = "schema_version"
        static let fingerprint = "model_fingerprint"
        static let dimension = "dimension"
        static let modelPath = "model_path"
        static let adapterPath = "adapter_path"
        /// model_path and adapter_path relative to the database's directory (`StoreModelLocation`).
        static let modelPathRelative = "model_path_relative"
        static let adapterPathRelative = "adapter_path_relative"
        static let maxLength = "max_length"
        static let pooling = "pooling"
        static let normalize = "normalize"
        static let truncation = "truncate_dim"
        /// Present only when documents were embedded with a prompt.
        static let documentPrompt = "document_prompt"
        /// The stamp of the weight files the fingerprint was computed from (`VectorStore.weightsStamp()`).
        static let weightsStamp = "weights_stamp"
    }
}
