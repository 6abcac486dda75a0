import Foundation
import GRDB

/// The lexical side of searching several stores as one (`LexicalStatistics`, `ShardBM25`).
extension VectorStore {
    /// This store's N and tokens (FTS5's totals record) and, for `query`, the rows matching each of
    /// its phrases; nil when the query has no word. `noLexicalIndex` without the FTS5 table.
    public func lexicalStatistics(_ query: String) throws -> LexicalStatistics? {
        let phrases = LexicalIndex.phrases(of: query)
        guard let match = LexicalIndex.matchExpression(for: query) else { return nil }
        return try lexicalRead { db in
            let totals = try Data.fetchOne(db, sql: "SELECT block FROM \(LexicalIndex.table)_data WHERE id = 1")
                .map { FTS5Varints.decode($0) } ?? []
            let table = LexicalIndex.table
            let text = try String.fetchOne(
                db, sql: "SELECT embedtune_fts_phrase_rows(\(table)) FROM \(table) WHERE \(table) MATCH ? LIMIT 1", arguments: [match])
            let hits = text.map { $0.split(separator: " ").compactMap { Int64($0) } } ?? Array(repeating: 0, count: phrases.count)
            guard hits.count == phrases.count else {
                throw StoreError.database(path: path, reason: "FTS5 reported \(hits.count) phrases for \(phrases.count)")
            }
            return LexicalStatistics(rows: totals.first ?? 0, tokens: totals.dropFirst().reduce(0, +), phraseRows: hits)
        }
    }

    /// The statistics of the rows `rowids` alone (their count, their tokens from FTS5's sizes table, and
    /// how many match each phrase of `query`): what a merged store lacks when these rows repeat
    /// documents of an earlier shard. nil when the query has no word.
    public func lexicalStatistics(_ query: String, rows rowids: [Int64]) throws -> LexicalStatistics? {
        let phrases = LexicalIndex.phrases(of: query)
        guard !phrases.isEmpty else { return nil }
        guard !rowids.isEmpty else { return LexicalStatistics(rows: 0, tokens: 0, phraseRows: phrases.map { _ in 0 }) }
        let list = "[" + rowids.map(String.init).joined(separator: ",") + "]"
        let table = LexicalIndex.table
        return try lexicalRead { db in
            var tokens: Int64 = 0
            let sizes = try Row.fetchCursor(
                db, sql: "SELECT sz FROM \(table)_docsize WHERE id IN (SELECT value FROM json_each(?))", arguments: [list])
            while let row = try sizes.next() { tokens += FTS5Varints.decode(row[0] as Data? ?? Data()).reduce(0, +) }
            let hits = try phrases.map { phrase in
                try Int64.fetchOne(
                    db, sql: "SELECT count(*) FROM \(table) WHERE \(table) MATCH ? AND rowid IN (SELECT value FROM json_each(?))",
                    arguments: [phrase, list]) ?? 0
            }
            return LexicalStatistics(rows: Int64(rowids.count), tokens: tokens, phraseRows: hits)
        }
    }

    /// The k best documents for `query` by FTS5's BM25 computed with `statistics` (those of all shards
    /// searched together) instead of this table's own: (rowid, id, score), best first, ties by rowid.
    public func lexicalSearch(
        _ query: String, k: Int, statistics: LexicalStatistics
    ) throws -> [(rowid: Int64, id: String, score: Double)] {
        guard k > 0, let match = LexicalIndex.matchExpression(for: query), statistics.rows > 0 else { return [] }
        let arguments = statistics.bm25Arguments
        let marks = Array(repeating: "?", count: arguments.count).joined(separator: ", ")
        let table = LexicalIndex.table
        return try lexicalRead { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT f.rowid, d.id, embedtune_bm25(\(table), \(marks)) AS s FROM \(table) f
                JOIN documents d ON d.rowid = f.rowid WHERE \(table) MATCH ? ORDER BY s, f.rowid LIMIT ?
                """, arguments: StatementArguments(arguments.map { $0 as (any DatabaseValueConvertible) } + [match, k]))
            return rows.map { (rowid: $0[0], id: $0[1], score: -($0[2] as Double)) }
        }
    }

    /// The rowids of those `ids` that are stored.
    public func rowids(ids: [String]) throws -> [Int64] {
        try guarded { try pool.read { db in try VectorStore.storedRows(db, ids: ids).values.map(\.rowid).sorted() } }
    }

    private func lexicalRead<T>(_ body: (Database) throws -> T) throws -> T {
        try guarded {
            try pool.read { db in
                guard try LexicalIndex.isPresent(db) else { throw StoreError.noLexicalIndex(path: path) }
                return try body(db)
            }
        }
    }
}

/// FTS5's varints (SQLite's record format: big-endian groups of 7 bits, a set high bit continues;
/// the ninth byte holds 8 bits), as its totals record (rows, then each column's tokens) and its
/// sizes table (each column's tokens) store them.
enum FTS5Varints {
    static func decode(_ data: Data) -> [Int64] {
        var values: [Int64] = []
        var i = data.startIndex
        while i < data.endIndex {
            var value: UInt64 = 0
            var length = 0
            while i < data.endIndex {
                let byte = data[i]
                i += 1
                length += 1
                if length == 9 {
                    value = (value << 8) | UInt64(byte)
                    break
                }
                value = (value << 7) | UInt64(byte & 0x7f)
                if byte & 0x80 == 0 { break }
            }
            values.append(Int64(bitPattern: value))
        }
        return values
    }
}
