import Kernels
import Tensor

/// The frozen base of a Linear in LoRA training, laid out for the packed AVX-512 kernel
/// (`PackedLinear`), forward and backward side by side:
///   forward   out (N, OC) = inp (N, C) W^T + b (+ residual (N, OC))   through a packed copy of W (OC, C);
///   backward  dinp (N, C) += dout (N, OC) W                            through a packed copy of W^T (C, OC),
/// the same kernel with the roles of C and OC swapped and dinp as its residual.
/// There is no weight gradient: a base trained in full fine-tuning changes every step and keeps `Linear`.
/// Measured against OpenBLAS's sgemm on the same products: see `scripts/bench/train.sh`.
///
/// Sizes: N tokens, C input channels, OC output channels.
public final class PackedFrozenLinear: @unchecked Sendable {
    let product: PackedLinear
    let transposed: PackedLinear

    /// Packs `weights` (its values must not change afterwards); nil where the CPU (or EMBEDTUNE_CPU)
    /// rules out AVX-512, unless `fastPathOnly` is false (tests: the kernel's plain C loop then runs).
    init?(_ weights: LinearParameters, fastPathOnly: Bool = true) {
        let c = weights.inFeatures, oc = weights.outFeatures
        guard let product = PackedLinear(
            weight: weights.weight, bias: weights.bias, inFeatures: c, outFeatures: oc, fastPathOnly: fastPathOnly)
        else { return nil }
        // W^T (C, OC), the weight of the backward product.
        var wt = [Float](repeating: 0, count: c * oc)
        for o in 0..<oc {
            for i in 0..<c { wt[i * oc + o] = weights.weight[o * c + i] }
        }
        guard let transposed = wt.withUnsafeBufferPointer({ w in
            w.baseAddress.flatMap {
                PackedLinear(weight: $0, bias: nil, inFeatures: oc, outFeatures: c, fastPathOnly: fastPathOnly)
            }
        }) else { return nil }
        self.product = product
        self.transposed = transposed
    }

    /// One per Linear of each layer of `parameters`; nil where the CPU rules out AVX-512.
    static func layers(of parameters: BertParameters) -> [BertLinears<PackedFrozenLinear>]? {
        var layers: [BertLinears<PackedFrozenLinear>] = []
        for layer in parameters.layers {
            guard let packed = try? BertLinears<PackedFrozenLinear>({ linear in
                guard let p = PackedFrozenLinear(layer[linear]) else { throw Unavailable() }
                return p
            }) else { return nil }
            layers.append(packed)
        }
        return layers
    }

    private struct Unavailable: Error {}

    /// out (N, OC) = inp (N, C) W^T + b (+ residual (N, OC), which may be `out`). Overwrites `out`.
    func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, residual: UnsafePointer<Float>?, n: Int, threads: Int
    ) {
        product.forward(out: out, inp: inp, n: n, threads: threads, residual: residual)
    }

    /// dinp (N, C) += dout (N, OC) W.
    func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, n: Int, threads: Int) {
        transposed.forward(out: dinp, inp: dout, n: n, threads: threads, residual: dinp)
    }
}
