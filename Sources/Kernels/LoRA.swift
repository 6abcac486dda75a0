import CSIMD
import Tensor

/// Low-rank adaptation of a frozen Linear (Hu et al. 2021, "LoRA", arXiv:2106.09685) with peft's
/// semantics (peft/tuners/lora/layer.py `Linear.forward`): the frozen layer's output gets
/// `scale * lora_B(lora_A(dropout(x)))` added, with lora_A.weight (R, C) and lora_B.weight (OC, R)
/// and scale = alpha / R (or alpha / √R with rsLoRA; the caller passes the scale).
///
/// Dropout on the LoRA input is inverted dropout with probability `dropout`. The dropped input is
/// saved as x̃ = inp * m with m = 1/(1-p) for kept elements and m = -0.0 for dropped ones, so a
/// dropped element is the zero whose sign is opposite to the input's: backward recovers the mask
/// exactly (kept ⇔ x̃ and inp have the same sign bit) without a separate mask buffer.
///
/// Sizes: N tokens, C input channels, OC output channels, R rank.
public enum LoRA {
    /// out (N, OC) += scale * dropout(inp) @ A^T @ B^T. Saves xa = dropout(inp) @ A^T and, when
    /// dropout > 0, the dropped input in `droppedInput` (required then; nil is fine for dropout 0).
    /// Draws N * C uniforms from `rng` when dropout > 0, none otherwise.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, OC) accumulated into
        xa: UnsafeMutablePointer<Float>,  // (N, R) saved for backward
        droppedInput: UnsafeMutablePointer<Float>?,  // (N, C) saved for backward when dropout > 0
        inp: UnsafePointer<Float>,  // (N, C)
        a: UnsafePointer<Float>,  // (R, C) lora_A.weight
        b: UnsafePointer<Float>,  // (OC, R) lora_B.weight
        scale: Float, dropout: Float, rng: inout SplitMix64,
        n: Int, c: Int, oc: Int, r: Int, context: ComputeContext
    ) {
        precondition(n >= 0 && c > 0 && oc > 0 && r > 0, "LoRA.forward: bad sizes n \(n), c \(c), oc \(oc), r \(r)")
        precondition(dropout >= 0 && dropout < 1, "LoRA.forward: dropout \(dropout) outside [0, 1)")
        var x = inp
        if dropout > 0 {
            guard let droppedInput else { preconditionFailure("LoRA.forward: dropout > 0 needs droppedInput") }
            let keep = 1 / (1 - dropout)
            for i in 0..<(n * c) {
                droppedInput[i] = inp[i] * (rng.nextUniform() < dropout ? -0.0 : keep)
            }
            x = UnsafePointer(droppedInput)
        }
        // xa = x @ A^T ; out += scale * xa @ B^T
        if LowRank.isFast {
            LowRank.down(out: xa, inp: x, down: a, n: n, k: c, r: r, context: context)
            LowRank.up(into: out, inp: xa, up: b, scale: scale, n: n, k: oc, r: r, context: context)
            return
        }
        gemm(.none, .transposed, m: n, n: r, k: c, a: x, b: a, c: xa, context: context)
        gemm(.none, .transposed, m: n, n: oc, k: r, alpha: scale, a: xa, b: b, beta: 1, c: out, context: context)
    }

    /// Gradients of `forward`, ACCUMULATED (+=) into every non-nil gradient (`dinp` nil when the
    /// input needs none). `droppedInput` is what forward saved (nil when dropout is 0).
    public static func backward(
        dinp: UnsafeMutablePointer<Float>?,  // (N, C)
        da: UnsafeMutablePointer<Float>?,  // (R, C)
        db: UnsafeMutablePointer<Float>?,  // (OC, R)
        dout: UnsafePointer<Float>,  // (N, OC)
        xa: UnsafePointer<Float>,  // (N, R)
        droppedInput: UnsafePointer<Float>?,  // (N, C)
        inp: UnsafePointer<Float>,  // (N, C)
        a: UnsafePointer<Float>,  // (R, C)
        b: UnsafePointer<Float>,  // (OC, R)
        scale: Float, dropout: Float,
        n: Int, c: Int, oc: Int, r: Int, context: ComputeContext
    ) {
        precondition(n >= 0 && c > 0 && oc > 0 && r > 0, "LoRA.backward: bad sizes n \(n), c \(c), oc \(oc), r \(r)")
        guard n > 0 else { return }
        var x = inp
        if dropout > 0 {
            guard let droppedInput else { preconditionFailure("LoRA.backward: dropout > 0 needs droppedInput") }
            x = droppedInput
        }
        // The skinny products in `LowRank`'s kernels where they are fast, else OpenBLAS.
        let fast = LowRank.isFast
        // out += scale * xa @ B^T  =>  dB += scale * dout^T @ xa ;  dxa = scale * dout @ B
        if let db {
            if fast {
                LowRank.outer(into: db, ldj: 1, ldk: r, u: xa, v: dout, scale: scale, n: n, k: oc, r: r, context: context)
            } else {
                gemm(.transposed, .none, m: oc, n: r, k: n, alpha: scale, a: dout, b: xa, beta: 1, c: db, context: context)
            }
        }
        guard da != nil || dinp != nil else { return }
        let dxa = UnsafeMutablePointer<Float>.allocate(capacity: n * r)  // (N, R)
        defer { dxa.deallocate() }
        if fast {
            LowRank.down(out: dxa, inp: dout, down: b, transposed: true, scale: scale, n: n, k: oc, r: r, context: context)
        } else {
            gemm(.none, .none, m: n, n: r, k: oc, alpha: scale, a: dout, b: b, c: dxa, context: context)
        }
        // xa = x @ A^T  =>  dA += dxa^T @ x ;  dx = dxa @ A
        if let da {
            if fast {
                LowRank.outer(into: da, ldj: c, ldk: 1, u: dxa, v: x, n: n, k: c, r: r, context: context)
            } else {
                gemm(.transposed, .none, m: r, n: c, k: n, a: dxa, b: x, beta: 1, c: da, context: context)
            }
        }
        guard let dinp else { return }
        if dropout == 0 {
            if fast {
                LowRank.up(into: dinp, inp: dxa, up: a, transposed: true, n: n, k: c, r: r, context: context)
            } else {
                gemm(.none, .none, m: n, n: c, k: r, a: dxa, b: a, beta: 1, c: dinp, context: context)
            }
            return
        }
        // x = inp * m  =>  dinp += dx * m, a block of rows at a time to keep dx in cache.
        let keep = 1 / (1 - dropout)
        let blockRows = 64
        let dx = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * c)  // (64, C)
        defer { dx.deallocate() }
        var row = 0
        while row < n {
            let rows = Swift.min(blockRows, n - row)
            gemm(.none, .none, m: rows, n: c, k: r, a: dxa + row * r, b: a, c: dx, context: context)
            let base = row * c
            embedtune_lora_dropout_backward(dinp + base, dx, x + base, inp + base, keep, rows * c)
            row += rows
        }
    }

    /// Folds the adapter into the frozen weight for inference: weight (OC, C) += scale * B @ A
    /// (peft `merge_and_unload`), in a fixed order (`embedtune_lora_merge`), so a merged model and its
    /// fingerprint are the same bits on every CPU.
    public static func merge(
        weight: UnsafeMutablePointer<Float>,  // (OC, C)
        a: UnsafePointer<Float>,  // (R, C)
        b: UnsafePointer<Float>,  // (OC, R)
        scale: Float, c: Int, oc: Int, r: Int
    ) {
        precondition(c > 0 && oc > 0 && r > 0, "LoRA.merge: bad sizes c \(c), oc \(oc), r \(r)")
        embedtune_lora_merge(weight, a, b, scale, c, oc, r)
    }

    /// peft's `reset_lora_parameters` for init_lora_weights=True: A from kaiming_uniform_(a=√5),
    /// i.e. U(-1/√C, 1/√C) with fan-in C, drawn row-major from `rng`; B all zeros, so the adapter
    /// starts as the identity.
    public static func initialise(
        a: UnsafeMutablePointer<Float>,  // (R, C)
        b: UnsafeMutablePointer<Float>,  // (OC, R)
        rng: inout SplitMix64, c: Int, oc: Int, r: Int
    ) {
        precondition(c > 0 && oc > 0 && r > 0, "LoRA.initialise: bad sizes c \(c), oc \(oc), r \(r)")
        // gain = sqrt(2 / (1 + a^2)) = sqrt(1/3); bound = gain * sqrt(3 / fan_in) = 1 / sqrt(C)
        let bound = 1 / Float(c).squareRoot()
        for i in 0..<(r * c) { a[i] = (2 * rng.nextUniform() - 1) * bound }
        b.update(repeating: 0, count: oc * r)
    }
}
