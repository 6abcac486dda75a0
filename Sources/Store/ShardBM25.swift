import Foundation
import GRDB
import GRDBSQLite

/// FTS5's `bm25()` with the collection statistics of several shards taken together, so that
/// shards searched at once rank and score exactly as the one store `StoreMerge` makes of them.
///
/// FTS5's bm25 (ext/fts5/fts5_aux.c) scores a row, for phrases i of the query, as
///   Σ_i IDF_i · f_i (k1 + 1) / (f_i + k1 (1 − b + b D / avgdl)),   k1 = 1.2, b = 0.75,
///   IDF_i = log((N − n_i + 0.5) / (n_i + 0.5)), at least 1e-6,
/// where f_i counts the phrase's instances in the row, D the row's tokens (all columns), N the
/// table's rows, avgdl its tokens / N and n_i the rows matching the phrase alone. f_i and D belong
/// to the row; N, avgdl and n_i to the table. So each shard reports its N, tokens and n_i
/// (`embedtune_fts_phrase_rows`, the counts bm25 itself takes through `xQueryPhrase`), the sums give
/// the merged store's, and `embedtune_bm25(table, avgdl, IDF_0, ...)` evaluates the formula in the
/// same operations and order as FTS5's C code, so its doubles are bm25()'s of the merged store.
public struct LexicalStatistics: Sendable, Equatable {
    /// N: rows of the FTS5 table.
    public var rows: Int64
    /// Tokens of every column of every row.
    public var tokens: Int64
    /// n_i: rows matching each phrase of the query alone, in the query's phrase order.
    public var phraseRows: [Int64]

    public init(rows: Int64, tokens: Int64, phraseRows: [Int64]) {
        self.rows = rows
        self.tokens = tokens
        self.phraseRows = phraseRows
    }

    /// The statistics of two disjoint sets of rows taken together (a − b: with b's rows left out).
    public static func + (a: LexicalStatistics, b: LexicalStatistics) -> LexicalStatistics {
        LexicalStatistics(rows: a.rows + b.rows, tokens: a.tokens + b.tokens, phraseRows: zip(a.phraseRows, b.phraseRows).map(+))
    }

    public static func - (a: LexicalStatistics, b: LexicalStatistics) -> LexicalStatistics {
        LexicalStatistics(rows: a.rows - b.rows, tokens: a.tokens - b.tokens, phraseRows: zip(a.phraseRows, b.phraseRows).map(-))
    }

    /// The arguments of `embedtune_bm25` after the table: avgdl, then each phrase's IDF — as fts5_aux.c computes them.
    var bm25Arguments: [Double] {
        let averageLength = Double(tokens) / Double(rows)
        return [averageLength] + phraseRows.map { hits in
            let idf = log((Double(rows - hits) + 0.5) / (Double(hits) + 0.5))
            return idf <= 0 ? 1e-6 : idf
        }
    }
}

/// The FTS5 auxiliary functions of `LexicalStatistics`, registered on every connection of a store.
enum ShardBM25 {
    /// Registers `embedtune_bm25` and `embedtune_fts_phrase_rows` on the connection of `db`. A connection
    /// without FTS5 gets neither (lexical search then fails as it would anyway).
    static func register(_ db: Database) {
        guard let api = fts5API(db), let create = api.pointee.xCreateFunction else { return }
        _ = create(api, "embedtune_bm25", nil, { functions, context, result, count, values in
            guard let api = functions, let values else { return }
            ShardBM25.score(api, context, result, Int(count), values)
        }, nil)
        _ = create(api, "embedtune_fts_phrase_rows", nil, { functions, context, result, _, _ in
            guard let api = functions else { return }
            ShardBM25.phraseRows(api, context, result)
        }, nil)
    }

    /// The `fts5_api` of the connection (SQLite's documented `SELECT fts5(?1)` handshake), or nil.
    static func fts5API(_ db: Database) -> UnsafeMutablePointer<fts5_api>? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db.sqliteConnection, "SELECT fts5(?1)", -1, &statement, nil) == SQLITE_OK else { return nil }
        defer { sqlite3_finalize(statement) }
        var api: UnsafeMutablePointer<fts5_api>?
        let type: StaticString = "fts5_api_ptr"
        withUnsafeMutablePointer(to: &api) { pointer in
            type.utf8Start.withMemoryRebound(to: CChar.self, capacity: type.utf8CodeUnitCount + 1) { name in
                _ = sqlite3_bind_pointer(statement, 1, pointer, name, nil)
                _ = sqlite3_step(statement)
            }
        }
        return api
    }

    /// embedtune_bm25(table, avgdl, IDF_0, ..., IDF_{P-1}): −score of the current row, as bm25() returns it.
    static func score(
        _ api: UnsafePointer<Fts5ExtensionApi>, _ fts: OpaquePointer?, _ result: OpaquePointer?, _ count: Int,
        _ values: UnsafeMutablePointer<OpaquePointer?>
    ) {
        let k1 = 1.2, b = 0.75
        guard let phraseCount = api.pointee.xPhraseCount, let instCount = api.pointee.xInstCount,
            let inst = api.pointee.xInst, let columnSize = api.pointee.xColumnSize
        else { return sqlite3_result_error(result, "embedtune_bm25: FTS5 API incomplete", -1) }
        let phrases = Int(phraseCount(fts))
        guard count == phrases + 1 else {
            return sqlite3_result_error(result, "embedtune_bm25: needs avgdl and one IDF per phrase", -1)
        }
        let averageLength = sqlite3_value_double(values[0])
        var frequency = [Double](repeating: 0, count: phrases)
        var instances: Int32 = 0
        var rc = instCount(fts, &instances)
        var i: Int32 = 0
        while rc == SQLITE_OK && i < instances {
            var phrase: Int32 = 0, column: Int32 = 0, offset: Int32 = 0
            rc = inst(fts, i, &phrase, &column, &offset)
            if rc == SQLITE_OK { frequency[Int(phrase)] += 1.0 }
            i += 1
        }
        var tokens: Int32 = 0
        if rc == SQLITE_OK { rc = columnSize(fts, -1, &tokens) }
        guard rc == SQLITE_OK else { return sqlite3_result_error_code(result, rc) }
        let d = Double(tokens)
        var score = 0.0
        for p in 0..<phrases {
            let idf = sqlite3_value_double(values[p + 1])
            score += idf * ((frequency[p] * (k1 + 1.0)) / (frequency[p] + k1 * (1 - b + b * d / averageLength)))
        }
        sqlite3_result_double(result, -1.0 * score)
    }

    /// embedtune_fts_phrase_rows(table): "n_0 n_1 ..." — the rows matching each phrase alone.
    static func phraseRows(_ api: UnsafePointer<Fts5ExtensionApi>, _ fts: OpaquePointer?, _ result: OpaquePointer?) {
        guard let phraseCount = api.pointee.xPhraseCount, let queryPhrase = api.pointee.xQueryPhrase else {
            return sqlite3_result_error(result, "embedtune_fts_phrase_rows: FTS5 API incomplete", -1)
        }
        var counts: [Int64] = []
        for p in 0..<phraseCount(fts) {
            var hits: Int64 = 0
            let rc = withUnsafeMutablePointer(to: &hits) { pointer in
                queryPhrase(fts, p, pointer, { _, _, user in
                    user?.assumingMemoryBound(to: Int64.self).pointee += 1
                    return SQLITE_OK
                })
            }
            guard rc == SQLITE_OK else { return sqlite3_result_error_code(result, rc) }
            counts.append(hits)
        }
        let text = counts.map(String.init).joined(separator: " ")
        sqlite3_result_text(result, text, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }
}
