import Kernels
import Tensor

/// The buffers one `BertLayer` writes in its forward pass, for N packed tokens.
///
/// Training keeps one instance per layer, with everything backward needs; inference (the frozen
/// encoding path) passes the same instance to every layer and keeps no statistics — the forward code
/// is the same. Buffers grow to the largest batch seen and are then reused.
public final class LayerActivations: @unchecked Sendable {
    public let keepsStatistics: Bool
    public let q = Tensor(zeros: [0])  // (N, C)
    public let k = Tensor(zeros: [0])  // (N, C)
    public let v = Tensor(zeros: [0])  // (N, C)
    public let probs = Tensor(zeros: [0])  // (sum_b NH * L_b * L_b), kept for backward only
    public let context = Tensor(zeros: [0])  // (N, C) attention output before the output dense
    public let attentionSum = Tensor(zeros: [0])  // (N, C) dropout(dense(context)) + input, before LayerNorm
    public let attentionMean = Tensor(zeros: [0])  // (N)
    public let attentionRstd = Tensor(zeros: [0])  // (N)
    public let attentionNormed = Tensor(zeros: [0])  // (N, C)
    public let intermediate = Tensor(zeros: [0])  // (N, I) before GELU
    public let activated = Tensor(zeros: [0])  // (N, I) after GELU (aliases `intermediate` in inference)
    public let outputSum = Tensor(zeros: [0])  // (N, C) dropout(dense(activated)) + attentionNormed
    public let outputMean = Tensor(zeros: [0])  // (N)
    public let outputRstd = Tensor(zeros: [0])  // (N)
    public let output = Tensor(zeros: [0])  // (N, C) the layer's output
    // Training only:
    public let attentionDropMask = Tensor(zeros: [0])  // (N, C) hidden dropout after attention.output.dense
    public let outputDropMask = Tensor(zeros: [0])  // (N, C) hidden dropout after output.dense
    /// The attention-probability dropout of the last forward (its masks are drawn again in backward).
    public var attentionDropout = AttentionDropout.none
    public let loraXA = (0..<6).map { _ in Tensor(zeros: [0]) }  // 6 × (N, R), per Linear of the layer
    public let loraDropped = (0..<6).map { _ in Tensor(zeros: [0]) }  // 6 × (N, C_in) when LoRA dropout > 0

    public init(keepsStatistics: Bool) { self.keepsStatistics = keepsStatistics }

    /// Sizes every buffer for `n` tokens and `probabilityCount` attention weights; `lora` sizes the
    /// LoRA buffers of a training pass.
    public func resize(
        n: Int, c: Int, intermediateSize: Int, probabilityCount: Int,
        loraRank: Int = 0, loraDropout: Bool = false, hiddenDropout: Bool = false
    ) {
        for t in [q, k, v, context, attentionSum, attentionNormed, outputSum, output] { t.reshape([n, c]) }
        intermediate.reshape([n, intermediateSize])
        if keepsStatistics {
            activated.reshape([n, intermediateSize])
            probs.reshape([probabilityCount])
            for t in [attentionMean, attentionRstd, outputMean, outputRstd] { t.reshape([n]) }
        }
        if hiddenDropout {
            attentionDropMask.reshape([n, c])
            outputDropMask.reshape([n, c])
        }
        if loraRank > 0 {
            let inputs = [c, c, c, c, c, intermediateSize]
            for t in 0..<6 {
                loraXA[t].reshape([n, loraRank])
                if loraDropout { loraDropped[t].reshape([n, inputs[t]]) }
            }
        }
    }

    /// Where GELU writes: a separate buffer when backward needs its input, else in place.
    var activatedPointer: UnsafeMutablePointer<Float> {
        keepsStatistics ? activated.pointer : intermediate.pointer
    }
}
