import CSIMD
import Tensor

/// Multi-head scaled dot-product self-attention over packed ("varlen") sequences, HF
/// `BertSelfAttention` (eager path): for sequence b and head h,
/// P = softmax(Q_h K_h^T / sqrt(HS)), out_h = P V_h.
/// Attention stays within each sequence, which equals BERT's padded attention with the additive
/// padding mask, restricted to the real tokens. In training, `AttentionDropout` drops entries of P
/// before the product with V (BERT's attention_probs_dropout); P itself is what forward saves.
///
/// Sizes: B sequences with lengths L_b packed one after another into N = sum L_b rows
/// (`offsets` (B+1): offsets[0] = 0, offsets[B] = N); C channels; NH heads of HS = C / NH channels,
/// head h owning channels h*HS ..< (h+1)*HS of q, k, v and out.
///
/// Threading: the B * NH (sequence, head) items run in parallel on `threads` threads. Each runs one
/// AVX-512 or AVX2 kernel per item where the CPU has one and HS is a multiple of 16 (`embedtune_attention_head`
/// in inference, `embedtune_attention_train_forward` / `_backward` in training), otherwise small
/// single-threaded `gemm`s (`ComputeContext.serial`) and the softmax kernels.
public enum Attention {
    /// Floats needed by `probs`: sum over b of NH * L_b * L_b.
    public static func probabilitiesCount(offsets: UnsafePointer<Int>, b: Int, nh: Int) -> Int {
        var total = 0
        for s in 0..<b {
            let l = offsets[s + 1] - offsets[s]
            total += nh * l * l
        }
        return total
    }

