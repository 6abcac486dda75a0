import Kernels
import Tensor

/// out = LayerNorm(dropout(dense(inp)) + residual): the body shared by transformers' BertSelfOutput
/// and BertOutput (modeling_bert.py), which differ only in their sizes and names.
///
/// Sizes: N tokens, C hidden, CI the dense layer's input channels (C or I).
enum DenseAddNorm {
    /// Inference. `sum` (N, C) is overwritten; `out` must not alias `residual`. The packed product adds
    /// the residual in its accumulators and normalises each row block while it is in cache.
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, C)
        sum: UnsafeMutablePointer<Float>,  // (N, C) scratch
        inp: UnsafePointer<Float>,  // (N, CI)
        residual: UnsafePointer<Float>,  // (N, C)
        dense: FrozenLinear, norm: LayerNormParameters, n: Int, threads: Int, eps: Float
    ) {
        let c = dense.weights.outFeatures
        dense.forward(out: sum, inp: inp, n: n, threads: threads, residual: residual) { lo, hi in
            LayerNorm.forward(
                out: out + lo * c, mean: nil, rstd: nil, inp: sum + lo * c, weight: norm.weight, bias: norm.bias,
                n: hi - lo, c: c, eps: eps)
        }
    }

    /// Training: fills `saved` (the sum, its LayerNorm statistics and output, and the dropout mask
    /// when `p` > 0). Without dropout the residual is added right after the base product. The dropout,
    /// the residual and the LayerNorm run on each block of rows the product has just finished, while it
    /// is in cache (draw i of the mask is a function of the generator's state and i alone, so a block
    /// starts its draws at its own offset: the same bits as one pass). When the dense layer itself draws
    /// from `rng` (LoRA dropout), its draws come first, and these steps run once over all rows after it.
    static func forward(
        saved: DenseAddNormActivations, inp: UnsafePointer<Float>, residual: UnsafePointer<Float>,
        dense: AdaptedLinear, norm: LayerNormParameters, hiddenDropout p: Float, rng: inout SplitMix64,
        n: Int, eps: Float
    ) {
        let c = dense.weights.outFeatures
        let sum = saved.sum.pointer, mask = saved.dropMask.pointer, normed = saved.normed.pointer
        let mean = saved.mean.pointer, rstd = saved.rstd.pointer
        let normalize = { (lo: Int, hi: Int) in
            LayerNorm.forward(
                out: normed + lo * c, mean: mean + lo, rstd: rstd + lo, inp: sum + lo * c, weight: norm.weight,
                bias: norm.bias, n: hi - lo, c: c, eps: eps)
        }
        guard p > 0 else {
            dense.forward(out: sum, inp: inp, residual: residual, rng: &rng, n: n, epilogue: normalize)
            return
        }
        // Rows lo..<hi: dropout (its mask drawn from `start` on), the residual, LayerNorm.
        func finish(drawingFrom start: UInt64) -> (_ lo: Int, _ hi: Int) -> Void {
            { lo, hi in
                var blockRNG = SplitMix64.at(draw: lo * c, from: start)
                Dropout.forward(
                    out: sum + lo * c, mask: mask + lo * c, inp: sum + lo * c, p: p, rng: &blockRNG, count: (hi - lo) * c)
                VectorOps.add(residual + lo * c, into: sum + lo * c, (hi - lo) * c)
                normalize(lo, hi)
            }
        }
        let start: UInt64
        if dense.drawsFromGenerator {
            dense.forward(out: sum, inp: inp, rng: &rng, n: n)
            start = rng.state
            finish(drawingFrom: start)(0, n)
        } else {
            start = rng.state
            dense.forward(out: sum, inp: inp, rng: &rng, n: n, epilogue: finish(drawingFrom: start))
        }
        rng = SplitMix64.at(draw: n * c, from: start)
    }

    /// Gradients of the training `forward` from dout (N, C): WRITTEN over dinp (N, CI) and over
    /// dresidual (N, C), ACCUMULATED (+=) into the LayerNorm's `normGrads` and the dense layer's
    /// gradients. `dSum` (N, C) is scratch, overwritten with hidden dropout; dresidual must not alias
    /// dout. Nothing here needs zeroed memory.
    /// `dinpEpilogue(lo, hi)` runs on dinp's rows lo..<hi once they are final (`AdaptedLinear.backward`).
    static func backward(
        dinp: UnsafeMutablePointer<Float>, dresidual: UnsafeMutablePointer<Float>,
        dSum: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
        saved: DenseAddNormActivations, inp: UnsafePointer<Float>, dense: AdaptedLinear,
        norm: LayerNormParameters, normGrads: LayerNormParameters?, hiddenDropout p: Float, n: Int,
        dinpEpilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil
    ) {
        let c = dense.weights.outFeatures
        precondition(UnsafePointer(dresidual) != dout, "DenseAddNorm.backward: dresidual aliases dout")
        // normed = LayerNorm(sum); sum = dropout(dense(inp)) + residual: the gradient of sum is the
        // residual's, written straight into dresidual
        LayerNorm.backward(
            dinp: dresidual, dweight: normGrads?.weight, dbias: normGrads?.bias, dout: dout, inp: saved.sum.pointer,
            weight: norm.weight, mean: saved.mean.pointer, rstd: saved.rstd.pointer, n: n, c: c, overwrite: true)
        // dropout(d) = d · mask  =>  the dense output's gradient is dresidual · mask (into dSum), or
        // dresidual itself without dropout
        var dDense = UnsafePointer(dresidual)
        if p > 0 {
            VectorOps.multiply(dresidual, saved.dropMask.pointer, into: dSum, n * c)
            dDense = UnsafePointer(dSum)
        }
        dense.backward(dinp: dinp, dout: dDense, inp: inp, n: n, overwrite: true, epilogue: dinpEpilogue)
    }
}

/// What the training `DenseAddNorm.forward` keeps for backward.
public final class DenseAddNormActivations: @unchecked Sendable {
    public let sum = Tensor(zeros: [0])  // (N, C) dropout(dense(inp)) + residual, before LayerNorm
    public let dropMask = Tensor(zeros: [0])  // (N, C) when hidden dropout > 0
    public let mean = Tensor(zeros: [0])  // (N)
    public let rstd = Tensor(zeros: [0])  // (N)
    public let normed = Tensor(zeros: [0])  // (N, C) the block's output

    public init() {}

    func resize(n: Int, c: Int, hiddenDropout: Bool) {
        sum.reshape([n, c])
        normed.reshape([n, c])
        mean.reshape([n])
        rstd.reshape([n])
        if hiddenDropout { dropMask.reshape([n, c]) }
    }
}
