import Tensor

/// Gradient buffers of one layer's backward, reused by every layer. Each is written over by its first
/// use in a layer, so none is zeroed.
public final class LayerGradientScratch: @unchecked Sendable {
    let dSum = Tensor(zeros: [0])  // (N, C) gradient of a pre-LayerNorm sum
    let dNormed = Tensor(zeros: [0])  // (N, C) gradient of BertSelfOutput's output h
    let dActivated = Tensor(zeros: [0])  // (N, I) gradient of GELU's output, then (in place) of its input
    let dContext = Tensor(zeros: [0])  // (N, C)
    let dq = Tensor(zeros: [0]), dk = Tensor(zeros: [0]), dv = Tensor(zeros: [0])  // (N, C)

    public init() {}

    func resize(n: Int, c: Int, intermediateSize: Int) {
        for t in [dSum, dNormed, dContext, dq, dk, dv] { t.reshape([n, c]) }
        dActivated.reshape([n, intermediateSize])
    }
}
