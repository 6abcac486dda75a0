import Foundation
import Tensor
import Testing
@testable import Encoder

/// The inference weights read in place from safetensors (`FrozenBertWeights`) against the trainable
/// block (`BertParameters`): the same values, the same fingerprint, computed only when asked for.
@Suite struct FrozenWeightsTests {
    static let tinyAdapter = Fixtures.repositoryRoot.appendingPathComponent("Tests/TrainingTests/Fixtures/tiny_adapter")
    static let miniLMAdapter = Fixtures.repositoryRoot.appendingPathComponent("Tests/TrainingTests/Fixtures/minilm_adapter")

    /// Fingerprints that stores written before the weights were read in place record (computed then
    /// over the flat block); they must not change.
    @Test(arguments: [
        ("tiny", nil, "w38c8e19b206380ff-mean-norm-len48-dim32"),
        ("tiny", "tiny", "w0d9f8f7173dcbe3d-mean-norm-len48-dim32"),
        ("minilm", nil, "w58bda2b23feb1744-mean-norm-len256-dim384"),
        ("minilm", "minilm", "wcc76049e5ca9d7a9-mean-norm-len256-dim384"),
    ])
    func fingerprintsStayThoseStoresRecorded(model: String, adapter: String?, recorded: String) throws {
        let url = model == "tiny" ? Fixtures.tinyBert : Fixtures.miniLM
        let adapterURL = adapter.map { $0 == "tiny" ? Self.tinyAdapter : Self.miniLMAdapter }
        let encoder = try SentenceEncoder(modelDirectory: url, adapterDirectory: adapterURL)
        #expect(encoder.fingerprint.description == recorded)
    }

    /// The streamed hash (tensors where they lie, padding streamed as zeros) equals the hash of the
    /// flat block the trainer builds, for a model alone and with an adapter merged.
    @Test(arguments: [false, true])
    func streamedHashEqualsTheBlockHash(withAdapter: Bool) throws {
        let directory = try ModelDirectory(url: Fixtures.miniLM)
        let parameters = try directory.loadParameters()
        var frozen = try directory.loadFrozenWeights()
        if withAdapter {
            try LoRAAdapter(directory: Self.miniLMAdapter, bert: parameters).merge(into: parameters)
            frozen = try LoRAAdapter(directory: Self.miniLMAdapter, weights: frozen).merged(into: frozen)
        }
        let storage = parameters.block.storage
        let blockHash = ModelFingerprint.hash(
            UnsafeRawBufferPointer(start: storage.pointer, count: storage.count * MemoryLayout<Float>.stride))
        #expect(FrozenBertWeights(parameters).weightsHash() == blockHash)
        #expect(frozen.weightsHash() == blockHash)
    }

