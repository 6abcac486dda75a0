import Kernels
import Tensor

/// `BertModel` (transformers' modeling_bert.py) followed by sentence-transformers' Pooling and optional
/// Normalize: token ids → one embedding per sequence.
public final class BertModel: @unchecked Sendable {
    public let parameters: BertParameters
    public let pooling: PoolingMode
    public let normalize: Bool
    public var config: BertConfig { parameters.config }
    public var dimension: Int { config.hiddenSize }

    /// Per layer, its six linears packed for `PackedLinear` (nil where the CPU lacks AVX-512: the
    /// general `Linear` runs instead). The parameters are frozen from here on.
    let packedLayers: [[PackedLinear]]?

    public init(parameters: BertParameters, pooling: PoolingMode, normalize: Bool) {
        self.parameters = parameters
        self.pooling = pooling
        self.normalize = normalize
        var packed: [[PackedLinear]]? = []
        for layer in parameters.layers {
            let linears = layer.linears.compactMap { w in
                PackedLinear(weight: w.weight, bias: w.bias, inFeatures: w.inFeatures, outFeatures: w.outFeatures)
            }
            guard linears.count == layer.linears.count else { packed = nil; break }
            packed?.append(linears)
        }
        packedLayers = packed
    }

    /// The frozen, forward-only path: out (B, C) embeddings of a packed batch. Keeps no activations;
    /// `workspace` buffers are reused across calls (one workspace per concurrent caller).
    public func encode(
        _ batch: PackedBatch, into out: UnsafeMutablePointer<Float>, workspace: InferenceWorkspace, threads: Int
    ) {
        let n = batch.tokenCount, b = batch.batchSize, c = config.hiddenSize
        precondition(b > 0 && n >= b, "every sequence needs at least one token")
        batch.offsets.withUnsafeBufferPointer { offsetsBuffer in
            guard let offsets = offsetsBuffer.baseAddress else { return }
            let probs = Attention.probabilitiesCount(offsets: offsets, b: b, nh: config.numAttentionHeads)
            workspace.resize(n: n, b: b, config: config, probabilityCount: probs)
            let acts = workspace.layer
            batch.ids.withUnsafeBufferPointer { ids in
                batch.typeIds.withUnsafeBufferPointer { types in
                    batch.positions.withUnsafeBufferPointer { positions in
                        guard let ids = ids.baseAddress, let types = types.baseAddress,
                            let positions = positions.baseAddress
                        else { return }
                        var rng = SplitMix64(seed: 0)
                        BertEmbeddings.forward(
                            out: acts.output.pointer, sum: workspace.embeddingSum.pointer, mean: nil, rstd: nil,
                            ids: ids, typeIds: types, positions: positions, weights: parameters, rng: &rng, n: n)
                    }
                }
            }
            var options = TrainingOptions.inference
            for (l, layer) in parameters.layers.enumerated() {
                BertLayer.forward(
                    acts: acts, input: acts.output.pointer, weights: layer, layer: l, options: &options,
                    offsets: offsets, b: b, n: n, config: config, threads: threads, packed: packedLayers?[l])
            }
            if normalize {
                Pooling.forward(
                    out: workspace.pooled.pointer, argmax: nil, inp: acts.output.pointer, offsets: offsets,
                    mode: pooling, b: b, c: c)
                L2Normalize.forward(
                    out: out, norms: workspace.norms.pointer, inp: workspace.pooled.pointer, b: b, c: c)
            } else {
                Pooling.forward(
                    out: out, argmax: nil, inp: acts.output.pointer, offsets: offsets, mode: pooling, b: b, c: c)
            }
        }
    }
}

/// Buffers of the inference path, sized to the largest batch seen and reused.
public final class InferenceWorkspace: @unchecked Sendable {
    let layer = LayerActivations(keepsStatistics: false)
    let embeddingSum = Tensor(zeros: [0])  // (N, C)
    let pooled = Tensor(zeros: [0])  // (B, C)
    let norms = Tensor(zeros: [0])  // (B)

    public init() {}

    func resize(n: Int, b: Int, config: BertConfig, probabilityCount: Int) {
        layer.resize(n: n, c: config.hiddenSize, intermediateSize: config.intermediateSize,
                     probabilityCount: probabilityCount)
        embeddingSum.reshape([n, config.hiddenSize])
        pooled.reshape([b, config.hiddenSize])
        norms.reshape([b])
    }
}