    /// Computes `out` (overwritten). When `probs` is non-nil the attention probabilities are saved
    /// there for backward, laid out per sequence, then head: sequence b's block starts after the
    /// blocks of sequences 0..<b, head h's (L_b, L_b) matrix at h * L_b * L_b within it.
    /// When nil (inference) each worker thread uses its own scratch. With `dropout` active,
    /// out_h = (P · mask) V_h and `probs` must be given (training).
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, C)
        probs: UnsafeMutablePointer<Float>?,  // (sum_b NH * L_b * L_b) saved for backward
        q: UnsafePointer<Float>,  // (N, C)
        k: UnsafePointer<Float>,  // (N, C)
        v: UnsafePointer<Float>,  // (N, C)
        offsets: UnsafePointer<Int>,  // (B + 1)
        b: Int, nh: Int, c: Int, threads: Int, dropout: AttentionDropout = .none
    ) {
        precondition(!dropout.isActive || probs != nil, "Attention.forward: dropout needs saved probabilities")
        let layout = Layout(offsets: offsets, b: b, nh: nh, c: c)
        let hs = c / nh
        let scale = 1 / Float(hs).squareRoot()
        let square = layout.maxLength * layout.maxLength
        if probs == nil && !dropout.isActive && embedtune_attention_head_available(hs) != 0 {
            // Inference on an AVX-512 or AVX2 CPU: one fused kernel per (sequence, head) — scores, softmax
            // and the product with V in one pass per query row, no probabilities written.
            let scratchFloats = embedtune_attention_head_scratch_floats(layout.maxLength, hs)
            layout.runKernel(threads: threads, hs: hs, scratchFloats: scratchFloats, dropout: .none) { item in
                embedtune_attention_head(
                    q + item.column, k + item.column, v + item.column, c, item.length, hs, scale, item.scratch,
                    out + item.column)
            }
            return
        }
        if let probs, embedtune_attention_train_available(hs) != 0 {
            // Training on an AVX-512 or AVX2 CPU: one kernel per item (the same bits on either).
            let scratchFloats = embedtune_attention_train_scratch_floats(layout.maxLength, hs)
            layout.runKernel(threads: threads, hs: hs, scratchFloats: scratchFloats, dropout: dropout) { item in
                embedtune_attention_train_forward(
                    q + item.column, k + item.column, v + item.column, c, item.length, hs, scale, item.mask,
                    probs + item.probs, item.scratch, out + item.column)
            }
            return
        }
        let scratchPerWorker = probs == nil || dropout.isActive ? square : 0
        layout.run(threads: threads, scratchPerWorker: scratchPerWorker) { item, scratch in
            let (s, h) = (item / nh, item % nh)
            let start = offsets[s], l = offsets[s + 1] - start
            guard l > 0 else { return }
            let p = probs.map { $0 + layout.probsStart[s] + h * l * l } ?? scratch  // (L, L)
            let column = start * c + h * hs
            // scores = Q_h K_h^T / sqrt(HS)
            gemm(.none, .transposed, m: l, n: l, k: hs, alpha: scale,
                 a: q + column, lda: c, b: k + column, ldb: c, c: p, ldc: l, context: .serial)
            Softmax.forward(out: p, inp: p, rows: l, cols: l)
            // P' = P · mask (training), else P itself
            var used = UnsafePointer(p)
            if dropout.isActive {
                dropout.mask(into: scratch, item: item, count: l * l)
                VectorOps.multiply(p, into: scratch, l * l)
                used = UnsafePointer(scratch)
            }
            // out_h = P' V_h
            gemm(.none, .none, m: l, n: hs, k: l, a: used, lda: l, b: v + column, ldb: c,
                 c: out + column, ldc: c, context: .serial)
        }
    }

    /// Gradients of `forward`, ACCUMULATED (+=) into `dq`, `dk` and `dv`, or written over them (not
    /// read) with `overwrite`: every row of them belongs to one sequence, each head's columns to one
    /// item, written by one product each. `probs` is what forward saved; `dropout` must be the
    /// forward's (its masks are drawn again). Each worker has the kernel's scratch, or, on the `gemm`
    /// path, an (L, L) scratch for dP; and another (L, L) for the dropout mask.
    public static func backward(
        dq: UnsafeMutablePointer<Float>,  // (N, C)
        dk: UnsafeMutablePointer<Float>,  // (N, C)
        dv: UnsafeMutablePointer<Float>,  // (N, C)
        dout: UnsafePointer<Float>,  // (N, C)
        q: UnsafePointer<Float>,  // (N, C)
        k: UnsafePointer<Float>,  // (N, C)
        v: UnsafePointer<Float>,  // (N, C)
        probs: UnsafePointer<Float>,  // (sum_b NH * L_b * L_b)
        offsets: UnsafePointer<Int>,  // (B + 1)
        b: Int, nh: Int, c: Int, threads: Int, dropout: AttentionDropout = .none, overwrite: Bool = false
    ) {
        let layout = Layout(offsets: offsets, b: b, nh: nh, c: c)
        let hs = c / nh
        let scale = 1 / Float(hs).squareRoot()
        if embedtune_attention_train_available(hs) != 0 {
            let scratchFloats = embedtune_attention_train_scratch_floats(layout.maxLength, hs)
            layout.runKernel(threads: threads, hs: hs, scratchFloats: scratchFloats, dropout: dropout) { item in
                embedtune_attention_train_backward(
                    q + item.column, k + item.column, v + item.column, dout + item.column, c, item.length, hs, scale,
                    probs + item.probs, item.mask, item.scratch, dq + item.column, dk + item.column, dv + item.column,
                    overwrite ? 1 : 0)
            }
            return
        }
        let square = layout.maxLength * layout.maxLength
        let beta: Float = overwrite ? 0 : 1
        layout.run(threads: threads, scratchPerWorker: dropout.isActive ? 2 * square : square) { item, dp in
            let (s, h) = (item / nh, item % nh)
            let start = offsets[s], l = offsets[s + 1] - start
            guard l > 0 else { return }
            let p = probs + layout.probsStart[s] + h * l * l  // (L, L)
            let column = start * c + h * hs
            let mask = dp + square  // (L, L), with dropout only
            // out_h = P' V_h  =>  dV_h += P'^T dout_h, with P' = P · mask (dP as scratch for P')
            var used = p
            if dropout.isActive {
                dropout.mask(into: mask, item: item, count: l * l)
                dp.update(from: p, count: l * l)
                VectorOps.multiply(mask, into: dp, l * l)
                used = UnsafePointer(dp)
            }
            gemm(.transposed, .none, m: l, n: hs, k: l, a: used, lda: l, b: dout + column, ldb: c,
                 beta: beta, c: dv + column, ldc: c, context: .serial)
            // dP' = dout_h V_h^T ;  dP = dP' · mask
            gemm(.none, .transposed, m: l, n: l, k: hs, a: dout + column, lda: c, b: v + column, ldb: c,
                 c: dp, ldc: l, context: .serial)
            if dropout.isActive { VectorOps.multiply(mask, into: dp, l * l) }
            // P = softmax(S)  =>  dS = P * (dP - rowsum(P * dP)), in place
            Softmax.backwardInPlace(grad: dp, out: p, rows: l, cols: l)
            // S = Q_h K_h^T * scale  =>  dQ_h += scale dS K_h ;  dK_h += scale dS^T Q_h
            gemm(.none, .none, m: l, n: hs, k: l, alpha: scale, a: dp, lda: l, b: k + column, ldb: c,
                 beta: beta, c: dq + column, ldc: c, context: .serial)
            gemm(.transposed, .none, m: l, n: hs, k: l, alpha: scale, a: dp, lda: l, b: q + column, ldb: c,
                 beta: beta, c: dk + column, ldc: c, context: .serial)
        }
    }

    /// One (sequence, head) item for a per-item kernel: where its head's columns start in the (N, C)
    /// buffers, its length L, where its (L, L) probabilities start, its dropout mask (nil without
    /// dropout) and the kernel's scratch.
    struct KernelItem {
        let column: Int
        let length: Int
        let probs: Int
        let mask: UnsafePointer<Float>?
        let scratch: UnsafeMutablePointer<Float>
    }

    /// Validated sizes and per-sequence starts of the probabilities buffer.
    struct Layout {
        let items: Int
        let maxLength: Int
        let probsStart: [Int]  // (B) start of sequence b's block in `probs`
        let offsets: UnsafePointer<Int>
        let nh: Int
        let c: Int

        init(offsets: UnsafePointer<Int>, b: Int, nh: Int, c: Int) {
            precondition(b >= 0 && nh > 0 && c > 0 && c % nh == 0,
                         "Attention: bad sizes b \(b), nh \(nh), c \(c) (c must be a multiple of nh)")
            precondition(b == 0 || offsets[0] == 0, "Attention: offsets[0] must be 0")
            var starts = [Int](repeating: 0, count: b)
            var total = 0, longest = 0
            for s in 0..<b {
                let l = offsets[s + 1] - offsets[s]
                precondition(l >= 0, "Attention: offsets decrease at sequence \(s)")
                starts[s] = total
                total += nh * l * l
                longest = Swift.max(longest, l)
            }
            items = b * nh
            maxLength = longest
            probsStart = starts
            self.offsets = offsets
            self.nh = nh
            self.c = c
        }

        /// Runs `body` for every non-empty item, with `scratchFloats` of kernel scratch for head size
        /// `hs` and, when `dropout` is active, the item's mask drawn after it.
        func runKernel(
            threads: Int, hs: Int, scratchFloats kernelScratch: Int, dropout: AttentionDropout,
            _ body: (KernelItem) -> Void
        ) {
            let maskFloats = dropout.isActive ? maxLength * maxLength : 0
            run(threads: threads, scratchPerWorker: kernelScratch + maskFloats) { item, scratch in
                let (s, h) = (item / nh, item % nh)
                let start = offsets[s], l = offsets[s + 1] - start
                guard l > 0 else { return }
                let mask = dropout.isActive ? scratch + kernelScratch : nil
                if let mask { dropout.mask(into: mask, item: item, count: l * l) }
                body(KernelItem(
                    column: start * c + h * hs, length: l, probs: probsStart[s] + h * l * l, mask: mask.map { UnsafePointer($0) },
                    scratch: scratch))
            }
        }

        /// Runs `body(item, scratch)` for every (sequence, head) item; items are dealt round-robin
        /// to the workers, each owning `scratchPerWorker` floats of scratch.
        func run(threads: Int, scratchPerWorker: Int,
                 _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
            guard items > 0 else { return }
            let workers = Swift.max(1, Swift.min(threads, items))
            let stride = Swift.max(scratchPerWorker, 1)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * stride)
            defer { scratch.deallocate() }
            let items = self.items
            parallelFor(workers, threads: workers) { w in
                var item = w
                while item < items {
                    body(item, scratch + w * stride)
                    item += workers
                }
            }
        }
    }
}
