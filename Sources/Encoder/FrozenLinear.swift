import Kernels
import Tensor

/// Work on rows lo..<hi of a product's output, run right after the product (a LayerNorm).
typealias RowEpilogue = (_ lo: Int, _ hi: Int) -> Void

/// One Linear of the frozen inference path: the AVX-512 `PackedLinear` when the CPU runs it, else
/// `Linear` (OpenBLAS) on the weights. No adapter (an adapter is merged before inference), no
/// dropout, nothing kept for backward.
///
/// Sizes: N tokens, C input channels, OC output channels.
struct FrozenLinear: @unchecked Sendable {
    let weights: LinearParameters
    /// nil where the CPU (or EMBEDTUNE_CPU) rules out AVX-512.
    let packed: PackedLinear?

    /// Packs the weights when the CPU runs `PackedLinear`; they must not change afterwards.
    init(weights: LinearParameters) {
        self.weights = weights
        packed = PackedLinear(
            weight: weights.weight, bias: weights.bias, inFeatures: weights.inFeatures, outFeatures: weights.outFeatures)
    }

    /// out (N, OC) = activation(inp (N, C) W^T + b (+ residual (N, OC))), then `epilogue` over the rows.
    /// The packed kernel adds the residual and applies the activation in its accumulators and runs
    /// `epilogue` per row block while the rows are in cache; `Linear` adds and activates after the
    /// product and runs `epilogue` once over (0, n).
    func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int,
        residual: UnsafePointer<Float>? = nil, activation: PackedLinear.Activation = .identity,
        epilogue: RowEpilogue? = nil
    ) {
        if let packed {
            packed.forward(
                out: out, inp: inp, n: n, threads: threads, residual: residual, activation: activation,
                epilogue: epilogue)
            return
        }
        let oc = weights.outFeatures
        Linear.forward(out: out, inp: inp, weight: weights.weight, bias: weights.bias, n: n, c: weights.inFeatures, oc: oc)
        if let residual { VectorOps.add(residual, into: out, n * oc) }
        switch activation {
        case .identity: break
        case .gelu: GELU.forward(out: out, inp: out, count: n * oc)
        }
        epilogue?(0, n)
    }
}
