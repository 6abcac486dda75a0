import Foundation
import Kernels
import Testing
@testable import Encoder

/// all-MiniLM-L6-v2 in bf16 and int8 (`InferencePrecision`) against sentence-transformers' float32
/// embeddings of the fixture texts (scripts/reference/encoder_fixtures.py), on whichever CPU path
/// EMBEDTUNE_CPU leaves (CI runs this suite under portable and avx2 too). The targets of issue 18:
/// bf16 minimum cosine 0.999; int8 minimum 0.995 and mean 0.999.
struct ReducedPrecisionParityTests {
    let ids: [[Int32]]
    let expected: [Float]

    init() throws {
        ids = try Fixtures.json("minilm_ids.json", as: [[Int32]].self)
        expected = try Fixtures.float32("minilm_embeddings.bin")
    }

    /// The lowest and the mean cosine of `ours` (texts x 384) to the sentence-transformers embeddings.
    func cosines(_ ours: [Float]) -> (minimum: Double, mean: Double) {
        let all = ids.indices.map { i in
            cosine(ours[(i * 384)..<((i + 1) * 384)], expected[(i * 384)..<((i + 1) * 384)])
        }
        return (all.min() ?? 0, all.reduce(0, +) / Double(all.count))
    }

    func encoder(_ precision: InferencePrecision) throws -> SentenceEncoder {
        try SentenceEncoder(modelDirectory: Fixtures.miniLM, precision: precision)
    }

    @Test func bf16EmbeddingsStayWithinCosine0999() throws {
        let (minimum, mean) = cosines(try encoder(.bf16).encode(tokenIDs: ids, batchSize: 32, threads: 2))
        #expect(minimum >= 0.999, "bf16: minimum cosine \(minimum), mean \(mean)")
    }

    @Test func int8EmbeddingsStayWithinCosine0995AndMean0999() throws {
        let (minimum, mean) = cosines(try encoder(.int8).encode(tokenIDs: ids, batchSize: 32, threads: 2))
        #expect(minimum >= 0.995, "int8: minimum cosine \(minimum), mean \(mean)")
        #expect(mean >= 0.999, "int8: minimum cosine \(minimum), mean \(mean)")
    }

    /// A reduced-precision call takes its format whatever its size: a one-text call (below
    /// `FrozenLinear.packingRows`) gives what the text gives in a batch, never packs the float32
    /// copy, and the batch size changes nothing beyond float rounding.
    @Test(arguments: [InferencePrecision.bf16, .int8])
    func everyCallRunsTheChosenFormat(precision: InferencePrecision) throws {
        let model = try encoder(precision)
        let few = Array(ids.prefix(24))
        let one = model.encode(tokenIDs: few, batchSize: 1)
        let batched = model.encode(tokenIDs: few, batchSize: 24)
        #expect(maxAbsDifference(one, batched) <= 1e-5)
        #expect(model.model.layers.allSatisfy { layer in layer.linears.allSatisfy { !$0.isPacked } })
        #expect(model.model.layers.allSatisfy { layer in
            BertLinear.allCases.allSatisfy { layer.linears[$0].precision == precision.format(of: $0) }
        })
    }

    /// fp32 keeps the fingerprint stores already hold; bf16 and int8 add a suffix, read back by
    /// `ModelFingerprint.precision(in:)`.
    @Test func theFingerprintRecordsThePrecision() throws {
        let fp32 = try encoder(.fp32).fingerprint(weightsHash: 0x1234)
        #expect(fp32.description == "w0000000000001234-mean-norm-len256-dim384")
        #expect(fp32 == ModelFingerprint(weightsHash: 0x1234, pooling: "mean", normalize: true, maxLength: 256, dimension: 384))
        for precision in [InferencePrecision.bf16, .int8] {
            let reduced = try encoder(precision).fingerprint(weightsHash: 0x1234)
            #expect(reduced.description == fp32.description + "-" + precision.rawValue)
            #expect(ModelFingerprint.precision(in: reduced.description) == precision)
            let truncated = ModelFingerprint(
                weightsHash: 1, pooling: "mean", normalize: true, maxLength: 256, dimension: 384, truncation: 64,
                precision: precision)
            #expect(truncated.description.hasSuffix("-trunc64-" + precision.rawValue))
            #expect(ModelFingerprint.precision(in: truncated.description) == precision)
        }
        #expect(ModelFingerprint.precision(in: fp32.description) == .fp32)
        #expect(ModelFingerprint.precision(in: fp32.description + "-trunc64") == .fp32)
    }
}
