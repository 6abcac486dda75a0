import Kernels
import Tensor

/// What one `BertLayer`'s training forward keeps for its backward, for N packed tokens, grouped by
/// block. Training keeps one instance per layer; buffers grow to the largest batch seen and are then
/// reused. (The inference path keeps none of this: `InferenceWorkspace`.)
public final class LayerActivations: @unchecked Sendable {
    // BertSelfAttention
    public let q = Tensor(zeros: [0])  // (N, C)
    public let k = Tensor(zeros: [0])  // (N, C)
    public let v = Tensor(zeros: [0])  // (N, C)
    public let probs = Tensor(zeros: [0])  // (sum_b NH * L_b * L_b)
    public let context = Tensor(zeros: [0])  // (N, C) attention output before attention.output.dense
    /// The attention-probability dropout of the last forward (its masks are drawn again in backward).
    public var attentionDropout = AttentionDropout.none
    // BertSelfOutput: h = LayerNorm(dropout(dense(context)) + x)
    public let selfOutput = DenseAddNormActivations()
    // BertIntermediate
    public let intermediate = Tensor(zeros: [0])  // (N, I) GELU's derivative at its input (BertIntermediate)
    public let activated = Tensor(zeros: [0])  // (N, I) after GELU
    // BertOutput: out = LayerNorm(dropout(dense(activated)) + h)
    public let layerOutput = DenseAddNormActivations()
    /// Each Linear's LoRA branch (sized only under an adapter).
    public let lora = BertLinears { _ in LoRAActivations() }

    public init() {}

    /// (N, C) the layer's output.
    public var output: Tensor { layerOutput.normed }

    /// Sizes every buffer for `n` tokens and `probabilityCount` attention weights; a LoRA rank sizes
    /// the LoRA buffers, and the dropout flags the masks.
    public func resize(
        n: Int, c: Int, intermediateSize: Int, probabilityCount: Int,
        loraRank: Int = 0, loraDropout: Bool = false, hiddenDropout: Bool = false
    ) {
        for t in [q, k, v, context] { t.reshape([n, c]) }
        probs.reshape([probabilityCount])
        selfOutput.resize(n: n, c: c, hiddenDropout: hiddenDropout)
        intermediate.reshape([n, intermediateSize])
        activated.reshape([n, intermediateSize])
        layerOutput.resize(n: n, c: c, hiddenDropout: hiddenDropout)
        guard loraRank > 0 else { return }
        for linear in BertLinear.allCases {
            lora[linear].xa.reshape([n, loraRank])
            if loraDropout { lora[linear].dropped.reshape([n, linear.inFeatures(hidden: c, intermediate: intermediateSize)]) }
        }
    }
}
