import CSIMD
import Foundation
import Tensor
import Testing

/// Every vector kernel (vector_kernels.h) gives the same bits on the baseline, AVX2 and AVX-512 paths
/// (the ones this CPU has), for lengths around the 16-lane vector and the 64-float unrolled step, and
/// with NaN, infinities and signed zeros among the inputs.
@Suite struct VectorKernelPathTests {
    static let paths: [Int32] = [0, Int32(EMBEDTUNE_CPU_AVX2), Int32(EMBEDTUNE_CPU_AVX2 | EMBEDTUNE_CPU_AVX512)]
    static let lengths = [1, 5, 15, 16, 17, 31, 33, 63, 64, 65, 100, 385]

    /// Runs `kernel` on each path and checks the outputs (as bit patterns) agree with the baseline.
    func samePaths(_ what: String, _ kernel: (Int32) -> [Float]) {
        let baseline = kernel(0).map(\.bitPattern)
        for path in Self.paths.dropFirst() {
            let got = kernel(path).map(\.bitPattern)
            #expect(got == baseline, "\(what): path \(path) differs from the baseline")
        }
    }

    func input(_ n: Int, seed: UInt64, scale: Float = 4) -> [Float] {
        var x = randomArray(n, seed: seed, scale: scale)
        if n > 6 { x[1] = -0.0; x[3] = 90; x[5] = -90 }
        return x
    }

    @Test func mapsAndReductionsAgreeOnEveryPath() {
        for n in Self.lengths {
            var x = input(n, seed: UInt64(n)), y = input(n, seed: UInt64(n) + 100)
            if n > 8 { x[7] = .nan; y[8] = .infinity }
            samePaths("exp \(n)") { p in var o = [Float](repeating: 0, count: n); embedtune_vec_exp_on(p, x, n, &o); return o }
            samePaths("gelu \(n)") { p in var o = [Float](repeating: 0, count: n); embedtune_gelu_reference_forward_on(p, x, n, &o); return o }
            samePaths("gelu backward \(n)") { p in var d = y; embedtune_gelu_backward_on(p, &d, x, y, n, 1, 0); return d }
            // Written over: the accumulated result onto zeros, whatever was there (NaN, not read).
            var onZeros = [Float](repeating: 0, count: n)
            embedtune_gelu_backward_on(0, &onZeros, x, y, n, 1, 0)
            samePaths("gelu backward written over \(n)") { p in
                var d = [Float](repeating: .nan, count: n)
                embedtune_gelu_backward_on(p, &d, x, y, n, 1, 1)
                #expect(d.map(\.bitPattern) == onZeros.map(\.bitPattern), "gelu backward written over \(n), path \(p)")
                return d
            }
            // The forward that keeps the derivative (in place over its input): GELU's bits, and a
            // backward from it with the bits of the backward from the input, accumulated and written over.
            samePaths("gelu keeping derivative \(n)") { p in
                var o = [Float](repeating: 0, count: n), kept = x
                embedtune_gelu_keeping_derivative_on(p, x, n, &o, &kept)
                var reference = [Float](repeating: 0, count: n)
                embedtune_gelu_reference_forward_on(p, x, n, &reference)
                #expect(o.map(\.bitPattern) == reference.map(\.bitPattern), "gelu keeping derivative \(n), path \(p)")
                for overwrite: Int32 in [0, 1] {
                    var fromInput = y, fromKept = overwrite == 1 ? [Float](repeating: .nan, count: n) : y
                    embedtune_gelu_backward_on(p, &fromInput, x, y, n, 1, overwrite)
                    embedtune_gelu_backward_saved_on(p, &fromKept, kept, y, n, 1, overwrite)
                    #expect(fromKept.map(\.bitPattern) == fromInput.map(\.bitPattern), "gelu backward saved \(n), path \(p)")
                }
                return o + kept
            }
            samePaths("dot \(n)") { p in [embedtune_vec_dot_on(p, x, y, n)] }
            samePaths("sum \(n)") { p in [embedtune_vec_sum_on(p, x, n)] }
            samePaths("axpy \(n)") { p in var o = y; embedtune_vec_axpy_on(p, 0.3, x, &o, n); return o }
            samePaths("add \(n)") { p in var o = y; embedtune_vec_add_on(p, x, &o, n); return o }
            samePaths("mul \(n)") { p in
                var o = y
                embedtune_vec_mul_on(p, x, &o, n)
                var to = [Float](repeating: .nan, count: n)
                embedtune_vec_mul_to_on(p, y, x, &to, n)
                #expect(to.map(\.bitPattern) == o.map(\.bitPattern), "mul to \(n), path \(p)")
                return o
            }
            samePaths("scale \(n)") { p in var o = y; embedtune_vec_scale_on(p, &o, 0.7, n); return o }
            samePaths("fma into \(n)") { p in var o = y; embedtune_vec_fma_into_on(p, x, y, &o, n); return o }
            let b = input(3 * 8, seed: UInt64(n) + 200)
            samePaths("lora merge \(n)") { p in
                var w = [Float](repeating: 0.5, count: 3 * n)
                embedtune_lora_merge_on(p, &w, input(8 * n, seed: UInt64(n) + 300), b, 0.25, n, 3, 8)
                return w
            }
        }
    }

