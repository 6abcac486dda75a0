import Foundation
import GRDB

/// What identifies the exact set of vectors in a store: a random `store_id` chosen once per store, and a
/// `generation` that SQLite triggers replace by a fresh random value on every insert, update or
/// delete of a document and every change of the int8 scales — in the same transaction as the change,
/// whoever makes it (this program, another version of it, the sqlite3 shell). A derived file (the
/// `VectorIndexFile`) records both when it is built from one read snapshot; it describes the store's
/// vectors exactly when both still match. A random generation rather than a counter: two copies of a
/// store that were changed apart never come to look alike.
public struct StoreGeneration: Sendable, Equatable {
    public var storeID: String
    public var generation: String

    static let storeIDKey = "store_id"
    static let generationKey = "generation"
    static let triggers = [
        ("documents_generation_insert", "AFTER INSERT ON documents"),
        ("documents_generation_update", "AFTER UPDATE ON documents"),
        ("documents_generation_delete", "AFTER DELETE ON documents"),
        ("int8_scales_generation_insert", "AFTER INSERT ON int8_scales"),
        ("int8_scales_generation_update", "AFTER UPDATE ON int8_scales"),
        ("int8_scales_generation_delete", "AFTER DELETE ON int8_scales"),
    ]

    /// Creates the two keys and the triggers when absent (stores written before they existed). Called
    /// on every writable open, like `LexicalIndex.ensure`.
    static func ensure(_ db: Database) throws {
        let present = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_generation_%'")
        if try read(db) != nil && Set(present).isSuperset(of: triggers.map(\.0)) { return }
        try db.execute(
            sql: "INSERT OR IGNORE INTO meta(key, value) VALUES (?, lower(hex(randomblob(16))))", arguments: [storeIDKey])
        try db.execute(
            sql: "INSERT OR IGNORE INTO meta(key, value) VALUES (?, lower(hex(randomblob(16))))", arguments: [generationKey])
        for (name, event) in triggers {
            try db.execute(sql: """
                DROP TRIGGER IF EXISTS \(name);
                CREATE TRIGGER \(name) \(event) BEGIN
                    UPDATE meta SET value = lower(hex(randomblob(16))) WHERE key = '\(generationKey)';
                END;
                """)
        }
    }

    /// The store's identity, or nil for a store that has none yet (only a writable open adds it).
    static func read(_ db: Database) throws -> StoreGeneration? {
        let rows = try Row.fetchAll(
            db, sql: "SELECT key, value FROM meta WHERE key IN (?, ?)", arguments: [storeIDKey, generationKey])
        var values: [String: String] = [:]
        for row in rows { if let value = row[1] as String? { values[row[0]] = value } }
        guard let id = values[storeIDKey], let generation = values[generationKey] else { return nil }
        return StoreGeneration(storeID: id, generation: generation)
    }
}
