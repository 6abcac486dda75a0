import Foundation
@testable import Store
import Testing
@testable import Retrieval

/// A store in a directory the reader cannot write to (a read-only mount, a shared folder) opens through
/// SQLite's immutable URI and reads the same documents and vectors, creating no file beside it.
@Suite struct ReadOnlyStoreTests {
    @Test(arguments: ["v.db", "with space?and#hash%.db"])
    func anImmutableOpenReadsWhatWasWrittenAndCreatesNoFiles(_ name: String) throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let docs = randomVectors(20, 8, seed: 4).enumerated().map { i, v in
            StoredDocument(id: "d\(i)", title: nil, text: "text \(i)", embedding: v)
        }
        do {
            let store = try VectorStore(path: dir.path(name))
            try store.bind(model: modelInfo())
            try store.upsert(docs)
        }
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted()
        #expect(before == [name], "\(before)")  // the writer closed cleanly: no -wal or -shm left
        let store = try VectorStore(path: dir.path(name), readOnly: true, immutable: true)
        #expect(try store.count() == docs.count)
        #expect(try store.storedModel() == modelInfo())
        let matrix = try store.loadMatrix()
        #expect(Array(matrix.ids) == docs.map(\.id))
        for (i, d) in docs.enumerated() { #expect(matrix.vector(i).map(\.bitPattern) == d.embedding.map(\.bitPattern)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == before)
    }

    @Test func aWritableDirectoryIsNotOpenedImmutable() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        _ = try VectorStore(path: dir.path("v.db"))
        #expect(!VectorStore.cannotWriteBeside(dir.path("v.db")))
    }
}