    @Test func firstNonFiniteFindsTheFirstNaNOrInfinityOnEveryPath() {
        for n in Self.lengths + [64 * 5 + 3] {
            let finite = input(n, seed: UInt64(n))
            for path in Self.paths {
                #expect(embedtune_vec_first_nonfinite_on(path, finite, n) == n, "all finite, n \(n), path \(path)")
            }
            for bad: Float in [.nan, .infinity, -.infinity] {
                for at in Set([0, n / 2, n - 1]) {
                    var x = finite
                    x[at] = bad
                    if at + 1 < n { x[n - 1] = .nan }  // a later one is not reported
                    for path in Self.paths {
                        #expect(embedtune_vec_first_nonfinite_on(path, x, n) == at, "\(bad) at \(at) of \(n), path \(path)")
                    }
                }
            }
        }
        // The largest finite values and subnormals are finite.
        let edge: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0]
        #expect(edge.withUnsafeBufferPointer { VectorOps.firstNonFinite($0) } == nil)
    }

    @Test func scanDotsAgreeOnEveryPathAndWithOneRowAtATime() {
        for stride in [16, 64, 384, 400] {
            let rows = 37
            let q = input(stride, seed: 1), m = input(stride * rows, seed: 2)
            samePaths("scan \(stride)") { p in
                var o = [Float](repeating: 0, count: rows)
                embedtune_scan_dots_on(p, q, m, stride, rows, &o)
                return o
            }
            var all = [Float](repeating: 0, count: rows)
            embedtune_scan_dots(q, m, stride, rows, &all)
            let single = (0..<rows).map { r in m.withUnsafeBufferPointer { embedtune_scan_dot(q, $0.baseAddress! + r * stride, stride) } }
            #expect(all.map(\.bitPattern) == single.map(\.bitPattern))
        }
    }

    @Test func softmaxAgreesOnEveryPath() {
        for cols in Self.lengths {
            let rows = 3
            let x = input(rows * cols, seed: UInt64(cols), scale: 8), g = input(rows * cols, seed: UInt64(cols) + 7)
            var y = [Float](repeating: 0, count: rows * cols)
            embedtune_softmax_forward_on(0, &y, x, rows, cols)
            samePaths("softmax \(cols)") { p in var o = x; embedtune_softmax_forward_on(p, &o, o, rows, cols); return o }
            samePaths("softmax backward \(cols)") { p in var d = g; embedtune_softmax_backward_on(p, &d, g, y, rows, cols); return d }
            samePaths("softmax backward in place \(cols)") { p in var d = g; embedtune_softmax_backward_in_place_on(p, &d, y, rows, cols); return d }
        }
    }

    @Test func layerNormAgreesOnEveryPath() {
        for c in Self.lengths where c > 1 {
            let n = 3
            let x = input(n * c, seed: UInt64(c), scale: 3).enumerated().map { $1 + Float($0 / c) * 20 }
            let w = input(c, seed: 5), b = input(c, seed: 6), g = input(n * c, seed: 7)
            var mean = [Float](repeating: 0, count: n), rstd = mean, out = x
            embedtune_layer_norm_reference_forward_on(0, x, w, b, n, c, 1e-12, &mean, &rstd, &out)
            samePaths("layer norm \(c)") { p in
                var o = x, m = [Float](repeating: 0, count: n), r = m
                embedtune_layer_norm_reference_forward_on(p, x, w, b, n, c, 1e-12, &m, &r, &o)
                return o + m + r
            }
            samePaths("layer norm backward \(c)") { p in
                var dx = g, dw = w, db = b
                embedtune_layer_norm_backward_on(p, &dx, &dw, &db, g, x, w, mean, rstd, n, c, 0)
                return dx + dw + db
            }
            // Written over dinp (NaN before, not read): what accumulating onto zeros gives.
            var dxOnZeros = [Float](repeating: 0, count: n * c), dw0 = w, db0 = b
            embedtune_layer_norm_backward_on(0, &dxOnZeros, &dw0, &db0, g, x, w, mean, rstd, n, c, 0)
            samePaths("layer norm backward written over \(c)") { p in
                var dx = [Float](repeating: .nan, count: n * c), dw = w, db = b
                embedtune_layer_norm_backward_on(p, &dx, &dw, &db, g, x, w, mean, rstd, n, c, 1)
                #expect((dx + dw + db).map(\.bitPattern) == (dxOnZeros + dw0 + db0).map(\.bitPattern),
                        "layer norm backward written over \(c), path \(p)")
                return dx + dw + db
            }
        }
    }

    @Test func loraDropoutAndAdamAgreeOnEveryPath() {
        for n in Self.lengths {
            let inp = input(n, seed: UInt64(n)), dx = input(n, seed: UInt64(n) + 1), d0 = input(n, seed: UInt64(n) + 2)
            var rng = SplitMix64(seed: UInt64(n))
            let keep: Float = 1 / 0.9
            let dropped = inp.map { $0 * (rng.nextUniform() < 0.1 ? -0.0 : keep) }
            samePaths("lora dropout \(n)") { p in var d = d0; embedtune_lora_dropout_backward_on(p, &d, dx, dropped, inp, keep, n); return d }
            for (decoupled, decays, w) in [(1, 1, Float(0.1)), (0, 1, 0.1), (1, 0, 0.7)] {
                var rule = embedtune_adam_rule(
                    decoupled: Int32(decoupled), decays: Int32(decays), shrink: 0.999, l2: 0.01, average_weight: w, beta2: 0.999,
                    one_minus_beta2: 0.001, correction2: 0.03, epsilon: 1e-8, step_size: -1e-3)
                let v0 = dx.map { $0 * $0 }
                samePaths("adam \(n) \(decoupled) \(decays) \(w)") { p in
                    var params = inp, m = d0, v = v0
                    embedtune_adam_update_on(p, &params, dx, &m, &v, n, &rule)
                    return params + m + v
                }
            }
        }
    }
}
