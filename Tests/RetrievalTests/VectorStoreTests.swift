import Foundation
@testable import Store
import Testing
@testable import Retrieval

@Suite struct VectorStoreTests {
    @Test func vectorsRoundTripBitExactThroughAFile() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let special: [Float] = [0, -0.0, .leastNonzeroMagnitude, -.greatestFiniteMagnitude, .infinity,
                                Float(bitPattern: 0x7FC0_1234), 1 / 3, -1e-38]
        var docs = [StoredDocument(id: "special", title: "T", text: "x", embedding: special)]
        for (i, v) in randomVectors(50, 8, seed: 1).enumerated() {
            docs.append(StoredDocument(id: "d\(i)", title: i % 2 == 0 ? nil : "title \(i)", text: "text \(i)", embedding: v))
        }
        do {
            let store = try VectorStore(path: dir.path("v.db"))
            try store.bind(model: modelInfo())
            try store.upsert(docs)
        }
        let reopened = try VectorStore(path: dir.path("v.db"), readOnly: true)
        #expect(try reopened.count() == docs.count)
        #expect(try reopened.storedModel() == modelInfo())
        let back = try reopened.documents(ids: docs.map(\.id))
        #expect(back.count == docs.count)
        for (a, b) in zip(docs, back) {
            #expect(a.id == b.id && a.title == b.title && a.text == b.text && a.contentHash == b.contentHash)
            #expect(a.embedding.map(\.bitPattern) == b.embedding.map(\.bitPattern))
        }
        let matrix = try reopened.loadMatrix()
        #expect(Array(matrix.ids) == docs.map(\.id))
        for (i, d) in docs.enumerated() { #expect(matrix.vector(i).map(\.bitPattern) == d.embedding.map(\.bitPattern)) }
    }

