import Foundation
@testable import Store
import Testing
@testable import Retrieval

/// The store's lexical (FTS5) index, its BM25 search, reciprocal rank fusion, deleting and syncing
/// documents, and finding a model that moved with its database.
@Suite struct HybridSearchTests {
    /// Four documents with 4-dimensional vectors; words chosen so BM25's order is clear.
    func makeStore(_ dir: TempDirectory, name: String = "h.db") throws -> VectorStore {
        let store = try VectorStore(path: dir.path(name))
        try store.bind(model: modelInfo(dimension: 4))
        try store.upsert([
            StoredDocument(id: "rivers", title: "Rivers", text: "rivers flow into the sea; a river carries water", embedding: [1, 0, 0, 0]),
            StoredDocument(id: "music", title: nil, text: "music of the city", embedding: [0, 1, 0, 0]),
            StoredDocument(id: "ops", title: "NEAR", text: "operators AND OR NOT with (parentheses) and col:value", embedding: [0, 0, 1, 0]),
            StoredDocument(id: "empty", title: nil, text: "nothing here", embedding: [0, 0, 0, 1]),
        ])
        return store
    }

    @Test func fusionAddsWeightedReciprocalRanks() {
        let fused = RankFusion(k: 60, weights: [1, 2]).fuse([["a", "b", "c"], ["c", "d"]])
        let expected: [String: Double] = ["a": 1.0 / 61, "b": 1.0 / 62, "c": 1.0 / 63 + 2.0 / 61, "d": 2.0 / 62]
        #expect(fused.map(\.key) == ["c", "d", "a", "b"])
        for hit in fused { #expect(abs(hit.score - (expected[hit.key] ?? -1)) < 1e-15) }
        // Equal scores keep the order of first appearance.
        #expect(RankFusion().fuse([["x", "y"], ["y", "x"]]).map(\.key) == ["x", "y"])
    }

    @Test func queriesAreWordsNeverFTS5Syntax() {
        #expect(LexicalIndex.matchExpression(for: "NEAR(a b) * - : col:x \"q") == "\"NEAR\" OR \"a\" OR \"b\" OR \"col\" OR \"x\" OR \"q\"")
        #expect(LexicalIndex.matchExpression(for: "Über-Straße 42") == "\"Über\" OR \"Straße\" OR \"42\"")
        #expect(LexicalIndex.matchExpression(for: "a A a") == "\"a\"")
        #expect(LexicalIndex.matchExpression(for: " *** () \"\" ") == nil)
    }

    @Test(arguments: ["\"", "*", "NEAR", "-", ":", "(", ")", "((a", "a AND", "OR OR", "col:rivers", "\"unbalanced", "^rivers", "rivers*", "{x}", "'", ""])
    func specialCharactersNeverError(query: String) throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try makeStore(dir)
        let hits = try store.lexicalSearch(query, k: 10)
        if query.contains("rivers") { #expect(hits.first?.id == "rivers") }
    }

    @Test func bm25RanksAndStemsAndTheIndexFollowsEveryWrite() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try makeStore(dir)
        #expect(try store.lexicalSearch("river", k: 10).map(\.id) == ["rivers"])  // Porter: rivers → river
        #expect(try store.lexicalSearch("parentheses operators", k: 10).map(\.id) == ["ops"])
        #expect(try store.lexicalSearch("the city", k: 10).map(\.id).first == "music")
        let scores = try store.lexicalSearch("rivers music", k: 10).map(\.score)
        #expect(scores.count == 2 && scores[0] >= scores[1] && scores.allSatisfy { $0 > 0 })
        // An update replaces the indexed words; a delete removes them.
        try store.upsert([StoredDocument(id: "music", title: "Songs", text: "harmony", embedding: [0, 1, 0, 0])])
        #expect(try store.lexicalSearch("city", k: 10).isEmpty)
        #expect(try store.lexicalSearch("harmony songs", k: 10).map(\.id) == ["music"])
        #expect(try store.delete(ids: ["music", "absent"]) == 1)
        #expect(try store.lexicalSearch("harmony", k: 10).isEmpty)
        #expect(try store.deleteAll(except: ["rivers"]) == ["ops", "empty"])
        #expect(try store.count() == 1 && Array(store.loadMatrix().ids) == ["rivers"])
        #expect(try store.lexicalSearch("operators nothing river", k: 10).map(\.id) == ["rivers"])
    }

    @Test func aDroppedIndexIsAClearErrorAndAWritableOpenRebuildsIt() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        _ = try makeStore(dir)
        let writer = try VectorStore(path: dir.path("h.db"))
        try writer.pool.write { db in try db.execute(sql: "DROP TABLE documents_fts") }
        let reader = try VectorStore(path: dir.path("h.db"), readOnly: true)
        #expect(throws: StoreError.noLexicalIndex(path: dir.path("h.db"))) { try reader.lexicalSearch("river", k: 3) }
        #expect("\(StoreError.noLexicalIndex(path: "x.db"))".contains("embedtune encode --db x.db"))
        let reopened = try VectorStore(path: dir.path("h.db"))
        #expect(try reopened.lexicalSearch("river", k: 3).map(\.id) == ["rivers"])
        try reopened.upsert([StoredDocument(id: "new", title: nil, text: "a new river", embedding: [1, 1, 0, 0])])
        #expect(try Set(reopened.lexicalSearch("river", k: 3).map(\.id)) == ["rivers", "new"])
    }

    @Test func aStoreWrittenBeforeTheIndexGetsItOnItsNextWritableOpen() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        _ = try makeStore(dir)
        let writer = try VectorStore(path: dir.path("h.db"))
        try writer.pool.write { db in
            for trigger in ["documents_fts_insert", "documents_fts_delete", "documents_fts_update"] {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            try db.execute(sql: "DROP TABLE documents_fts")
            try db.execute(sql: "INSERT INTO documents(id, title, text, content_hash, embedding) SELECT 'old', NULL, 'old river', 'h', embedding FROM documents LIMIT 1")
        }
        let reopened = try VectorStore(path: dir.path("h.db"))
        #expect(try Set(reopened.lexicalSearch("river", k: 5).map(\.id)) == ["rivers", "old"])
    }

    @Test func relativeModelPaths() {
        #expect(StoreModelLocation.relative("/a/b/models/m", from: "/a/b/stores") == "../models/m")
        #expect(StoreModelLocation.relative("/a/b/m", from: "/a/b") == "m")
        #expect(StoreModelLocation.relative("/a/b", from: "/a/b") == ".")
        #expect(StoreModelLocation.relative("/x/y", from: "/a/b/c") == "../../../x/y")
    }

    @Test func aDatabaseMovedWithItsModelFindsItByTheRelativePath() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let before = dir.url.appendingPathComponent("before")
        try FileManager.default.createDirectory(at: before.appendingPathComponent("stores"), withIntermediateDirectories: true)
        let store = try VectorStore(path: before.appendingPathComponent("stores/s.db").path)
        var info = modelInfo(dimension: 4)
        info.modelPath = before.appendingPathComponent("models/m").path
        try store.bind(model: info)
        try FileManager.default.moveItem(at: before, to: dir.url.appendingPathComponent("after"))
        let moved = try VectorStore(path: dir.path("after/stores/s.db"), readOnly: true)
        let locations = try moved.modelLocations()
        #expect(locations.map(\.modelPath) == [info.modelPath, dir.url.appendingPathComponent("after/models/m").standardizedFileURL.path])
    }
}
