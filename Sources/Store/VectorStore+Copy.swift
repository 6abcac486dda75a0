import Foundation
import GRDB

/// One `documents` row as stored: the columns `StoreMerge` copies, the vector's bytes untouched.
struct StoredRow: Sendable {
    var rowid: Int64
    var id: String
    var title: String?
    var text: String
    var contentHash: String
    /// (dimension) little-endian float32 values (`VectorBlob`), as read.
    var embedding: Data

    /// True when `other` holds the same document: id, title, text, hash and vector bytes.
    func sameContent(as other: StoredRow) -> Bool {
        id == other.id && title == other.title && text == other.text && contentHash == other.contentHash
            && embedding == other.embedding
    }
}

/// What `insertCopies` did with one batch.
enum CopyOutcome: Equatable {
    /// `inserted` rows were new; `present` were stored already with the same content.
    case copied(inserted: Int, present: Int)
    /// The store holds this id with other content; nothing of the batch was written.
    case conflict(id: String)
}

/// Reading rows as stored and inserting them into another store (`StoreMerge`).
extension VectorStore {
    /// Up to `limit` rows with rowid > `rowid`, in rowid order, from one read snapshot. A vector whose
    /// byte length is not the recorded dimension's throws `corruptVector` naming the row and this file.
    func rows(after rowid: Int64, limit: Int) throws -> [StoredRow] {
        try guarded {
            try pool.read { db in
                let bytes = try VectorStore.dimension(db, path: path) * 4
                let cursor = try Row.fetchCursor(
                    db, sql: "SELECT rowid, id, title, text, content_hash, embedding FROM documents WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    arguments: [rowid, limit])
                var rows: [StoredRow] = []
                while let row = try cursor.next() {
                    let copy = StoredRow(rowid: row[0], id: row[1], title: row[2], text: row[3], contentHash: row[4], embedding: row[5])
                    guard copy.embedding.count == bytes else {
                        throw StoreError.corruptVector(id: copy.id, column: "embedding", bytes: copy.embedding.count, path: path)
                    }
                    rows.append(copy)
                }
                return rows
            }
        }
    }

    /// The stored row of each of `ids` that is present.
    func storedRows(ids: [String]) throws -> [String: StoredRow] {
        try guarded { try pool.read { db in try VectorStore.storedRows(db, ids: ids) } }
    }

    static func storedRows(_ db: Database, ids: [String]) throws -> [String: StoredRow] {
        var found: [String: StoredRow] = [:]
        for start in Swift.stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<Swift.min(ids.count, start + 500)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT rowid, id, title, text, content_hash, embedding FROM documents WHERE id IN (\(marks))",
                arguments: StatementArguments(chunk))
            while let row = try cursor.next() {
                let stored = StoredRow(rowid: row[0], id: row[1], title: row[2], text: row[3], contentHash: row[4], embedding: row[5])
                found[stored.id] = stored
            }
        }
        return found
    }

    /// In one transaction: inserts the rows of `batch` whose ids are not stored (in `batch` order, so
    /// they take increasing rowids), skips those stored with the same content, and — when an id is
    /// stored with other content — writes nothing and returns that id. The vector bytes are written as
    /// read; the int8 codes are left NULL (`quantize()` writes them); the lexical index follows by trigger.
    func insertCopies(_ batch: [StoredRow]) throws -> CopyOutcome {
        try guarded {
            try pool.write { db in
                let stored = try VectorStore.storedRows(db, ids: batch.map(\.id))
                for row in batch {
                    if let old = stored[row.id], !old.sameContent(as: row) { return .conflict(id: row.id) }
                }
                let insert = try db.cachedStatement(sql: """
                    INSERT INTO documents(id, title, text, content_hash, embedding, embedding_int8) VALUES (?, ?, ?, ?, ?, NULL)
                    """)
                var inserted = 0
                for row in batch where stored[row.id] == nil {
                    try insert.execute(arguments: [row.id, row.title, row.text, row.contentHash, row.embedding])
                    inserted += 1
                }
                return .copied(inserted: inserted, present: batch.count - inserted)
            }
        }
    }
}
