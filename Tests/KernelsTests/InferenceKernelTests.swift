import Foundation
import CSIMD
import Tensor
import Testing
@testable import Kernels

/// The AVX-512 kernels of the inference path against the general ones they replace.
@Suite struct InferenceKernelTests {
    /// The packed product, LoRA's skinny products and the attention kernels run where the CPU has AVX2
    /// or AVX-512 (elsewhere the general kernels run and the comparisons below check that `PackedLinear`
    /// declines).
    @Test func fastPathsAreAvailableWhereTheCPUHasThem() {
        let features = embedtune_cpu_features()
        let avx512 = features & Int32(EMBEDTUNE_CPU_AVX512) != 0, avx2 = features & Int32(EMBEDTUNE_CPU_AVX2) != 0
        #expect(PackedLinear.isAvailable == (avx512 || avx2))
        #expect(LowRank.isFast == (avx512 || avx2))
        #expect((embedtune_attention_head_available(32) != 0) == (avx512 || avx2))
        #expect((embedtune_attention_train_available(32) != 0) == (avx512 || avx2))
        #expect(embedtune_attention_head_available(24) == 0, "head sizes must be multiples of 16")
    }

    /// The packed product gives the same bits on the portable loop, the AVX2 kernel and the AVX-512
    /// kernel (those this CPU has), with and without bias, residual (in place too), low-rank term and
    /// GELU, over the tile shapes of both kernels (12-, 6-, 4- and 1-row tails; masked last panels
    /// and half-panels) — so a row's vector depends neither on the CPU nor on the rows beside it.
    @Test(arguments: [(1, 7, 3), (7, 16, 40), (13, 33, 45), (19, 384, 64), (251, 50, 97), (37, 384, 1536)])
    func packedLinearGivesTheSameBitsOnEveryPath(n: Int, c: Int, oc: Int) {
        let rank = 8
        let inp = randomArray(n * c, seed: UInt64(n + c), scale: 2), weight = randomArray(oc * c, seed: 21, scale: 0.2)
        let bias = randomArray(oc, seed: 22), residual = randomArray(n * oc, seed: 23, scale: 3)
        let low = randomArray(n * rank, seed: 24), up = randomArray(oc * rank, seed: 25, scale: 0.1)
        var packed = [Float](repeating: 0, count: embedtune_packed_linear_floats(oc, c))
        var upPacked = [Float](repeating: 0, count: embedtune_packed_linear_floats(oc, rank))
        embedtune_packed_linear_pack(weight, oc, c, &packed)
        embedtune_packed_linear_pack(up, oc, rank, &upPacked)
        let paths: [Int32] = [0, Int32(EMBEDTUNE_CPU_AVX2), Int32(EMBEDTUNE_CPU_AVX2 | EMBEDTUNE_CPU_AVX512)]
        for withBias in [false, true] {
            for withResidual in [false, true] {
                for withLow in [false, true] {
                    for activation in [EMBEDTUNE_PACKED_LINEAR_IDENTITY, EMBEDTUNE_PACKED_LINEAR_GELU] {
                        let run = { (path: Int32, inPlace: Bool) -> [UInt32] in
                            var out = inPlace ? residual : [Float](repeating: .nan, count: n * oc)
                            bias.withUnsafeBufferPointer { b in
                                residual.withUnsafeBufferPointer { r in
                                    low.withUnsafeBufferPointer { l in
                                        upPacked.withUnsafeBufferPointer { u in
                                            out.withUnsafeMutableBufferPointer { o in
                                                let res = withResidual ? (inPlace ? UnsafePointer(o.baseAddress) : r.baseAddress) : nil
                                                embedtune_packed_linear_forward_low_rank_on(
                                                    path, inp, n, c, packed, oc, withBias ? b.baseAddress : nil, res,
                                                    Int32(activation), withLow ? l.baseAddress : nil, withLow ? rank : 0,
                                                    withLow ? u.baseAddress : nil, o.baseAddress)
                                            }
                                        }
                                    }
                                }
                            }
                            return out.map(\.bitPattern)
                        }
                        let portable = run(0, false)
                        #expect(!portable.contains(Float.nan.bitPattern))
                        for path in paths.dropFirst() {
                            #expect(run(path, false) == portable,
                                    "n \(n) c \(c) oc \(oc) bias \(withBias) residual \(withResidual) low \(withLow) act \(activation) path \(path)")
                        }
                        if withResidual {
                            #expect(run(paths.last ?? 0, true) == portable, "in place, n \(n) c \(c) oc \(oc)")
                        }
                    }
                }
            }
        }
    }

    /// Row counts around the 12-row tile and the 240-row block, output widths around the 32-column
    /// panel (masked last panel), odd input widths, with and without bias, 1 to 3 threads.
    @Test(arguments: [(1, 7, 3), (11, 16, 32), (12, 33, 45), (13, 384, 64), (241, 50, 97), (500, 384, 1536)])
    func packedLinearEqualsLinear(n: Int, c: Int, oc: Int) throws {
        let inp = randomArray(n * c, seed: UInt64(n * 7 + c))
        let weight = randomArray(oc * c, seed: UInt64(oc), scale: 0.2)
        let bias = randomArray(oc, seed: 99)
        for withBias in [true, false] {
            var want = [Float](repeating: 0, count: n * oc)
            Linear.forward(out: &want, inp: inp, weight: weight, bias: withBias ? bias : nil, n: n, c: c, oc: oc, context: .serial)
            let packed = try packedLinear(weight: weight, bias: withBias ? bias : nil, c: c, oc: oc)
            for threads in [1, 2, 3] {
                var got = [Float](repeating: .nan, count: n * oc)
                packed.forward(out: &got, inp: inp, n: n, threads: threads)
                let worst = zip(got, want).map { abs($0 - $1) / Swift.max(1, abs($1)) }.max() ?? 0
                #expect(worst <= 1e-5, "n \(n) c \(c) oc \(oc) bias \(withBias) threads \(threads): \(worst)")
            }
        }
    }

    /// The packed copy of (weight, bias). Where AVX-512 is absent or ruled out (EMBEDTUNE_CPU=portable
    /// or avx2, as CI runs these tests too) the kernel's plain C loop runs, so both paths are tested.
    func packedLinear(weight: [Float], bias: [Float]?, c: Int, oc: Int) throws -> PackedLinear {
        let made = bias.map { bias in
            bias.withUnsafeBufferPointer {
                PackedLinear(weight: weight, bias: $0.baseAddress, inFeatures: c, outFeatures: oc, fastPathOnly: false)
            }
        } ?? PackedLinear(weight: weight, bias: nil, inFeatures: c, outFeatures: oc, fastPathOnly: false)
        return try #require(made)
    }

    /// The residual added in the kernel (into a separate buffer and in place, `residual == out`) equals
    /// Linear then add; the epilogue sees every row exactly once, in ranges that tile 0..<n.
    @Test(arguments: [(5, 16, 40), (241, 64, 96), (700, 384, 384)])
    func packedLinearAddsTheResidualAndRunsTheEpilogueOncePerRow(n: Int, c: Int, oc: Int) throws {
        let inp = randomArray(n * c, seed: 3), weight = randomArray(oc * c, seed: 4, scale: 0.2)
        let bias = randomArray(oc, seed: 5), residual = randomArray(n * oc, seed: 6, scale: 3)
        var want = [Float](repeating: 0, count: n * oc)
        Linear.forward(out: &want, inp: inp, weight: weight, bias: bias, n: n, c: c, oc: oc, context: .serial)
        for i in 0..<(n * oc) { want[i] += residual[i] }
        let packed = try packedLinear(weight: weight, bias: bias, c: c, oc: oc)
        for threads in [1, 2] {
            var got = [Float](repeating: .nan, count: n * oc)
            let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: n)
            defer { seen.deallocate() }
            seen.initialize(repeating: 0)
            residual.withUnsafeBufferPointer { r in
                packed.forward(out: &got, inp: inp, n: n, threads: threads, residual: r.baseAddress) { lo, hi in
                    for row in lo..<hi { seen[row] += 1 }
                }
            }
            #expect(seen.allSatisfy { $0 == 1 }, "threads \(threads): epilogue row counts \(Set(seen))")
            var inPlace = residual
            inPlace.withUnsafeMutableBufferPointer { o in
                packed.forward(out: o.baseAddress!, inp: inp, n: n, threads: threads, residual: o.baseAddress)
            }
            for (name, result) in [("separate", got), ("in place", inPlace)] {
                let worst = zip(result, want).map { abs($0 - $1) / Swift.max(1, abs($1)) }.max() ?? .nan
                #expect(worst <= 1e-5, "n \(n) c \(c) oc \(oc) threads \(threads) \(name): \(worst)")
            }
        }
    }

    /// GELU applied in the kernel, before the store, equals the product followed by `GELU.forward`
    /// bit for bit (the same GELU on the same sums, on the AVX-512 path and the plain loops alike), for every tile shape (12-, 4- and 1-row
    /// tails, a masked last panel) and 1 and 2 threads.
    @Test(arguments: [(5, 16, 40), (241, 64, 96), (263, 384, 1536)])
    func packedLinearWithGELUEqualsTheProductThenGELU(n: Int, c: Int, oc: Int) throws {
        let inp = randomArray(n * c, seed: 13, scale: 2), weight = randomArray(oc * c, seed: 14, scale: 0.2)
        let bias = randomArray(oc, seed: 15)
        let packed = try packedLinear(weight: weight, bias: bias, c: c, oc: oc)
        for threads in [1, 2] {
            var want = [Float](repeating: .nan, count: n * oc), got = [Float](repeating: .nan, count: n * oc)
            packed.forward(out: &want, inp: inp, n: n, threads: threads)
            #expect(want.contains { $0 < -1 } && want.contains { $0 > 1 }, "sums on both sides of zero")
            want.withUnsafeMutableBufferPointer { w in GELU.forward(out: w.baseAddress!, inp: w.baseAddress!, count: n * oc) }
            packed.forward(out: &got, inp: inp, n: n, threads: threads, activation: .gelu)
            #expect(got == want, "n \(n) c \(c) oc \(oc) threads \(threads)")
        }
    }

    /// The AVX-512 GELU (C, a piecewise-polynomial normal tail over 32 intervals of [0, 6), looked up
    /// by permutes) gives the same bits as the vector kernels' GELU on every path (indexed loads) over a
    /// dense sweep through every interval and its joins, the cut at |x| = 6, every tail length, and NaN
    /// and ±infinity.
    @Test func vectorGELUEqualsThePortableLoop() {
        var xs = (0..<40_001).map { Float($0 - 20_000) / 2_000 }  // -10 ... 10 by 0.0005
        xs += [1.414_213_5, -1.414_213_5, 5.543_717, -5.543_717, 6, -6, 5.999_999_5, -5.999_999_5, .nan,
               .infinity, -.infinity, 0, -0.0, 1e-30]
        for count in [xs.count, 1, 15, 16, 17, 31, 33] {
            var want = [Float](repeating: 0, count: count), got = [Float](repeating: .nan, count: count)
            embedtune_gelu_forward(xs, count, &got)
            for path in [Int32(0), Int32(EMBEDTUNE_CPU_AVX2), Int32(EMBEDTUNE_CPU_AVX2 | EMBEDTUNE_CPU_AVX512)] {
                embedtune_gelu_reference_forward_on(path, xs, count, &want)
                for i in 0..<count where want[i].bitPattern != got[i].bitPattern && !(want[i].isNaN && got[i].isNaN) {
                    Issue.record("count \(count) path \(path): gelu(\(xs[i])) = \(got[i]), vector kernel \(want[i])")
                    break
                }
            }
        }
    }

    /// The AVX-512 GELU against x Φ(x) in double (erfc) on a dense sweep of [-8, 8]: absolute error
    /// within float rounding of the result (≤ 5e-8 + 1.2e-7 |x|; measured 3.8e-7 at x = 4.89).
    @Test func vectorGELUMatchesTheDefinitionInDouble() {
        let xs = (0..<320_001).map { Float($0 - 160_000) / 20_000 }  // -8 ... 8 by 0.00005
        var got = [Float](repeating: .nan, count: xs.count)
        embedtune_gelu_forward(xs, xs.count, &got)
        var worst = 0.0, worstX: Float = 0
        for (x, y) in zip(xs, got) {
            let want = 0.5 * Double(x) * Foundation.erfc(-Double(x) / 2.0.squareRoot())
            let excess = abs(Double(y) - want) - (5e-8 + 1.2e-7 * abs(Double(x)))
            if excess > worst { (worst, worstX) = (excess, x) }
        }
        #expect(worst == 0, "gelu(\(worstX)) off by \(worst) beyond the bound")
    }

    /// The AVX-512 LayerNorm (C) equals the portable SIMD16 loop, with and without the saved mean and
    /// rstd, in place, for row lengths 16 to 1536 with rows whose mean is far from 0 (to float rounding).
    @Test(arguments: [16, 48, 64, 80, 384, 1536])
    func vectorLayerNormEqualsThePortableLoop(c: Int) {
        let n = 7
        var rng = SplitMix64(seed: UInt64(c))
        let inp = (0..<(n * c)).map { i in rng.nextUniform() * 4 - 2 + Float(i / c) * 10 }
        let weight = (0..<c).map { _ in rng.nextUniform() + 0.5 }
        let bias = (0..<c).map { _ in rng.nextUniform() - 0.5 }
        var want = [Float](repeating: 0, count: n * c), got = [Float](repeating: .nan, count: n * c)
        var wantMean = [Float](repeating: 0, count: n), wantRstd = wantMean
        var gotMean = [Float](repeating: .nan, count: n), gotRstd = gotMean
        LayerNorm.portableForward(out: &want, mean: &wantMean, rstd: &wantRstd, inp: inp, weight: weight, bias: bias,
                                  n: n, c: c, eps: 1e-12)
        embedtune_layer_norm_forward(inp, weight, bias, n, c, 1e-12, &gotMean, &gotRstd, &got)
        // Rows with means up to 60: sums in another order differ by float rounding of the mean (~1e-5).
        #expect(maxAbsDifference(got, want) < 1e-4)
        #expect(allClose(gotMean, wantMean, relative: 1e-6, absolute: 1e-6) && allClose(gotRstd, wantRstd, relative: 1e-5))
        var inPlace = inp
        inPlace.withUnsafeMutableBufferPointer { b in
            embedtune_layer_norm_forward(b.baseAddress!, weight, bias, n, c, 1e-12, nil, nil, b.baseAddress!)
        }
        #expect(inPlace == got)
    }

    /// One head of the C attention kernel, called directly (so on a CPU without AVX2, or under
    /// EMBEDTUNE_CPU=portable, its plain C loop), equals softmax(q k^T · scale) v computed in double.
    @Test(arguments: [(1, 16), (17, 32), (70, 64)])
    func attentionHeadKernelEqualsTheDefinition(l: Int, hs: Int) {
        let ld = 2 * hs  // rows are strided, as in the packed (N, C) activations
        let q = randomArray(l * ld, seed: 21, scale: 2), k = randomArray(l * ld, seed: 22, scale: 2)
        let v = randomArray(l * ld, seed: 23)
        let scale = 1 / Float(hs).squareRoot()
        var scratch = [Float](repeating: 0, count: embedtune_attention_head_scratch_floats(l, hs))
        var got = [Float](repeating: .nan, count: l * ld)
        embedtune_attention_head(q, k, v, ld, l, hs, scale, &scratch, &got)
        var worst = 0.0
        for i in 0..<l {
            let scores = (0..<l).map { j in
                (0..<hs).reduce(0.0) { $0 + Double(q[i * ld + $1]) * Double(k[j * ld + $1]) } * Double(scale)
            }
            let top = scores.max() ?? 0
            let weights = scores.map { Foundation.exp($0 - top) }
            let total = weights.reduce(0, +)
            for d in 0..<hs {
                let want = (0..<l).reduce(0.0) { $0 + weights[$1] * Double(v[$1 * ld + d]) } / total
                worst = Swift.max(worst, abs(Double(got[i * ld + d]) - want))
            }
        }
        #expect(worst <= 1e-5, "l \(l) hs \(hs): max difference \(worst)")
    }

    /// Inference attention (no probabilities kept: the fused kernel) equals the training path
    /// (probabilities saved, two products and a softmax), for packed sequences of lengths around
    /// the kernel's 16- and 64-key steps and head sizes 16, 32 and 64.
    @Test(arguments: [16, 32, 64])
    func fusedAttentionEqualsTheGeneralPath(hs: Int) {
        let lengths = [1, 5, 16, 17, 63, 64, 65, 130]
        let nh = 3, c = nh * hs, b = lengths.count
        var offsets = [0]
        for l in lengths { offsets.append(offsets.last! + l) }
        let n = offsets[b]
        let q = randomArray(n * c, seed: 1, scale: 2), k = randomArray(n * c, seed: 2, scale: 2)
        let v = randomArray(n * c, seed: 3)
        var want = [Float](repeating: 0, count: n * c), got = [Float](repeating: .nan, count: n * c)
        var probs = [Float](repeating: 0, count: Attention.probabilitiesCount(offsets: offsets, b: b, nh: nh))
        Attention.forward(out: &want, probs: &probs, q: q, k: k, v: v, offsets: offsets, b: b, nh: nh, c: c, threads: 1)
        for threads in [1, 2] {
            Attention.forward(out: &got, probs: nil, q: q, k: k, v: v, offsets: offsets, b: b, nh: nh, c: c, threads: threads)
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? .nan
            #expect(worst <= 1e-5, "hs \(hs) threads \(threads): max difference \(worst)")
        }
    }
}
