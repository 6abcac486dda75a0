import Foundation
import Kernels
import Testing
@testable import Encoder

/// all-MiniLM-L6-v2 against sentence-transformers on the texts of scripts/reference/encoder_fixtures.py:
/// short, long beyond 256 tokens, non-ASCII. The model comes from scripts/setup.sh; a missing model
/// fails the test.
struct MiniLMParityTests {
    let texts: [String]
    let ids: [[Int32]]
    let expected: [Float]
    let encoder: SentenceEncoder

    init() throws {
        texts = try Fixtures.json("minilm_texts.json", as: [String].self)
        ids = try Fixtures.json("minilm_ids.json", as: [[Int32]].self)
        expected = try Fixtures.float32("minilm_embeddings.bin")
        encoder = try SentenceEncoder(modelDirectory: Fixtures.miniLM)
    }

    @Test func fixturesCoverLongAndShortTexts() {
        #expect(texts.count >= 300)
        #expect(ids.filter { $0.count == 256 }.count >= 10)
        #expect(expected.count == texts.count * 384)
    }

    @Test func modelDirectoryFollowsSentenceTransformers() {
        #expect(encoder.maxLength == 256)
        #expect(encoder.directory.pooling == .mean)
        #expect(encoder.directory.normalize)
        #expect(encoder.dimension == 384)
    }

    @Test func tokenIDsEqualHuggingFace() {
        let ours = encoder.tokenize(texts)
        for i in texts.indices where ours[i] != ids[i] {
            Issue.record("text \(i) \(texts[i].prefix(60).debugDescription): ids differ")
        }
    }

    /// The lowest cosine and the largest absolute difference between `ours` (texts x 384) and the
    /// sentence-transformers embeddings.
    func agreement(_ ours: [Float]) -> (cosine: Double, maxAbs: Float) {
        var worst = 1.0, worstAbs: Float = 0
        for i in texts.indices {
            let a = ours[(i * 384)..<((i + 1) * 384)], b = expected[(i * 384)..<((i + 1) * 384)]
            worst = min(worst, cosine(a, b))
            worstAbs = max(worstAbs, maxAbsDifference(a, b))
        }
        return (worst, worstAbs)
    }

    @Test(arguments: [1, 2])
    func embeddingsEqualSentenceTransformers(threads: Int) {
        let (worst, worstAbs) = agreement(encoder.encode(tokenIDs: ids, batchSize: 32, threads: threads))
        #expect(worst >= 0.99999)
        #expect(worstAbs <= 1e-4)
    }

    /// One text per call: every call is below `FrozenLinear.packingRows`, so the Linears run OpenBLAS
    /// on the weights as they lie and are never packed (a query's path), within the same tolerance.
    @Test func oneTextAtATimeEqualsSentenceTransformersWithoutPacking() {
        let (worst, worstAbs) = agreement(encoder.encode(tokenIDs: ids, batchSize: 1, threads: 1))
        #expect(worst >= 0.99999)
        #expect(worstAbs <= 1e-4)
        #expect(encoder.model.layers.allSatisfy { layer in layer.linears.allSatisfy { !$0.isPacked } })
    }

    /// A batch large enough packs every Linear (where the CPU runs the packed kernel); an encoder
    /// made with `.atLoad` has them packed before its first call.
    @Test func largeCallsPackAndAtLoadPacksAtOnce() throws {
        let packs = PackedLinear.isAvailable
        let longest = Array(ids.sorted { $0.count > $1.count }.prefix(4))
        #expect(longest.map(\.count).reduce(0, +) >= FrozenLinear.packingRows)
        _ = encoder.encode(tokenIDs: longest, batchSize: 4)
        #expect(encoder.model.layers.allSatisfy { layer in layer.linears.allSatisfy { $0.isPacked == packs } })
        let eager = try SentenceEncoder(modelDirectory: Fixtures.miniLM, packing: .atLoad)
        #expect(eager.model.layers.allSatisfy { layer in layer.linears.allSatisfy { $0.isPacked == packs } })
        let small = Array(ids.prefix(3))
        #expect(maxAbsDifference(eager.encode(tokenIDs: small, batchSize: 1), encoder.encode(tokenIDs: small, batchSize: 1)) <= 1e-5)
    }

    @Test func batchSizeDoesNotChangeEmbeddings() {
        let few = Array(ids.prefix(40))
        let one = encoder.encode(tokenIDs: few, batchSize: 1)
        let many = encoder.encode(tokenIDs: few, batchSize: 16)
        #expect(maxAbsDifference(one, many) <= 1e-5)
    }
}

/// Two encoders in one process at once, with different thread counts (one batch on two threads:
/// its matrix products split; many batches on one), give exactly what each gives alone.
@Suite struct ConcurrentEncoderTests {
    @Test func twoEncodersAtOnceGiveTheirOwnResults() throws {
        let ids = Array(try Fixtures.json("minilm_ids.json", as: [[Int32]].self).prefix(48))
        let first = try SentenceEncoder(modelDirectory: Fixtures.miniLM)
        let second = try SentenceEncoder(modelDirectory: Fixtures.miniLM)
        let aloneA = first.encode(tokenIDs: ids, batchSize: 64, threads: 2)
        let aloneB = second.encode(tokenIDs: ids, batchSize: 8, threads: 1)
        nonisolated(unsafe) var together: [[Float]] = [[], []]
        let group = DispatchGroup()
        let runs: [@Sendable () -> [Float]] = [
            { first.encode(tokenIDs: ids, batchSize: 64, threads: 2) },
            { second.encode(tokenIDs: ids, batchSize: 8, threads: 1) },
        ]
        for slot in 0..<2 {
            let run = runs[slot]
            group.enter()
            Thread.detachNewThread {
                var last: [Float] = []
                for _ in 0..<3 { last = run() }
                together[slot] = last
                group.leave()
            }
        }
        group.wait()
        #expect(together[0] == aloneA)
        #expect(together[1] == aloneB)
    }
}
