import GRDB

/// The store's lexical index: an SQLite FTS5 table over each document's title and text, kept in
/// step with `documents` by triggers (FTS5's external-content pattern), scored by BM25 (`bm25()`).
///
/// Tokenizer `porter unicode61 remove_diacritics 2`: Unicode word splitting, case and diacritics
/// folded, English Porter stemming (close to the Lucene/Elasticsearch English analysis that
/// BEIR's BM25 baseline uses). A query is never passed to FTS5 as syntax: its words become quoted
/// terms joined by OR (`matchExpression`), so `"`, `*`, `NEAR`, `-`, `:` or parentheses in user text
/// are searched as words or ignored, never an error.
public enum LexicalIndex {
    static let table = "documents_fts"
    static let tokenizer = "porter unicode61 remove_diacritics 2"

    /// Creates the FTS table and its triggers when absent (a store written before the index existed,
    /// or one whose table was dropped) and fills it from `documents`. Called on every writable open.
    static func ensure(_ db: Database) throws {
        if try isPresent(db) { return }
        for trigger in ["documents_fts_insert", "documents_fts_delete", "documents_fts_update"] {
            try db.execute(sql: "DROP TRIGGER IF EXISTS \(trigger)")
        }
        try db.execute(sql: """
            CREATE VIRTUAL TABLE \(table) USING fts5(
                title, text, content='documents', content_rowid='rowid', tokenize='\(tokenizer)');
            CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
                INSERT INTO \(table)(rowid, title, text) VALUES (new.rowid, new.title, new.text);
            END;
            CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
                INSERT INTO \(table)(\(table), rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
            END;
            CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, text ON documents BEGIN
                INSERT INTO \(table)(\(table), rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
                INSERT INTO \(table)(rowid, title, text) VALUES (new.rowid, new.title, new.text);
            END;
            INSERT INTO \(table)(\(table)) VALUES ('rebuild');
            """)
    }

    /// True when the store has its FTS table.
    static func isPresent(_ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]) ?? false
    }

    /// The FTS5 MATCH expression of a free-text query: every maximal run of letters, digits and marks
    /// becomes a double-quoted term (a phrase of one word, so no FTS5 operator or column filter can
    /// appear), and the terms are joined by OR, so a document matching any word is a candidate and BM25
    /// ranks them. nil when the query has no word.
    public static func matchExpression(for query: String) -> String? {
        let terms = phrases(of: query)
        return terms.isEmpty ? nil : terms.joined(separator: " OR ")
    }

    /// The phrases of `matchExpression(for:)`, in its order (FTS5's phrase numbering): each word once,
    /// double-quoted.
    static func phrases(of query: String) -> [String] {
        var terms: [String] = []
        var seen = Set<String>()
        var word = ""
        func flush() {
            if !word.isEmpty, seen.insert(word.lowercased()).inserted { terms.append("\"\(word)\"") }
            word = ""
        }
        for scalar in query.unicodeScalars {
            let p = scalar.properties
            if p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark
                || p.generalCategory == .spacingMark || p.generalCategory == .decimalNumber {
                word.unicodeScalars.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return terms
    }

    /// The k best rows of an FTS5 table for `query` by BM25 (title and text weighted equally):
    /// (rowid, score) with score = −bm25 (higher is better), best first, ties by rowid.
    static func search(_ db: Database, table: String, query: String, k: Int) throws -> [(rowid: Int64, score: Double)] {
        guard k > 0, let match = matchExpression(for: query) else { return [] }
        let rows = try Row.fetchAll(
            db, sql: "SELECT rowid, bm25(\(table)) AS s FROM \(table) WHERE \(table) MATCH ? ORDER BY s, rowid LIMIT ?",
            arguments: [match, k])
        return rows.map { (rowid: $0[0], score: -($0[1] as Double)) }
    }
}

/// Lexical (BM25) search over documents held in memory — the lexical side of `eval`, which reads a
/// BEIR corpus rather than a store. Same tokenizer, query escaping and scoring as a store's index.
public final class InMemoryLexicalIndex: @unchecked Sendable {
    private let queue: DatabaseQueue
    private let ids: [String]

    /// Indexes `documents` (row i has rowid i + 1).
    public init(documents: [(id: String, title: String?, text: String)]) throws {
        queue = try DatabaseQueue()
        ids = documents.map(\.id)
        try queue.write { db in
            try db.execute(sql: "CREATE VIRTUAL TABLE docs USING fts5(title, text, tokenize='\(LexicalIndex.tokenizer)')")
            let insert = try db.makeStatement(sql: "INSERT INTO docs(rowid, title, text) VALUES (?, ?, ?)")
            for (i, document) in documents.enumerated() {
                try insert.execute(arguments: [i + 1, document.title, document.text])
            }
        }
    }

    /// The k best documents for `query`: (index into the documents, BM25 score), best first.
    public func search(_ query: String, k: Int) throws -> [(index: Int, score: Double)] {
        try queue.read { db in
            try LexicalIndex.search(db, table: "docs", query: query, k: k).map { (Int($0.rowid) - 1, $0.score) }
        }
    }
}
