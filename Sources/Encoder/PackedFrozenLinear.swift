import Kernels
import Tensor

/// The frozen base of a Linear in LoRA training, laid out for a packed kernel — float32
/// (`PackedLinear`, AVX-512 or AVX2) or bf16 (`BF16Linear`: bf16 weights and activations, float32 sums, for
/// `train --precision bf16`) — forward and backward side by side:
///   forward   out (N, OC) = inp (N, C) W^T + b (+ residual (N, OC))   through a packed copy of W (OC, C);
///   backward  dinp (N, C) += dout (N, OC) W                            through a packed copy of W^T (C, OC),
/// the same kernel with the roles of C and OC swapped and dinp as its residual.
/// There is no weight gradient: a base trained in full fine-tuning changes every step and keeps `Linear`.
/// Measured against OpenBLAS's sgemm on the same products: see `scripts/bench/train.sh`.
///
/// Sizes: N tokens, C input channels, OC output channels.
public final class PackedFrozenLinear: @unchecked Sendable {
    let product: any FrozenProduct
    let transposed: any FrozenProduct

    /// Packs `weights` (its values must not change afterwards) in `precision` (fp32 or bf16). fp32 is
    /// nil where the CPU (or EMBEDTUNE_CPU) rules out both of its kernels, unless `fastPathOnly` is false (tests:
    /// the kernel's plain C loop then runs); bf16 has a path on every CPU.
    init?(_ weights: LinearParameters, precision: InferencePrecision = .fp32, fastPathOnly: Bool = true) {
        precondition(precision != .int8, "training products are fp32 or bf16")
        let c = weights.inFeatures, oc = weights.outFeatures
        func make(_ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ c: Int, _ oc: Int) -> (any FrozenProduct)? {
            switch precision {
            case .bf16: BF16Linear(weight: w, bias: bias, inFeatures: c, outFeatures: oc)
            case .fp32, .int8: PackedLinear(weight: w, bias: bias, inFeatures: c, outFeatures: oc, fastPathOnly: fastPathOnly)
            }
        }
        guard let product = make(weights.weight, weights.bias, c, oc) else { return nil }
        // W^T (C, OC), the weight of the backward product.
        var wt = [Float](repeating: 0, count: c * oc)
        for o in 0..<oc {
            for i in 0..<c { wt[i * oc + o] = weights.weight[o * c + i] }
        }
        guard let transposed = wt.withUnsafeBufferPointer({ w in w.baseAddress.flatMap { make($0, nil, oc, c) } }) else {
            return nil
        }
        self.product = product
        self.transposed = transposed
    }

    /// One per Linear of each layer of `parameters`, in `precision`; nil where the CPU rules out the
    /// fp32 kernels (AVX-512, AVX2).
    static func layers(of parameters: BertParameters, precision: InferencePrecision) -> [BertLinears<PackedFrozenLinear>]? {
        var layers: [BertLinears<PackedFrozenLinear>] = []
        for layer in parameters.layers {
            guard let packed = try? BertLinears<PackedFrozenLinear>({ linear in
                guard let p = PackedFrozenLinear(layer[linear], precision: precision) else { throw Unavailable() }
                return p
            }) else { return nil }
            layers.append(packed)
        }
        return layers
    }

    private struct Unavailable: Error {}

    /// The packed products of W and W^T, for `PackedLoRA` (float32 or bf16); nil where `LowRank`'s
    /// kernels do not run their AVX-512 or AVX2 code (then OpenBLAS's sgemm is the faster way to LoRA's products).
    var lowRankProducts: (forward: any LowRankProduct, backward: any LowRankProduct)? {
        guard LowRank.isFast, let forward = product as? any LowRankProduct,
              let backward = transposed as? any LowRankProduct else { return nil }
        return (forward, backward)
    }

    /// out (N, OC) = inp (N, C) W^T + b (+ residual (N, OC), which may be `out`). Overwrites `out`.
    func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, residual: UnsafePointer<Float>?, n: Int, threads: Int
    ) {
        product.forward(out: out, inp: inp, n: n, threads: threads, residual: residual, activation: .identity, epilogue: nil)
    }

    /// dinp (N, C) += dout (N, OC) W; with `overwrite`, dinp = dout W.
    func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, n: Int, threads: Int, overwrite: Bool = false) {
        transposed.forward(
            out: dinp, inp: dout, n: n, threads: threads, residual: overwrite ? nil : dinp, activation: .identity,
            epilogue: nil)
    }
}