    /// Every tensor read in place (or merged into a copy) holds the values the block holds.
    @Test func frozenTensorsHoldTheBlockValues() throws {
        let directory = try ModelDirectory(url: Fixtures.tinyBert)
        let parameters = try directory.loadParameters()
        try LoRAAdapter(directory: Self.tinyAdapter, bert: parameters).merge(into: parameters)
        let loaded = try directory.loadFrozenWeights()
        let frozen = try LoRAAdapter(directory: Self.tinyAdapter, weights: loaded).merged(into: loaded)
        let c = directory.config.hiddenSize
        #expect(Array(UnsafeBufferPointer(start: frozen.wordEmbeddings, count: directory.config.vocabSize * c))
            == Array(UnsafeBufferPointer(start: parameters.wordEmbeddings, count: directory.config.vocabSize * c)))
        for (ours, theirs) in zip(frozen.layers, parameters.layers) {
            for (a, b) in zip(ours.linears, theirs.linears) {
                let count = a.inFeatures * a.outFeatures
                #expect(Array(UnsafeBufferPointer(start: a.weight, count: count))
                    == Array(UnsafeBufferPointer(start: b.weight, count: count)), "\(a.name)")
                #expect(Array(UnsafeBufferPointer(start: a.bias, count: a.outFeatures))
                    == Array(UnsafeBufferPointer(start: b.bias, count: b.outFeatures)), "\(a.name)")
            }
        }
        // The merge copied the weights it changed and left the loaded ones (the mapping) alone.
        let query = try #require(frozen.layers.first?.query), mapped = try #require(loaded.layers.first?.query)
        #expect(query.weight != mapped.weight)
        #expect(query.bias == mapped.bias)
    }

    /// A header padded to an odd length puts every tensor off its 4-byte boundary: those are copied,
    /// with the same values and embeddings as in place.
    @Test func tensorsOffTheirAlignmentAreCopied() throws {
        let directory = try BrokenModelDirectory()
        let file = directory.url.appendingPathComponent("model.safetensors")
        let bytes = try [UInt8](Data(contentsOf: file))
        let length = Int(UInt64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
        let shifted = CraftedFile.littleEndian(UInt64(length + 1)) + bytes[8..<(8 + length)] + [UInt8(ascii: " ")]
            + bytes[(8 + length)...]
        try Data(shifted).write(to: file)
        let texts = ["a few words", "and some more words than that"]
        let expected = try SentenceEncoder(modelDirectory: Fixtures.tinyBert).encode(texts)
        let model = try ModelDirectory(url: directory.url)
        let weights = try model.loadFrozenWeights()
        #expect(Int(bitPattern: weights.wordEmbeddings) % MemoryLayout<Float>.alignment == 0)
        #expect(FrozenBertWeights(try model.loadParameters()).weightsHash() == weights.weightsHash())
        #expect(try SentenceEncoder(modelDirectory: directory.url).encode(texts) == expected)
    }

    /// A NaN or infinite weight is refused when the model loads, naming the file and the tensor.
    @Test(arguments: [Float.nan, .infinity])
    func aNonFiniteWeightIsRefused(bad: Float) throws {
        let directory = try BrokenModelDirectory()
        let name = "encoder.layer.1.output.dense.weight"
        try directory.editWeights { tensors in
            for i in tensors.indices where tensors[i].name == name { tensors[i].values[37] = bad }
        }
        expectModelLoadingError(directory, file: "model.safetensors", mentioning: [name, "finite"])
        #expect(throws: ModelLoadingError.self) { try ModelDirectory(url: directory.url).loadParameters() }
    }

    @Test func encodingNeverHashesTheWeights() throws {
        let encoder = try SentenceEncoder(modelDirectory: Fixtures.tinyBert, dimensions: 8)
        _ = encoder.encode(["a few words", "and some more"])
        #expect(!encoder.model.hasWeightsHash)
        let truncated = encoder.fingerprint
        #expect(encoder.model.hasWeightsHash)
        #expect(truncated.truncation == 8)
        #expect(encoder.untruncated.fingerprint.weightsHash == truncated.weightsHash)
    }

    /// The hash of bytes fed in pieces, cut anywhere (inside words too), equals the one-shot hash.
    @Test func hashingInPiecesEqualsHashingAtOnce() {
        var rng = SplitMix64(seed: 3)
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 100, 1_000] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            bytes.withUnsafeBytes { all in
                let whole = ModelFingerprint.hash(all)
                for _ in 0..<20 {
                    var cuts = (0..<3).map { _ in Int(rng.next() % UInt64(length + 1)) }
                    cuts = ([0] + cuts + [length]).sorted()
                    var hasher = WeightsHasher(byteCount: length)
                    for (lo, hi) in zip(cuts, cuts.dropFirst()) {
                        hasher.update(UnsafeRawBufferPointer(rebasing: all[lo..<hi]))
                    }
                    #expect(hasher.finalize() == whole, "length \(length), cuts \(cuts)")
                }
            }
        }
        let zeros = [UInt8](repeating: 0, count: 10_000)
        var hasher = WeightsHasher(byteCount: 10_003)
        [UInt8(1), 2, 3].withUnsafeBytes { hasher.update($0) }
        hasher.updateZeros(count: 10_000)
        #expect(hasher.finalize() == ([1, 2, 3] + zeros).withUnsafeBytes { ModelFingerprint.hash($0) })
    }

    /// Values of the one-shot hash as it was first written (whole words, an odd last word, a tail):
    /// training-data fingerprints in checkpoints record it.
    @Test func hashKeepsItsValues() {
        for (n, expected) in [(0, 0xBA21_A5B8_5770_9D9D as UInt64), (5, 0x6A0C_CC11_C365_76BF), (37, 0x4411_EAA3_1120_D6FB)] {
            let bytes = (0..<n).map { UInt8($0) }
            #expect(bytes.withUnsafeBytes { ModelFingerprint.hash($0) } == expected, "\(n) bytes")
        }
        #expect(Array("hello world".utf8).withUnsafeBytes { ModelFingerprint.hash($0) } == 0x4A7A_4283_D5D3_9F9F)
    }
}
