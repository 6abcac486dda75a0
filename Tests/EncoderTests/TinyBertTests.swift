import Foundation
import Kernels
import Tensor
import Testing
@testable import Encoder

/// A random 2-layer BERT (hidden 32, 4 heads) saved by scripts/reference/encoder_fixtures.py with
/// transformers; its hidden states after every layer were computed by `BertModel(..., output_hidden_states=True)`.
struct TinyBertTests {
    struct IO: Decodable {
        var sequences: [[Int32]]
        var typeIds: [[Int32]]
        var hiddenStates: [[[Float]]]  // (layers + 1, B, L_b * C)
        var pooled: [String: [Float]]
        var sentenceEmbeddings: [Float]
    }

    let io: IO
    let directory: ModelDirectory
    let parameters: BertParameters

    init() throws {
        io = try Fixtures.json("tiny_bert_io.json", as: IO.self)
        directory = try ModelDirectory(url: Fixtures.tinyBert)
        parameters = try directory.loadParameters()
    }

    @Test func directoryFilesAreRead() {
        #expect(directory.config.hiddenSize == 32)
        #expect(directory.config.numHiddenLayers == 2)
        #expect(directory.pooling == .mean)
        #expect(directory.normalize)
        #expect(directory.maxSequenceLength == 48)  // sentence_bert_config.json wins over 64
    }

    @Test func everyLayerMatchesTransformers() {
        let batch = PackedBatch(sequences: io.sequences, typeIds: io.typeIds)
        let n = batch.tokenCount, c = 32
        let x = Tensor(zeros: [n, c]), sum = Tensor(zeros: [n, c])
        batch.ids.withUnsafeBufferPointer { ids in
            batch.typeIds.withUnsafeBufferPointer { types in
                batch.positions.withUnsafeBufferPointer { positions in
                    BertEmbeddings.forward(
                        out: x.pointer, sum: sum.pointer,
                        ids: ids.baseAddress!, typeIds: types.baseAddress!, positions: positions.baseAddress!,
                        weights: FrozenBertWeights(parameters), n: n)
                }
            }
        }
        #expect(maxAbsDifference(x.array, io.hiddenStates[0].flatMap { $0 }) <= 1e-5)
        let acts = LayerActivations()
        for (l, layer) in parameters.layers.enumerated() {
            batch.offsets.withUnsafeBufferPointer { offsets in
                acts.resize(
                    n: n, c: c, intermediateSize: 64,
                    probabilityCount: Attention.probabilitiesCount(offsets: offsets.baseAddress!, b: batch.batchSize, nh: 4))
                var options = TrainingOptions(adapter: nil, hiddenDropout: 0, seed: 0)
                BertLayer.forward(
                    acts: acts, input: x.pointer, weights: layer, layer: l, options: &options,
                    offsets: offsets.baseAddress!,
                    b: batch.batchSize, n: n, config: directory.config, threads: 2)
            }
            x.pointer.update(from: acts.output.pointer, count: n * c)
            let expected = io.hiddenStates[l + 1].flatMap { $0 }
            #expect(maxAbsDifference(x.array, expected) <= 1e-5, "layer \(l)")
        }
    }

    @Test func everyFrozenLayerMatchesTransformers() throws {
        let frozen = try directory.loadFrozenWeights()
        let batch = PackedBatch(sequences: io.sequences, typeIds: io.typeIds)
        let n = batch.tokenCount
        let workspace = InferenceWorkspace()
        workspace.resize(n: n, b: batch.batchSize, config: directory.config)
        let hidden = workspace.hidden
        batch.ids.withUnsafeBufferPointer { ids in
            batch.typeIds.withUnsafeBufferPointer { types in
                batch.positions.withUnsafeBufferPointer { positions in
                    BertEmbeddings.forward(
                        out: hidden.pointer, sum: workspace.embeddingSum.pointer,
                        ids: ids.baseAddress!, typeIds: types.baseAddress!, positions: positions.baseAddress!,
                        weights: frozen, n: n)
                }
            }
        }
        for (l, weights) in frozen.layers.enumerated() {
            batch.offsets.withUnsafeBufferPointer { offsets in
                BertLayer.forward(
                    hidden: hidden.pointer, buffers: workspace.layer, layer: FrozenBertLayer(weights: weights),
                    offsets: offsets.baseAddress!, b: batch.batchSize, n: n, config: directory.config, threads: 2)
            }
            let expected = io.hiddenStates[l + 1].flatMap { $0 }
            #expect(maxAbsDifference(hidden.array, expected) <= 1e-5, "layer \(l)")
        }
    }

    @Test(arguments: [("mean", PoolingMode.mean), ("cls", .cls), ("max", .max), ("mean_sqrt_len_tokens", .meanSqrtLength)])
    func poolingMatchesSentenceTransformers(name: String, mode: PoolingMode) throws {
        let model = BertModel(parameters: parameters, pooling: mode, normalize: false)
        let batch = PackedBatch(sequences: io.sequences, typeIds: io.typeIds)
        var out = [Float](repeating: 0, count: batch.batchSize * 32)
        out.withUnsafeMutableBufferPointer { model.encode(batch, into: $0.baseAddress!, workspace: InferenceWorkspace(), threads: 1) }
        let expected = try #require(io.pooled[name])
        #expect(maxAbsDifference(out, expected) <= 1e-5)
    }

    @Test func sentenceEmbeddingsMatchTheWholeDirectoryInSentenceTransformers() {
        let model = BertModel(parameters: parameters, pooling: directory.pooling, normalize: directory.normalize)
        let batch = PackedBatch(sequences: io.sequences, typeIds: io.typeIds)
        var out = [Float](repeating: 0, count: batch.batchSize * 32)
        out.withUnsafeMutableBufferPointer { model.encode(batch, into: $0.baseAddress!, workspace: InferenceWorkspace(), threads: 2) }
        #expect(maxAbsDifference(out, io.sentenceEmbeddings) <= 1e-5)
    }
}
