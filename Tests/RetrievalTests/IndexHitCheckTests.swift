import Encoder
import Foundation
@testable import Retrieval
@testable import Store
import Tensor
import Testing

/// Damage inside the index file's sections, which the header checksum does not cover, found by
/// checking each hit against the database (`IndexHitCheck`): a damaged row that becomes a hit throws
/// `SearchError.damagedIndex` naming the file, exact, quantized, hybrid and sharded; an intact file
/// never does.
@Suite struct IndexHitCheckTests {
    /// Replaces `section` of the index file at `path` by `change(its bytes)`, the header (and so its
    /// checksum) left as it was: mapping the file still succeeds.
    static func damage(_ section: VectorIndexFile.Section, ofIndex path: String, _ change: ([UInt8]) -> [UInt8]) throws {
        let url = URL(fileURLWithPath: path)
        var file = try Data(contentsOf: url)
        let header = try VectorIndexFile.HeaderFields(Array(file.prefix(VectorIndexFile.headerBytes)), path: path)
        let place = header.layout[section.rawValue]
        let range = place.offset..<(place.offset + place.bytes)
        let changed = change(Array(file[range]))
        precondition(changed.count == place.bytes, "a damaged section keeps its length")
        file.replaceSubrange(range, with: changed)
        try file.write(to: url)
    }

    /// `count` bytes of seeded float32 values uniform in [-4, 4): finite, and scoring far from any cosine.
    static func garbageFloats(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        let values = (0..<count / 4).map { _ in rng.nextUniform() * 8 - 4 }
        return values.withUnsafeBytes { Array($0) }
    }

    /// (path, reason, description) of the `SearchError.damagedIndex` that `body` throws; nil, with an
    /// issue recorded, when it throws nothing or another error.
    static func damagedIndex(_ body: () throws -> Void) -> (path: String, reason: String, description: String)? {
        do {
            try body()
            Issue.record("no error: the damage went unnoticed")
        } catch let error as SearchError {
            if case let .damagedIndex(path, reason) = error { return (path, reason, error.description) }
            Issue.record("another error: \(error)")
        } catch {
            Issue.record("another error: \(error)")
        }
        return nil
    }

    @Test func aHitOnADamagedVectorRowThrowsDamagedIndexAndTheFileWrittenAgainSearchesAsBefore() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = dir.path("v.db"), index = db + ".vectors"
        let corpus = generatedCorpus(40)
        _ = try encodeJob(try dir.write("corpus.jsonl", jsonl(corpus)), db).run()
        let query = corpus[5].text
        let want = try Searcher(databasePath: db, index: .never).search(query, k: 5)
        try Self.damage(.rows, ofIndex: index) { Self.garbageFloats($0.count, seed: 3) }

        for quantized in [false, true] {
            let searcher = try Searcher(databasePath: db, quantized: quantized)
            #expect(searcher.indexOutcome == .mapped, "the header is intact")
            let found = Self.damagedIndex { _ = try searcher.search(query, k: 5) }
            #expect(found?.path == index)
            #expect(found?.reason.contains("the stored vector gives") == true, "\(found?.reason ?? "")")
            #expect(found?.description.contains("delete it, and the next search writes it again from the database") == true)
            let hybrid = Self.damagedIndex { _ = try searcher.search(query, k: 5, mode: .hybrid(RankFusion())) }
            #expect(hybrid?.path == index)
            _ = try searcher.search(query, k: 5, mode: .lexical)  // reads no vector: no error
        }

