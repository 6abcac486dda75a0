import Foundation
@testable import Retrieval
@testable import Store
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The faults of the index file that `VectorIndexFileTests` does not feed: a store without identity,
/// an index path that cannot be read (a directory, a symbolic-link loop, a FIFO), an index whose
/// dimension is not the store's, and a write whose rename fails. Each is its typed problem with a
/// message naming the index file, and a search then reads the vectors from SQLite.
@Suite struct VectorIndexProblemTests {
    /// A store of six random 8-dimensional vectors with its index file written.
    func indexedStore(_ dir: TempDirectory) throws -> VectorStore {
        let store = try VectorStore(path: dir.path("v.db"))
        try store.bind(model: modelInfo(dimension: 8))
        try store.upsert(randomVectors(6, 8, seed: 3).enumerated().map { i, v in
            StoredDocument(id: "d\(i)", title: nil, text: "text \(i)", embedding: v)
        })
        try store.writeIndex()
        try #require(try store.mappedIndex().failure == nil)
        return store
    }

    /// `indexedStore` with its index file replaced by what `make` creates at the given path.
    func indexedStore(_ dir: TempDirectory, indexReplacedBy make: (String) throws -> Void) throws -> VectorStore {
        let store = try indexedStore(dir)
        try FileManager.default.removeItem(atPath: store.indexPath)
        try make(store.indexPath)
        return store
    }

    /// Where `SearchVectors` takes the vectors from with `use`, and whether they are the store's.
    func searchOutcome(_ store: VectorStore, use: SearchIndexUse) throws -> SearchIndexOutcome {
        let vectors = try SearchVectors.load(store: store, quantized: false, use: use)
        let fromDatabase = try store.loadMatrix()
        #expect(Array(vectors.matrix.ids) == Array(fromDatabase.ids))
        for i in 0..<fromDatabase.count {
            #expect(vectors.matrix.vector(i).map(\.bitPattern) == fromDatabase.vector(i).map(\.bitPattern))
        }
        return vectors.outcome
    }

