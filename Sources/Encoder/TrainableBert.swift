import Kernels
import Tensor

/// The BERT encoder with pooling in training mode: a forward pass that keeps every activation backward
/// needs, and a backward pass from the pooled embeddings' gradients to the trainable parameters —
/// the LoRA adapter (base weights frozen) or, for full fine-tuning, every weight.
///
/// Normalisation is left to the loss (cosine similarity normalises), so `forward` returns pooled,
/// unnormalised embeddings, passed through the frozen `dense` modules when there are any.
/// Sizes: N tokens, B sequences, C hidden, D embedding (the last Dense module's outputs, else C).
public final class TrainableBert: @unchecked Sendable {
    public let parameters: BertParameters
    public let adapter: LoRAAdapter?
    public let pooling: PoolingMode
    public var hiddenDropout: Float
    /// Dropout on the attention probabilities (attention_probs_dropout_prob).
    public var attentionDropout: Float
    /// Frozen Dense modules after pooling (the model's own, then any Matryoshka rotation).
    public var dense: [DenseModule] = []
    /// D: values per embedding `forward` returns.
    public var dimension: Int { dense.last?.outFeatures ?? config.hiddenSize }
    /// Gradients, laid out like the trainable block: `loraGrads` with an adapter, `weightGrads` without.
    public let weightGrads: BertParameters?
    public let loraGrads: LoRAAdapter?
    public var config: BertConfig { parameters.config }

    private let layerActs: [LayerActivations]
    private let scratch = LayerGradientScratch()
    private let embeddingSum = Tensor(zeros: [0])  // (N, C)
    private let embeddingMean = Tensor(zeros: [0])  // (N)
    private let embeddingRstd = Tensor(zeros: [0])  // (N)
    private let embeddingOut = Tensor(zeros: [0])  // (N, C)
    private let embeddingMask = Tensor(zeros: [0])  // (N, C)
    private let pooled = Tensor(zeros: [0])  // (B, C)
    private var argmax: [Int32] = []  // (B, C) for max pooling
    private var denseOutputs: [[Float]] = []  // per Dense module (B, its OC), for tanh's backward
    private let dHiddenA = Tensor(zeros: [0]), dHiddenB = Tensor(zeros: [0])  // (N, C) ping-pong
    private var batch = PackedBatch()
    /// LoRA: the frozen base Linears packed for the products of `precision`, made by the first forward
    /// (nil in full fine-tuning, or in fp32 where the CPU rules the AVX-512 kernel out: OpenBLAS then).
    private let packedBase: OnceValue<[BertLinears<PackedFrozenLinear>]?>
    /// The format of the frozen base's products under LoRA: fp32, or bf16 (bf16 weights and
    /// activations, float32 sums; master weights, gradients, optimizer state and loss stay float32).
    public let precision: InferencePrecision

    /// LoRA training when `adapter` is given (base weights frozen), full fine-tuning otherwise.
    public init(
        parameters: BertParameters, adapter: LoRAAdapter?, pooling: PoolingMode, hiddenDropout: Float,
        attentionDropout: Float = 0, precision: InferencePrecision = .fp32
    ) {
        precondition(precision == .fp32 || (precision == .bf16 && adapter != nil), "bf16 products need a frozen base (LoRA)")
        self.precision = precision
        self.parameters = parameters
        self.adapter = adapter
        self.pooling = pooling
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        if let adapter {
            loraGrads = adapter.zerosLike(bert: parameters)
            weightGrads = nil
        } else {
            loraGrads = nil
            weightGrads = BertParameters(config: parameters.config, block: parameters.block.zerosLike())
        }
        layerActs = parameters.layers.map { _ in LayerActivations() }
        packedBase = OnceValue { [parameters] in
            adapter == nil ? nil : PackedFrozenLinear.layers(of: parameters, precision: precision)
        }
    }

    /// The parameters the optimizer updates and their gradients (same layout).
    public var trainable: ParameterBlock { adapter?.block ?? parameters.block }
    public var gradients: ParameterBlock { loraGrads?.block ?? weightGrads?.block ?? parameters.block }

    public func zeroGradients() { gradients.zero() }

