import Tensor

/// Buffers of the inference path (`BertModel.encode`), sized to the largest batch seen and reused;
/// one workspace per concurrent caller.
public final class InferenceWorkspace: @unchecked Sendable {
    let hidden = Tensor(zeros: [0])  // (N, C) the embeddings, then each layer's output in place
    let embeddingSum = Tensor(zeros: [0])  // (N, C)
    let layer = InferenceLayerBuffers()
    let pooled = Tensor(zeros: [0])  // (B, C)
    let norms = Tensor(zeros: [0])  // (B)

    public init() {}

    func resize(n: Int, b: Int, config: BertConfig) {
        hidden.reshape([n, config.hiddenSize])
        embeddingSum.reshape([n, config.hiddenSize])
        layer.resize(n: n, c: config.hiddenSize, intermediateSize: config.intermediateSize)
        pooled.reshape([b, config.hiddenSize])
        norms.reshape([b])
    }
}

/// The intermediate buffers of one frozen `BertLayer` forward, shared by every layer.
final class InferenceLayerBuffers: @unchecked Sendable {
    let q = Tensor(zeros: [0])  // (N, C)
    let k = Tensor(zeros: [0])  // (N, C)
    let v = Tensor(zeros: [0])  // (N, C)
    let context = Tensor(zeros: [0])  // (N, C)
    let sum = Tensor(zeros: [0])  // (N, C) a pre-LayerNorm sum (BertSelfOutput, then BertOutput)
    let normed = Tensor(zeros: [0])  // (N, C) BertSelfOutput's output h
    let intermediate = Tensor(zeros: [0])  // (N, I) after GELU

    func resize(n: Int, c: Int, intermediateSize: Int) {
        for t in [q, k, v, context, sum, normed] { t.reshape([n, c]) }
        intermediate.reshape([n, intermediateSize])
    }
}