    /// As a store written before index files existed looks: no store_id or generation in meta, no
    /// triggers renewing the generation.
    @Test func aStoreWithoutIdentityOpenedReadOnlyIsNeverSearchedThroughTheIndexFile() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let writer = try indexedStore(dir)
        try writer.pool.write { db in
            try db.execute(sql: "DELETE FROM meta WHERE key IN ('store_id', 'generation')")
            for (trigger, _) in StoreGeneration.triggers { try db.execute(sql: "DROP TRIGGER \(trigger)") }
            // A change the index file does not hold: nothing records it once the triggers are gone.
            try db.execute(sql: "DELETE FROM documents WHERE id = 'd2'")
        }
        let reader = try VectorStore(path: dir.path("v.db"), readOnly: true)
        let index = reader.indexPath
        #expect(try reader.generation() == nil)
        #expect(try reader.mappedIndex().failure == .storeWithoutIdentity(path: index))
        let message = VectorIndexProblem.storeWithoutIdentity(path: index).description
        #expect(message.contains(index) && message.contains("embedtune encode"), "\(message)")
        #expect(try searchOutcome(reader, use: .ifCurrent) == .readFromDatabase(.storeWithoutIdentity(path: index)))
        #expect(!Array(try reader.loadMatrix().ids).contains("d2"))
        #expect(throws: StoreError.indexFile(path: index, reason: "the store has no identity; open it for writing once")) {
            try reader.writeIndex()
        }

        // A writable open gives the store a new identity: the old file is then another store's.
        let reopened = try VectorStore(path: dir.path("v.db"))
        #expect(try reopened.generation() != nil)
        #expect(try reopened.mappedIndex().failure == .otherStore(path: index))
        #expect(try searchOutcome(reopened, use: .rebuildIfStale) == .rebuilt(.otherStore(path: index)))
        #expect(try reopened.mappedIndex().failure == nil)
    }

    @Test func aDirectoryAtTheIndexPathIsUnreadableAndAFailedRenameIsAnIndexFileError() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try indexedStore(dir) { path in
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try Data("someone's file".utf8).write(to: URL(fileURLWithPath: path + "/inside"))
        }
        let index = store.indexPath

        let problem = VectorIndexProblem.unreadable(path: index, reason: "not a regular file")
        #expect(try store.mappedIndex().failure == problem)
        #expect(problem.description == "\(index): cannot read the index file: not a regular file")

        do {
            try store.writeIndex()
            Issue.record("an index file was written over a directory")
        } catch let error as StoreError {
            guard case .indexFile(let path, let reason) = error else { throw error }
            #expect(path == index && reason.hasPrefix("rename: "), "\(error)")
            #expect(error.description.hasPrefix("\(index): cannot write the index file: rename: "), "\(error)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "the temporary file of the failed write is removed: \(left)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: index) == ["inside"], "the directory is left alone")
        // The search cannot write the file either, and reads the vectors from SQLite.
        #expect(try searchOutcome(store, use: .rebuildIfStale) == .readFromDatabase(problem))
    }

    @Test func aSymbolicLinkLoopAtTheIndexPathIsUnreadable() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try indexedStore(dir) { try FileManager.default.createSymbolicLink(atPath: $0, withDestinationPath: $0) }
        let index = store.indexPath
        let expected = VectorIndexProblem.unreadable(path: index, reason: String(cString: strerror(ELOOP)))
        #expect(try store.mappedIndex().failure == expected)
        #expect(expected.description.contains(index))
        #expect(try searchOutcome(store, use: .ifCurrent) == .readFromDatabase(expected))
    }

    /// The index file of the store's own snapshot, but the store's recorded dimension changed since
    /// (meta is edited without renewing the generation).
    @Test func anIndexOfAnotherDimensionThanTheStoreRecordsIsRefused() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try indexedStore(dir)
        let generation = try store.generation()
        try store.pool.write { db in try db.execute(sql: "UPDATE meta SET value = '16' WHERE key = 'dimension'") }
        #expect(try store.generation() == generation, "the edit leaves the store's identity as it was")
        let problem = VectorIndexProblem.dimensionMismatch(path: store.indexPath, index: 8, store: 16)
        #expect(try store.mappedIndex().failure == problem)
        #expect(problem.description == "\(store.indexPath): the index file holds 8-dimensional vectors, the database 16")
        // Read from SQLite instead, the 8-value blobs of a 16-dimensional store are refused as corrupt.
        #expect(throws: StoreError.self) { _ = try SearchVectors.load(store: store, quantized: false, use: .ifCurrent) }
    }

    /// What `mappedIndex` gave on another thread (read after it signalled).
    final class Outcome: @unchecked Sendable {
        var problem: VectorIndexProblem?
    }

    /// A FIFO at the index path: opening it to read must not wait for a writer (it did, forever).
    @Test func aFIFOAtTheIndexPathIsUnreadableAtOnce() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try indexedStore(dir) { path in
            guard mkfifo(path, 0o644) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        let index = store.indexPath
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        // A thread of its own (not a shared queue that parallel tests may keep busy), and a minute of
        // patience: the open either returns at once or never.
        Thread {
            outcome.problem = try? store.mappedIndex().failure
            done.signal()
        }.start()
        if done.wait(timeout: .now() + 60) == .timedOut {
            Issue.record("opening the FIFO at \(index) waits for a writer")
            let writer = open(index, O_WRONLY | O_NONBLOCK)  // lets the blocked open return
            done.wait()
            close(writer)
        }
        #expect(outcome.problem == .unreadable(path: index, reason: "not a regular file"))
        // A writer replaces the FIFO with the index file.
        try store.writeIndex()
        #expect(try store.mappedIndex().failure == nil)
    }
}
