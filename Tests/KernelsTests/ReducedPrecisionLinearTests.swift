import CSIMD
import Foundation
import Tensor
import Testing
@testable import Kernels

/// `BF16Linear` and `Int8Linear` against float32 references, on whichever path EMBEDTUNE_CPU leaves
/// (CI runs this suite under portable and avx2 too; `avx512` and `avx512-vnni` take the plain C loops
/// compiled for AVX-512 and, for int8, VNNI). Shapes straddle the 12-row tile, the 240-row block, the
/// 32-column panel and odd input widths (bf16 pads k to pairs, int8 to quads).
@Suite struct ReducedPrecisionLinearTests {
    static let shapes = [(1, 7, 3), (11, 16, 32), (12, 33, 45), (13, 384, 64), (241, 50, 97), (300, 384, 1536)]

    /// bf16: the exact product of the bf16-rounded input and weight, summed in Double, plus bias and
    /// residual; the kernel sums in float32, so it may differ by float32 rounding of the sum of |terms|.
    @Test(arguments: shapes)
    func bf16LinearEqualsTheProductOfRoundedValues(n: Int, c: Int, oc: Int) {
        let inp = randomArray(n * c, seed: UInt64(n * 7 + c))
        let weight = randomArray(oc * c, seed: UInt64(oc), scale: 0.2)
        let bias = randomArray(oc, seed: 99), residual = randomArray(n * oc, seed: 5)
        let linear = BF16Linear(weight: weight, bias: bias, inFeatures: c, outFeatures: oc)
        func rounded(_ x: Float) -> Double { Double(Float(bitPattern: UInt32(embedtune_bf16_from_float(x)) << 16)) }
        let x = inp.map(rounded), w = weight.map(rounded)
        for threads in [1, 3] {
            var got = [Float](repeating: .nan, count: n * oc)
            linear.forward(out: &got, inp: inp, n: n, threads: threads, residual: residual)
            var worst = 0.0
            for r in 0..<n {
                for o in 0..<oc {
                    var sum = Double(bias[o]) + Double(residual[r * oc + o]), magnitude = abs(sum)
                    for k in 0..<c {
                        sum += x[r * c + k] * w[o * c + k]
                        magnitude += abs(x[r * c + k] * w[o * c + k])
                    }
                    worst = max(worst, abs(Double(got[r * oc + o]) - sum) / (magnitude * Double(c + 2) * 6e-8 + 1e-30))
                }
            }
            #expect(worst <= 1, "n \(n) c \(c) oc \(oc) threads \(threads): \(worst) of the rounding bound")
        }
    }

