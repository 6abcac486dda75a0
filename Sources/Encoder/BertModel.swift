import Kernels
import Tensor

/// `BertModel` (transformers' modeling_bert.py) followed by sentence-transformers' Pooling, any Dense
/// modules and optional Normalize: token ids → one embedding per sequence.
public final class BertModel: @unchecked Sendable {
    public let weights: FrozenBertWeights
    public let pooling: PoolingMode
    public let normalize: Bool
    /// Dense modules between pooling and normalisation (`DenseModule`), usually none.
    public let dense: [DenseModule]
    /// The format of the layers' matrix products (`InferencePrecision`).
    public let precision: InferencePrecision
    public var config: BertConfig { weights.config }
    /// Values per embedding: the last Dense module's outputs, else the hidden size.
    public var dimension: Int { dense.last?.outFeatures ?? config.hiddenSize }

    /// Each layer's Linears ready for inference (`FrozenLinear`). The weights are frozen from here on.
    let layers: [FrozenBertLayer]
    /// `FrozenBertWeights.weightsHash`, made on first use: hashing every weight costs more than
    /// encoding a query, and only stores ask for it.
    private let hash: OnceValue<UInt64>

    /// `packing`: when the Linears are laid out for the packed kernel (`LinearPacking`); `precision`:
    /// the format of the layers' products (bf16 and int8 convert every layer's weights here).
    public init(
        weights: FrozenBertWeights, pooling: PoolingMode, normalize: Bool, dense: [DenseModule] = [],
        packing: LinearPacking = .forLargeCalls, precision: InferencePrecision = .fp32
    ) {
        self.weights = weights
        self.pooling = pooling
        self.normalize = normalize
        self.dense = dense
        self.precision = precision
        layers = weights.layers.map { FrozenBertLayer(weights: $0, packing: packing, precision: precision) }
        // Without Dense modules the hash is the weights' alone, as before Dense modules were read.
        hash = OnceValue { dense.reduce(weights.weightsHash()) { $1.hash(seed: $0) } }
    }

    /// The model over `parameters`' block, which must not change afterwards.
    public convenience init(
        parameters: BertParameters, pooling: PoolingMode, normalize: Bool, packing: LinearPacking = .forLargeCalls
    ) {
        self.init(weights: FrozenBertWeights(parameters), pooling: pooling, normalize: normalize, packing: packing)
    }

    /// The hash of the weights the fingerprint records (`FrozenBertWeights.weightsHash`), computed on
    /// the first call, once.
    public var weightsHash: UInt64 { hash.value }

    /// Whether `weightsHash` has been computed yet.
    var hasWeightsHash: Bool { hash.isMade }

    /// The frozen, forward-only path: out (B, D) embeddings (D = `dimension`) of a packed batch. No dropout, no adapter
    /// (merge one first), no activations kept; `workspace` buffers are reused across calls (one
    /// workspace per concurrent caller).
    public func encode(
        _ batch: PackedBatch, into out: UnsafeMutablePointer<Float>, workspace: InferenceWorkspace, threads: Int
    ) {
        let n = batch.tokenCount, b = batch.batchSize, c = config.hiddenSize
        precondition(b > 0 && n >= b, "every sequence needs at least one token")
        workspace.resize(n: n, b: b, config: config)
        let hidden = workspace.hidden.pointer
        batch.offsets.withUnsafeBufferPointer { offsetsBuffer in
            guard let offsets = offsetsBuffer.baseAddress else { return }
            batch.ids.withUnsafeBufferPointer { ids in
                batch.typeIds.withUnsafeBufferPointer { types in
                    batch.positions.withUnsafeBufferPointer { positions in
                        guard let ids = ids.baseAddress, let types = types.baseAddress,
                            let positions = positions.baseAddress
                        else { return }
                        BertEmbeddings.forward(
                            out: hidden, sum: workspace.embeddingSum.pointer, ids: ids, typeIds: types,
                            positions: positions, weights: weights, n: n)
                    }
                }
            }
            for layer in layers {
                BertLayer.forward(
                    hidden: hidden, buffers: workspace.layer, layer: layer, offsets: offsets, b: b, n: n,
                    config: config, threads: threads)
            }
            guard !dense.isEmpty else {
                if normalize {
                    Pooling.forward(
                        out: workspace.pooled.pointer, argmax: nil, inp: hidden, offsets: offsets, mode: pooling, b: b, c: c)
                    L2Normalize.forward(
                        out: out, norms: workspace.norms.pointer, inp: workspace.pooled.pointer, b: b, c: c)
                } else {
                    Pooling.forward(out: out, argmax: nil, inp: hidden, offsets: offsets, mode: pooling, b: b, c: c)
                }
                return
            }
            Pooling.forward(
                out: workspace.pooled.pointer, argmax: nil, inp: hidden, offsets: offsets, mode: pooling, b: b, c: c)
            // (B, D): the Dense modules in order, then the normalisation.
            let projected = DenseModule.apply(
                dense, to: Array(workspace.pooled.buffer), b: b, context: ComputeContext(threads: threads))
            projected.withUnsafeBufferPointer { rows in
                guard let rows = rows.baseAddress else { return }
                if normalize {
                    L2Normalize.forward(out: out, norms: workspace.norms.pointer, inp: rows, b: b, c: dimension)
                } else {
                    out.update(from: rows, count: b * dimension)
                }
            }
        }
    }
}