    /// Pooled embeddings (B, D) of a packed batch; keeps activations for `backward`. Dropout masks are
    /// drawn from `seed`, so a forward can be repeated exactly (GradCache runs each chunk twice).
    public func forward(_ batch: PackedBatch, seed: UInt64, threads: Int) -> [Float] {
        self.batch = batch
        let n = batch.tokenCount, b = batch.batchSize, c = config.hiddenSize
        precondition(b > 0 && n >= b, "every sequence needs at least one token")
        var options = TrainingOptions(
            adapter: adapter, hiddenDropout: hiddenDropout, attentionDropout: attentionDropout, seed: seed)
        for t in [embeddingSum, embeddingOut, embeddingMask] { t.reshape([n, c]) }
        embeddingMean.reshape([n])
        embeddingRstd.reshape([n])
        pooled.reshape([b, c])
        argmax = Array(repeating: 0, count: b * c)
        batch.offsets.withUnsafeBufferPointer { offsetsBuffer in
            guard let offsets = offsetsBuffer.baseAddress else { return }
            let probs = Attention.probabilitiesCount(offsets: offsets, b: b, nh: config.numAttentionHeads)
            withTokens(batch) { ids, types, positions in
                BertEmbeddings.forward(
                    out: embeddingOut.pointer, sum: embeddingSum.pointer, mean: embeddingMean.pointer,
                    rstd: embeddingRstd.pointer, dropMask: embeddingMask.pointer, ids: ids, typeIds: types,
                    positions: positions, weights: parameters, dropout: hiddenDropout, rng: &options.rng, n: n)
            }
            var input = embeddingOut
            for (l, layer) in parameters.layers.enumerated() {
                let acts = layerActs[l]
                acts.resize(
                    n: n, c: c, intermediateSize: config.intermediateSize, probabilityCount: probs,
                    loraRank: adapter?.rank ?? 0, loraDropout: (adapter?.config.loraDropout ?? 0) > 0,
                    hiddenDropout: hiddenDropout > 0)
                BertLayer.forward(
                    acts: acts, input: input.pointer, weights: layer, layer: l, options: &options,
                    offsets: offsets, b: b, n: n, config: config, threads: threads, packedBase: packedBase.value?[l])
                input = acts.output
            }
            argmax.withUnsafeMutableBufferPointer { argmax in
                Pooling.forward(
                    out: pooled.pointer, argmax: argmax.baseAddress, inp: input.pointer, offsets: offsets,
                    mode: pooling, b: b, c: c)
            }
        }
        denseOutputs = []
        var embeddings = pooled.array  // (B, D) after the loop
        for module in dense {
            embeddings = DenseModule.apply([module], to: embeddings, b: b, context: ComputeContext(threads: threads))
            denseOutputs.append(embeddings)
        }
        return embeddings
    }

    /// Backpropagates dEmbeddings (B, D), the gradient of the loss with respect to the embeddings of
    /// the last `forward`, ACCUMULATING (+=) into `gradients`. Zero them once per optimizer step.
    public func backward(dPooled dEmbeddings: [Float], threads: Int) {
        let n = batch.tokenCount, b = batch.batchSize, c = config.hiddenSize
        precondition(dEmbeddings.count == b * dimension, "dPooled must be (B, D) of the last forward")
        var dPooled = dEmbeddings  // (B, C) after the loop
        for (i, module) in dense.enumerated().reversed() {
            var dInput = [Float](repeating: 0, count: b * module.inFeatures)
            dPooled.withUnsafeBufferPointer { dout in
                denseOutputs[i].withUnsafeBufferPointer { out in
                    dInput.withUnsafeMutableBufferPointer { dinp in
                        guard let dout = dout.baseAddress, let out = out.baseAddress, let dinp = dinp.baseAddress else { return }
                        module.backward(dinp: dinp, dout: dout, out: out, b: b, context: ComputeContext(threads: threads))
                    }
                }
            }
            dPooled = dInput
        }
        dHiddenA.reshape([n, c])
        dHiddenB.reshape([n, c])
        dHiddenA.zero()
        batch.offsets.withUnsafeBufferPointer { offsetsBuffer in
            guard let offsets = offsetsBuffer.baseAddress else { return }
            dPooled.withUnsafeBufferPointer { dPooled in
                argmax.withUnsafeBufferPointer { argmax in
                    guard let dPooled = dPooled.baseAddress else { return }
                    Pooling.backward(
                        dinp: dHiddenA.pointer, dout: dPooled, argmax: argmax.baseAddress, offsets: offsets,
                        mode: pooling, b: b, c: c)
                }
            }
            var dOutput = dHiddenA, dInput = dHiddenB
            for l in stride(from: parameters.layers.count - 1, through: 0, by: -1) {
                let input = l == 0 ? embeddingOut : layerActs[l - 1].output
                BertLayer.backward(
                    dInput: dInput.pointer, scratch: scratch, dOutput: dOutput.pointer, acts: layerActs[l],
                    input: input.pointer, weights: parameters.layers[l], weightGrads: weightGrads?.layers[l],
                    adapter: adapter, loraGrads: loraGrads, layer: l, hiddenDropout: hiddenDropout,
                    offsets: offsets, b: b, n: n, config: config, threads: threads, packedBase: packedBase.value?[l],
                    inputGradient: l > 0 || weightGrads != nil)
                swap(&dOutput, &dInput)
            }
            if let weightGrads {
                withTokens(batch) { ids, types, positions in
                    BertEmbeddings.backward(
                        grads: weightGrads, scratch: dInput.pointer, dout: dOutput.pointer, sum: embeddingSum.pointer,
                        mean: embeddingMean.pointer, rstd: embeddingRstd.pointer,
                        dropMask: hiddenDropout > 0 ? embeddingMask.pointer : nil, ids: ids, typeIds: types,
                        positions: positions, weights: parameters, dropout: hiddenDropout, n: n)
                }
            }
        }
    }

    private func withTokens(
        _ batch: PackedBatch,
        _ body: (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>) -> Void
    ) {
        batch.ids.withUnsafeBufferPointer { ids in
            batch.typeIds.withUnsafeBufferPointer { types in
                batch.positions.withUnsafeBufferPointer { positions in
                    guard let ids = ids.baseAddress, let types = types.baseAddress,
                        let positions = positions.baseAddress
                    else { return }
                    body(ids, types, positions)
                }
            }
        }
    }
}