    @Test func blobIsLittleEndianFloat32AsSqliteVecReads() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try VectorStore(path: dir.path("v.db"))
        try store.bind(model: modelInfo(dimension: 2))
        try store.upsert([StoredDocument(id: "a", title: nil, text: "t", embedding: [1, -2])])
        let bytes = try store.pool.read { db in try Data.fetchOne(db, sql: "SELECT embedding FROM documents") }
        #expect(bytes.map(Array.init) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
    }

    @Test func anotherModelFingerprintIsRefused() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try VectorStore(path: dir.path("v.db"))
        try store.bind(model: modelInfo(fingerprint: "fp-A"))
        try store.bind(model: modelInfo(fingerprint: "fp-A"))  // same model again: fine
        #expect(throws: StoreError.fingerprintMismatch(stored: "fp-A", given: "fp-B", path: dir.path("v.db"))) {
            try VectorStore(path: dir.path("v.db")).bind(model: modelInfo(fingerprint: "fp-B"))
        }
        #expect(try store.storedModel()?.fingerprint == "fp-A")
        let message = String(describing: StoreError.fingerprintMismatch(stored: "fp-A", given: "fp-B", path: "x.db"))
        #expect(message.contains("x.db") && message.contains("fp-A") && message.contains("fp-B"))
    }

    @Test func writesNeedABoundModelAndTheRightDimension() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try VectorStore(path: dir.path("v.db"))
        let doc = StoredDocument(id: "a", title: nil, text: "t", embedding: [1, 2, 3])
        #expect(throws: StoreError.modelNotBound(path: dir.path("v.db"))) { try store.upsert([doc]) }
        try store.bind(model: modelInfo(dimension: 4))
        #expect(throws: StoreError.dimensionMismatch(id: "a", expected: 4, got: 3, path: dir.path("v.db"))) {
            try store.upsert([doc])
        }
        #expect(try store.count() == 0)
    }

    @Test func reUpsertReplacesInPlaceWithoutDuplicates() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try VectorStore(path: dir.path("v.db"))
        try store.bind(model: modelInfo(dimension: 2))
        try store.upsert((0..<5).map { StoredDocument(id: "d\($0)", title: nil, text: "old", embedding: [Float($0), 0]) })
        let changed = StoredDocument(id: "d2", title: "new title", text: "new", embedding: [9, 9])
        try store.upsert([changed])
        #expect(try store.count() == 5)
        #expect(try store.documents(ids: ["d2"]) == [changed])
        let matrix = try store.loadMatrix()
        #expect(Array(matrix.ids) == ["d0", "d1", "d2", "d3", "d4"])  // rowid kept: same position
        #expect(matrix.vector(2) == [9, 9])
        let hashes = try store.existingHashes(ids: ["d2", "d4", "missing"])
        #expect(hashes == ["d2": changed.contentHash, "d4": ContentHash.of(id: "d4", title: nil, text: "old")])
    }

    @Test func readOnlyOpenOfANonStoreFails() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        #expect(throws: StoreError.self) { try VectorStore(path: dir.path("absent.db"), readOnly: true) }
    }

    /// A reader loading while a writer commits batches sees whole batches only, each row intact.
    /// The writer runs on a Thread of its own: a busy reader loop on the cooperative pool must not be
    /// able to starve it.
    @Test func readersSeeConsistentSnapshotsWhileAWriterWrites() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("v.db")
        let dimension = 16, batch = 200, batches = 15
        let store = try VectorStore(path: path)
        try store.bind(model: modelInfo(dimension: dimension, normalize: false))
        // Row i holds [i, i, ..., i]: a torn row would show mixed values.
        @Sendable func docs(_ b: Int) -> [StoredDocument] {
            (0..<batch).map { j in
                let i = b * batch + j
                return StoredDocument(id: "d\(i)", title: nil, text: "t", embedding: [Float](repeating: Float(i), count: dimension))
            }
        }
        try store.upsert(docs(0))
        final class Outcome: @unchecked Sendable {
            let lock = NSLock()
            var finished = false
            var error: Error?
        }
        let outcome = Outcome()
        let writer = Thread {
            var failure: Error?
            do { for b in 1..<batches { try store.upsert(docs(b)) } } catch { failure = error }
            outcome.lock.withLock { outcome.finished = true; outcome.error = failure }
        }
        writer.start()
        let reader = try VectorStore(path: path, readOnly: true)
        var sizes: Set<Int> = []
        while true {
            let writerDone = outcome.lock.withLock { outcome.finished }
            let m = try reader.loadMatrix()
            #expect(m.count % batch == 0)
            for i in 0..<m.count {
                #expect(m.ids[i] == "d\(i)" && m.vector(i) == [Float](repeating: Float(i), count: dimension))
            }
            sizes.insert(m.count)
            if writerDone { break }
        }
        #expect(outcome.lock.withLock { outcome.error } == nil)
        #expect(sizes.contains(batch * batches))
        #expect(try reader.count() == batch * batches)
    }

    @Test func quantizeStoresScalesAndCodesForLaterLoads() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try VectorStore(path: dir.path("v.db"))
        try store.bind(model: modelInfo(dimension: 4, normalize: false))
        try store.upsert([StoredDocument(id: "a", title: nil, text: "t", embedding: [1, -0.2, 0, 3]),
                          StoredDocument(id: "b", title: nil, text: "t", embedding: [-0.25, 1, 0, -4])])
        #expect(throws: StoreError.notQuantized(path: dir.path("v.db"))) { _ = try store.loadQuantized() }
        let scales = try store.quantize()
        let expected: [Float] = [1 / 127, 1 / 127, 0, 4 / 127]
        #expect(scales == expected)
        try store.upsert([StoredDocument(id: "c", title: nil, text: "t", embedding: [2, 0, 0, 1])])  // clamps dim 0
        let (matrix, q) = try VectorStore(path: dir.path("v.db"), readOnly: true).loadQuantized()
        #expect(Array(matrix.ids) == ["a", "b", "c"])
        func codes(_ i: Int) -> [Int8] { Array(UnsafeBufferPointer(start: q.row(i), count: 4)) }
        #expect(codes(0) == [127, -25, 0, 95])
        #expect(codes(1) == [-32, 127, 0, -127])
        #expect(codes(2) == [127, 0, 0, 32])
    }
}