    /// Every bf16 kernel this CPU has (VDPBF16PS, the widened FMAs on AVX-512 and on AVX2, plain C for
    /// AVX2 and the baseline) gives the plain C kernel's bits, with bias, residual and GELU, with and
    /// without a float32 low-rank term (LoRA's up-projection), whichever one the dispatcher picks.
    @Test(arguments: shapes)
    func bf16KernelsGiveTheSameBits(n: Int, c: Int, oc: Int) {
        let inp = randomArray(n * c, seed: UInt64(n * 3 + c)), residual = randomArray(n * oc, seed: 6)
        let weight = randomArray(oc * c, seed: UInt64(oc + 2), scale: 0.2), bias = randomArray(oc, seed: 97)
        var packed = [UInt16](repeating: 0, count: embedtune_bf16_linear_elements(oc, c))
        embedtune_bf16_linear_pack(weight, oc, c, &packed)
        let rank = 1 + (n + c) % 9
        let low = randomArray(n * rank, seed: UInt64(rank)), up = randomArray(oc * rank, seed: 5, scale: 0.3)
        var lowPacked = [Float](repeating: 0, count: embedtune_packed_linear_floats(oc, rank))
        embedtune_packed_linear_pack(up, oc, rank, &lowPacked)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: embedtune_bf16_linear_scratch_bytes(c), alignment: 64)
        defer { scratch.deallocate() }
        let kernels = [
            EMBEDTUNE_BF16_PLAIN, EMBEDTUNE_BF16_PLAIN_AVX2, EMBEDTUNE_BF16_WIDENED, EMBEDTUNE_BF16_DOT,
            EMBEDTUNE_BF16_WIDENED_AVX2,
        ]
        for (gelu, termRank) in [(false, 0), (true, 0), (false, rank), (true, rank)] {
            var outputs: [Int32: [UInt32]] = [:]
            for kernel in kernels.map(Int32.init) {
                var out = [Float](repeating: .nan, count: n * oc)
                let ran = embedtune_bf16_linear_forward_low_rank_with(
                    kernel, inp, n, c, packed, oc, bias, residual,
                    gelu ? Int32(EMBEDTUNE_PACKED_LINEAR_GELU) : Int32(EMBEDTUNE_PACKED_LINEAR_IDENTITY),
                    termRank > 0 ? low : nil, termRank, termRank > 0 ? lowPacked : nil, &out, scratch)
                if ran == 1 { outputs[kernel] = out.map(\.bitPattern) }
            }
            let plain = outputs[Int32(EMBEDTUNE_BF16_PLAIN)]
            #expect(plain != nil, "the plain kernel runs everywhere")
            for (kernel, bits) in outputs {
                #expect(bits == plain, "kernel \(kernel), gelu \(gelu), rank \(termRank): n \(n) c \(c) oc \(oc)")
            }
            if termRank > 0, !gelu, let plain {
                // The term is really added: the plain kernel's output less the product without it is
                // low @ up^T, to float32 rounding of the output's magnitude.
                var without = [Float](repeating: .nan, count: n * oc)
                _ = embedtune_bf16_linear_forward_with(
                    Int32(EMBEDTUNE_BF16_PLAIN), inp, n, c, packed, oc, bias, residual,
                    Int32(EMBEDTUNE_PACKED_LINEAR_IDENTITY), &without, scratch)
                var worst: Float = 0
                for row in 0..<n {
                    for col in 0..<oc {
                        var term: Double = 0
                        for j in 0..<rank { term += Double(low[row * rank + j]) * Double(up[col * rank + j]) }
                        let got = Float(bitPattern: plain[row * oc + col]) - without[row * oc + col]
                        worst = max(worst, abs(got - Float(term)))
                    }
                }
                #expect(worst <= 1e-5 * Float(c).squareRoot() * 4, "low-rank term: n \(n) c \(c) oc \(oc)")
            }
            #expect(outputs[embedtune_bf16_linear_kernel()] != nil, "the dispatcher's kernel runs here")
            if embedtune_cpu_detected() & Int32(EMBEDTUNE_CPU_AVX512) != 0 {
                #expect(outputs[Int32(EMBEDTUNE_BF16_WIDENED)] != nil, "an AVX-512 CPU runs the widened kernel")
            }
            if embedtune_cpu_detected() & Int32(EMBEDTUNE_CPU_AVX2) != 0 {
                #expect(outputs[Int32(EMBEDTUNE_BF16_WIDENED_AVX2)] != nil, "an AVX2 CPU runs the widened AVX2 kernel")
            }
        }
    }

    /// The rounding is to nearest even, and NaN stays NaN.
    @Test func bf16RoundsToNearestEven() {
        #expect(embedtune_bf16_from_float(1) == 0x3F80)
        #expect(embedtune_bf16_from_float(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie: to even
        #expect(embedtune_bf16_from_float(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie: to even
        #expect(embedtune_bf16_from_float(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(Float(bitPattern: UInt32(embedtune_bf16_from_float(.nan)) << 16).isNaN)
    }

    /// int8: within the quantisation bound of the float32 product, in the smoothed space (x' = x t,
    /// w' = w / t, `Int8Linear.smoothing`). With steps sx (the row's, at most its whole range of x'
    /// over 255: its outliers only narrow it) and sw (the channel's), |x' - x̂'| <= sx / 2 and
    /// |w' - ŵ'| <= sw / 2, so each output is off by at most sum_k (|w'| sx / 2 + |x'| sw / 2 + sx sw / 4),
    /// plus float32 rounding.
    @Test(arguments: shapes)
    func int8LinearIsWithinTheQuantisationBound(n: Int, c: Int, oc: Int) {
        let inp = randomArray(n * c, seed: UInt64(n * 5 + c))
        let weight = randomArray(oc * c, seed: UInt64(oc + 1), scale: 0.2)
        let bias = randomArray(oc, seed: 98)
        let linear = Int8Linear(weight: weight, bias: bias, inFeatures: c, outFeatures: oc)
        #expect(int8Worst(linear, inp: inp, weight: weight, bias: bias, n: n, c: c, oc: oc, outliers: 0) <= 1)
    }

    /// The largest of int8's error over its bound (above; `outliers` > 0: the row's step from the
    /// range of x' without its `outliers` largest magnitudes), and the same bits on 1 and 3 threads.
    func int8Worst(
        _ linear: Int8Linear, inp: [Float], weight: [Float], bias: [Float], n: Int, c: Int, oc: Int, outliers: Int
    ) -> Double {
        let t = linear.smoothing
        #expect(t.count == c && t.allSatisfy { $0 > 0 && $0.isFinite })
        var want = [Float](repeating: 0, count: n * oc)
        Linear.forward(out: &want, inp: inp, weight: weight, bias: bias, n: n, c: c, oc: oc, context: .serial)
        var first = [Float](), worst = 0.0
        for threads in [1, 3] {
            var got = [Float](repeating: .nan, count: n * oc)
            linear.forward(out: &got, inp: inp, n: n, threads: threads)
            if first.isEmpty { first = got } else { #expect(got == first, "threads change the bits") }
            for r in 0..<n {
                let x = (0..<c).map { Double(inp[r * c + $0] * t[$0]) }
                let limit = outliers > 0 ? x.map(abs).sorted(by: >)[outliers] : Double.infinity
                let sx = (min(max(x.max() ?? 0, 0), limit) - max(min(x.min() ?? 0, 0), -limit)) / 255
                for o in 0..<oc {
                    let w = (0..<c).map { Double(weight[o * c + $0] / t[$0]) }
                    let sw = (w.map(abs).max() ?? 0) / 127
                    var bound = 1e-5 * (1 + abs(Double(want[r * oc + o])))
                    for k in 0..<c { bound += abs(w[k]) * sx / 2 + abs(x[k]) * sw / 2 + sx * sw / 4 }
                    worst = max(worst, abs(Double(got[r * oc + o] - want[r * oc + o])) / bound)
                }
            }
        }
        return worst
    }

    /// A row's largest inputs do not set its step: with one input 200 times the rest (and three more
    /// large ones), the error stays within the bound of the range without them — which a step set by
    /// 200 would exceed many times over.
    @Test func int8OutliersDoNotCoarsenTheirRow() {
        let n = 5, c = 64, oc = 40
        var inp = randomArray(n * c, seed: 21)
        for r in 0..<n {
            inp[r * c + 5] = 200
            inp[r * c + 9] = -60
            inp[r * c + 30 + r] = 35
            inp[r * c + 63] = 20
        }
        let weight = randomArray(oc * c, seed: 22, scale: 0.2), bias = randomArray(oc, seed: 23)
        let linear = Int8Linear(weight: weight, bias: bias, inFeatures: c, outFeatures: oc)
        #expect(int8Worst(linear, inp: inp, weight: weight, bias: bias, n: n, c: c, oc: oc, outliers: 4) <= 1)
    }

    /// Scales are per row: a row's outputs do not depend on the other rows of the call.
    @Test func int8RowsAreQuantisedOnTheirOwn() {
        let c = 384, oc = 64
        let inp = randomArray(30 * c, seed: 3), weight = randomArray(oc * c, seed: 4, scale: 0.2)
        let linear = Int8Linear(weight: weight, bias: nil, inFeatures: c, outFeatures: oc)
        var all = [Float](repeating: 0, count: 30 * oc), one = [Float](repeating: 0, count: oc)
        linear.forward(out: &all, inp: inp, n: 30)
        Array(inp[(17 * c)..<(18 * c)]).withUnsafeBufferPointer { row in
            one.withUnsafeMutableBufferPointer { linear.forward(out: $0.baseAddress!, inp: row.baseAddress!, n: 1) }
        }
        #expect(Array(all[(17 * oc)..<(18 * oc)]) == one)
    }

    /// The residual and GELU of the store, a row of zeros (the bias alone) and a row holding NaN (NaN
    /// out, never a silent zero), for both formats.
    @Test func residualGELUZerosAndNaNRows() {
        let c = 40, oc = 48, n = 3
        let weight = randomArray(oc * c, seed: 8, scale: 0.2), bias = randomArray(oc, seed: 9)
        var inp = randomArray(n * c, seed: 10)
        for k in 0..<c { inp[c + k] = 0 }
        inp[2 * c + 7] = .nan
        let residual = randomArray(n * oc, seed: 11)
        let products: [any FrozenProduct] = [
            BF16Linear(weight: weight, bias: bias, inFeatures: c, outFeatures: oc),
            Int8Linear(weight: weight, bias: bias, inFeatures: c, outFeatures: oc),
        ]
        for product in products {
            var plain = [Float](repeating: 0, count: n * oc), fused = plain
            product.forward(out: &plain, inp: inp, n: n, threads: 1, residual: nil, activation: .identity, epilogue: nil)
            product.forward(out: &fused, inp: inp, n: n, threads: 1, residual: residual, activation: .gelu, epilogue: nil)
            #expect(Array(plain[oc..<(2 * oc)]) == bias, "\(type(of: product)): a zero row gives the bias")
            #expect(plain[(2 * oc)...].allSatisfy { $0.isNaN }, "\(type(of: product)): a NaN row gives NaN")
            let sums = (0..<(2 * oc)).map { plain[$0] + residual[$0] }
            var want = sums
            GELU.forward(out: &want, inp: sums, count: 2 * oc)
            #expect(maxAbsDifference(Array(fused[..<(2 * oc)]), want) <= 1e-5, "\(type(of: product))")
        }
    }

    /// Every int8 path this CPU has (VNNI, AVX2, portable) gives the same bits: with and without bias,
    /// residual and GELU, over both kernels' tile shapes (12-, 4- and 1-row tails, masked last panels
    /// and half-panels), with a row of zeros, a row holding NaN and a large outlier among the inputs.
    @Test(arguments: [(1, 7, 3), (7, 16, 40), (13, 33, 45), (19, 384, 64), (251, 50, 97), (37, 384, 1536)])
    func int8PathsGiveTheSameBits(n: Int, c: Int, oc: Int) {
        var inp = randomArray(n * c, seed: UInt64(n + c), scale: 2)
        if n > 2 {
            inp[5] = 40
            inp[c + 3] = .nan
            for k in 0..<c { inp[2 * c + k] = 0 }
        }
        let weight = randomArray(oc * c, seed: 31, scale: 0.2), bias = randomArray(oc, seed: 32)
        let residual = randomArray(n * oc, seed: 33)
        var packed = [Int8](repeating: 0, count: embedtune_int8_linear_bytes(oc, c))
        var scales = [Float](repeating: 0, count: oc), sums = [Int32](repeating: 0, count: oc)
        var smooth = [Float](repeating: 0, count: c)
        var outlierWeights = [Float](repeating: 0, count: embedtune_int8_linear_outlier_weights_count(oc, c))
        embedtune_int8_linear_pack(weight, oc, c, &packed, &scales, &sums, &smooth, &outlierWeights)
        let scratchBytes = embedtune_int8_linear_scratch_bytes(c)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
        defer { scratch.deallocate() }
        let paths: [Int32] = [0, Int32(EMBEDTUNE_CPU_AVX2), Int32(EMBEDTUNE_CPU_ALL)]
        for withBias in [false, true] {
            for withResidual in [false, true] {
                for activation in [EMBEDTUNE_PACKED_LINEAR_IDENTITY, EMBEDTUNE_PACKED_LINEAR_GELU] {
                    let run = { (path: Int32) -> [UInt32] in
                        var out = [Float](repeating: 0, count: n * oc)
                        bias.withUnsafeBufferPointer { b in
                            residual.withUnsafeBufferPointer { r in
                                embedtune_int8_linear_forward_on(
                                    path, inp, n, c, packed, scales, sums, oc, withBias ? b.baseAddress : nil,
                                    withResidual ? r.baseAddress : nil, Int32(activation), &out, scratch, smooth,
                                    outlierWeights)
                            }
                        }
                        return out.map(\.bitPattern)
                    }
                    let portable = run(0)
                    for path in paths.dropFirst() {
                        #expect(run(path) == portable,
                                "n \(n) c \(c) oc \(oc) bias \(withBias) residual \(withResidual) act \(activation) path \(path)")
                    }
                }
            }
        }
    }
}