        try FileManager.default.removeItem(atPath: index)
        let rebuilt = try Searcher(databasePath: db)
        #expect(rebuilt.indexOutcome == .rebuilt(.missing(path: index)))
        #expect(try rebuilt.search(query, k: 5) == want)
    }

    @Test func hitsWithDamagedIdsThrowDamagedIndex() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let db = dir.path("v.db"), index = db + ".vectors"
        let corpus = generatedCorpus(30)
        _ = try encodeJob(try dir.write("corpus.jsonl", jsonl(corpus)), db).run()
        let good = try Data(contentsOf: URL(fileURLWithPath: index))

        // Offsets past the id bytes: every row reads as an empty id.
        try Self.damage(.idOffsets, ofIndex: index) { Array(repeating: UInt8(0xff), count: $0.count) }
        for quantized in [false, true] {
            let searcher = try Searcher(databasePath: db, quantized: quantized)
            #expect(searcher.indexOutcome == .mapped && searcher.matrix.ids[0] == "")
            let found = Self.damagedIndex { _ = try searcher.search(corpus[2].text, k: 5) }
            #expect(found?.path == index)
            #expect(found?.reason.contains("hit \"\": its row names no stored document") == true, "\(found?.reason ?? "")")
        }

        // Ids renamed to other stored ids ("doc-1" reads "doc-2", "doc-13" reads "doc-23"): with every
        // row a hit, a renamed row repeats an id or scores apart from its name's stored vector.
        try good.write(to: URL(fileURLWithPath: index))
        try Self.damage(.idBytes, ofIndex: index) { $0.map { $0 == UInt8(ascii: "1") ? UInt8(ascii: "2") : $0 } }
        for quantized in [false, true] {
            let searcher = try Searcher(databasePath: db, quantized: quantized)
            #expect(searcher.indexOutcome == .mapped)
            let found = Self.damagedIndex { _ = try searcher.search(corpus[2].text, k: corpus.count) }
            #expect(found?.path == index)
        }
    }

    /// No false alarm: unit-norm rows (an encoded store, with and without the store's int8 copy) and
    /// rows of other norms, exact and quantized, random queries of unit and other norms, k = 10 and
    /// every row.
    @Test func anIntactIndexPassesTheCheckForManyRandomQueries() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let encoder = try TestModels.tiny()
        let d = encoder.dimension
        let corpus = generatedCorpus(150)
        let input = try dir.write("corpus.jsonl", jsonl(corpus))
        _ = try encodeJob(input, dir.path("encoded.db")).run()
        var int8Job = try encodeJob(input, dir.path("int8.db"))
        int8Job.quantize = true
        _ = try int8Job.run()
        let raw = try VectorStore(path: dir.path("raw.db"))
        try raw.bind(model: StoreModelInfo(encoder: encoder, modelPath: TestModels.tinyModel.path, adapterPath: nil))
        try raw.upsert(randomVectors(300, d, seed: 21).enumerated().map { i, v in
            StoredDocument(id: "r\(i)", title: nil, text: "row \(i)", embedding: v.map { 3 * $0 })
        })
        try raw.writeIndex()
        let queries = randomVectors(30, d, seed: 5, normalized: true) + randomVectors(30, d, seed: 6).map { $0.map { 5 * $0 } }

        for path in [dir.path("encoded.db"), dir.path("int8.db"), raw.path] {
            for quantized in [false, true] {
                let searcher = try Searcher(store: VectorStore(path: path, readOnly: true), encoder: encoder, quantized: quantized)
                #expect(searcher.indexOutcome == .mapped && searcher.indexGeneration != nil, "\(path)")
                for (i, q) in queries.enumerated() {
                    for k in [10, searcher.count] {
                        #expect(try searcher.search(vector: q, k: k).count == k, "\(path) query \(i) k \(k)")
                    }
                }
                for doc in corpus.prefix(5) {
                    #expect(try !searcher.search(doc.text, k: 10, mode: .hybrid(RankFusion())).isEmpty, "\(path)")
                }
            }
        }
    }

    @Test func aShardedSearchThrowsDamagedIndexNamingTheDamagedShardsFile() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let encoder = try TestModels.tiny()
        let d = encoder.dimension
        let corpus = generatedCorpus(60)
        let vectors = encoder.encode(corpus.map(\.text))
        let shards = try [0..<30, 30..<60].enumerated().map { s, range -> String in
            let store = try VectorStore(path: dir.path("s\(s).db"))
            try store.bind(model: StoreModelInfo(encoder: encoder, modelPath: TestModels.tinyModel.path, adapterPath: nil))
            try store.upsert(range.map { i in
                StoredDocument(id: corpus[i].id, title: corpus[i].title, text: corpus[i].text, embedding: Array(vectors[i * d..<(i + 1) * d]))
            })
            try store.writeIndex()
            return store.path
        }
        let query = corpus[3].text
        for quantized in [false, true] {
            let intact = try ShardedSearcher(databasePaths: shards, quantized: quantized, index: .ifCurrent)
            #expect(try intact.search(query, k: 60).count == 60)
        }

        let index = VectorIndexFile.path(forDatabase: shards[1])
        try Self.damage(.rows, ofIndex: index) { Self.garbageFloats($0.count, seed: 8) }
        for quantized in [false, true] {
            let searcher = try ShardedSearcher(databasePaths: shards, quantized: quantized, index: .ifCurrent)
            #expect(searcher.shards.allSatisfy { $0.indexOutcome == .mapped })
            let found = Self.damagedIndex { _ = try searcher.search(query, k: 60) }
            #expect(found?.path == index, "quantized: \(quantized)")
        }
    }

    @Test func aScoreMatchesTheStoredCosineWithinTheToleranceAndNeverWhenNotFinite() {
        #expect(IndexHitCheck.matches(score: 0.5, cosine: 0.5009))
        #expect(!IndexHitCheck.matches(score: 0.5, cosine: 0.502))
        #expect(!IndexHitCheck.matches(score: .nan, cosine: 0.5))
        #expect(!IndexHitCheck.matches(score: .infinity, cosine: 0.5))
        #expect(!IndexHitCheck.matches(score: 1.46e38, cosine: 0.41))
        #expect(IndexHitCheck.matches(score: .nan, cosine: .nan), "a stored vector with NaN scores NaN from either source")
        #expect(IndexHitCheck.cosine([1, 2, 0], [0, 0, 0]) == 0, "a zero row scores 0, as TopK scores it")
        #expect(abs(IndexHitCheck.cosine([1, 0], [1, 1]) - 0.5.squareRoot()) < 1e-12)
        #expect(IndexHitCheck.cosine([.infinity, 0], [1, 1]).isNaN)
    }
}
