import Tensor
import Testing
@testable import Kernels

/// LoRA fused into the packed frozen products (`PackedLoRA`) against the base's product + `LoRA` on
/// the same values, and the skinny `LowRank` kernels against sums in Double. Sizes off the kernels'
/// tiles (12 rows, 32 channels, 16 lanes, 8 rank columns, 2 rows) so that every edge is crossed; run
/// on the AVX-512 kernels where the CPU has them and on their plain C loops otherwise.
@Suite struct PackedLoRATests {
    /// With a float32 base (`PackedLinear`) against `Linear` through OpenBLAS; with a bf16 base
    /// (`BF16Linear`, `train --precision bf16`) against the same bf16 products alone; the float32 LoRA
    /// branch added by `LoRA` in a second pass in both references.
    @Test(arguments: [(29, 24, 40, 3), (50, 384, 384, 8), (13, 1536, 384, 13), (1, 7, 5, 1), (100, 40, 70, 16)],
          [false, true])
    func forwardAndGradientsEqualBaseWithLoRA(sizes: (Int, Int, Int, Int), bf16: Bool) throws {
        let (n, c, oc, r) = sizes
        let seed = UInt64(n * 10_000 + c * 10 + r)
        let weight = randomTensor([oc, c], seed: seed), bias = randomTensor([oc], seed: seed + 1)
        let a = randomTensor([r, c], seed: seed + 2), b = randomTensor([oc, r], seed: seed + 3)
        let inp = randomTensor([n, c], seed: seed + 4), residual = randomTensor([n, oc], seed: seed + 5)
        let dout = randomTensor([n, oc], seed: seed + 6), dinp0 = randomArray(n * c, seed: seed + 7)
        let da0 = randomArray(r * c, seed: seed + 8), db0 = randomArray(oc * r, seed: seed + 9)
        let scale: Float = 2
        var wt = [Float](repeating: 0, count: c * oc)
        for o in 0..<oc { for i in 0..<c { wt[i * oc + o] = weight[o * c + i] } }
        let base: any LowRankProduct, transposed: any LowRankProduct
        if bf16 {
            base = BF16Linear(weight: weight.pointer, bias: bias.pointer, inFeatures: c, outFeatures: oc)
            transposed = BF16Linear(weight: wt, bias: nil, inFeatures: oc, outFeatures: c)
        } else {
            base = try #require(
                PackedLinear(weight: weight.pointer, bias: bias.pointer, inFeatures: c, outFeatures: oc, fastPathOnly: false))
            transposed = try #require(PackedLinear(weight: wt, bias: nil, inFeatures: oc, outFeatures: c, fastPathOnly: false))
        }

        // Reference: the base's product + residual, then LoRA.
        var expected = [Float](repeating: 0, count: n * oc), xaExpected = [Float](repeating: 0, count: n * r)
        var dinpExpected = dinp0, daExpected = da0, dbExpected = db0
        if bf16 {
            base.forward(
                out: &expected, inp: inp.pointer, n: n, threads: 1, residual: residual.pointer, lowRank: nil,
                activation: .identity, epilogue: nil)
            dinpExpected.withUnsafeMutableBufferPointer { d in
                guard let p = d.baseAddress else { return }
                transposed.forward(
                    out: p, inp: dout.pointer, n: n, threads: 1, residual: p, lowRank: nil, activation: .identity,
                    epilogue: nil)
            }
        } else {
            Linear.forward(out: &expected, inp: inp.pointer, weight: weight.pointer, bias: bias.pointer, n: n, c: c, oc: oc, context: .serial)
            for i in 0..<(n * oc) { expected[i] += residual[i] }
            Linear.backward(
                dinp: &dinpExpected, dweight: nil, dbias: nil, dout: dout.pointer, inp: inp.pointer, weight: weight.pointer,
                n: n, c: c, oc: oc, context: .serial)
        }
        var rng = SplitMix64(seed: 0)
        LoRA.forward(
            out: &expected, xa: &xaExpected, droppedInput: nil, inp: inp.pointer, a: a.pointer, b: b.pointer, scale: scale,
            dropout: 0, rng: &rng, n: n, c: c, oc: oc, r: r, context: .serial)
        LoRA.backward(
            dinp: &dinpExpected, da: &daExpected, db: &dbExpected, dout: dout.pointer, xa: xaExpected, droppedInput: nil,
            inp: inp.pointer, a: a.pointer, b: b.pointer, scale: scale, dropout: 0, n: n, c: c, oc: oc, r: r,
            context: .serial)

        // On one thread dB's sums ride along the product's blocks (`OuterSums`); on two, `LowRank.outer`
        // sums by columns: the same bits, like everything else here.
        var firstRun: [[Float]]? = nil
        for threads in [1, 2] {
            let context = ComputeContext(threads: threads)
            var got = [Float](repeating: 0, count: n * oc), xa = [Float](repeating: 0, count: n * r)
            PackedLoRA.forward(
                out: &got, xa: &xa, inp: inp.pointer, residual: residual.pointer, base: base, a: a.pointer, b: b.pointer,
                scale: scale, n: n, r: r, context: context)
            let tolerance = 2e-6 * Float(c + r).squareRoot() * 4
            #expect(maxAbsDifference(got, expected) <= tolerance, "forward, \(threads) threads, bf16 \(bf16)")
            #expect(maxAbsDifference(xa, xaExpected) <= 2e-6 * Float(c).squareRoot())

            var dinp = dinp0, da = da0, db = db0
            PackedLoRA.backward(
                dinp: &dinp, da: &da, db: &db, dout: dout.pointer, xa: xa, inp: inp.pointer, transposedBase: transposed,
                a: a.pointer, b: b.pointer, scale: scale, n: n, r: r, context: context)
            #expect(maxAbsDifference(dinp, dinpExpected) <= 2e-6 * Float(oc + r).squareRoot() * 8, "dinp, \(threads) threads")
            #expect(maxAbsDifference(da, daExpected) <= 2e-6 * Float(n * oc).squareRoot() * 8, "dA, \(threads) threads")
            #expect(maxAbsDifference(db, dbExpected) <= 2e-6 * Float(n * c).squareRoot() * 8, "dB, \(threads) threads")
            #expect(da != da0 && db != db0 && dinp != dinp0)  // accumulated onto, not skipped

            // Written over instead of accumulated; and no input gradient at all, the same dA and dB.
            var written = dinp0, daAlone = da0, dbAlone = db0
            PackedLoRA.backward(
                dinp: &written, da: nil, db: nil, dout: dout.pointer, xa: xa, inp: inp.pointer, transposedBase: transposed,
                a: a.pointer, b: b.pointer, scale: scale, n: n, r: r, overwrite: true, context: context)
            #expect(maxAbsDifference(zip(written, dinp0).map { $0 + $1 }, dinp) <= 2e-6 * Float(oc + r).squareRoot() * 8)
            PackedLoRA.backward(
                dinp: nil, da: &daAlone, db: &dbAlone, dout: dout.pointer, xa: xa, inp: inp.pointer,
                transposedBase: transposed, a: a.pointer, b: b.pointer, scale: scale, n: n, r: r, context: context)
            #expect(daAlone == da && dbAlone == db)
            if let firstRun { #expect(firstRun == [got, xa, dinp, da, db], "1 against 2 threads") }
            firstRun = [got, xa, dinp, da, db]
        }
    }

    @Test(arguments: [(2283, 384, 8), (7, 19, 3), (33, 1536, 9), (1, 16, 1), (64, 40, 16)])
    func lowRankKernelsEqualDoubleSums(sizes: (Int, Int, Int)) {
        let (n, k, r) = sizes
        let seed = UInt64(n * 1000 + k + r)
        let inp = randomArray(n * k, seed: seed), down = randomArray(r * k, seed: seed + 1), u = randomArray(n * r, seed: seed + 2)
        var out = [Float](repeating: 0, count: n * r)
        LowRank.down(out: &out, inp: inp, down: down, scale: 0.5, n: n, k: k, r: r, context: ComputeContext(threads: 2))
        var downError: Double = 0
        for i in 0..<n {
            for j in 0..<r {
                let sum = (0..<k).reduce(0.0) { $0 + Double(inp[i * k + $1]) * Double(down[j * k + $1]) }
                downError = max(downError, abs(0.5 * sum - Double(out[i * r + j])))
            }
        }
        #expect(downError <= 1e-6 * Double(k).squareRoot())
        // down given transposed (K, R): the same bits.
        var downT = [Float](repeating: 0, count: k * r)
        for j in 0..<r { for kk in 0..<k { downT[kk * r + j] = down[j * k + kk] } }
        var outT = [Float](repeating: 0, count: n * r)
        LowRank.down(out: &outT, inp: inp, down: downT, transposed: true, scale: 0.5, n: n, k: k, r: r, context: .serial)
        #expect(outT == out)

        // up: out0 (N, K) += u (N, R) @ (3 up)^T, up (K, R) = downT, or given transposed as down.
        let out0 = randomArray(n * k, seed: seed + 4)
        var up = out0, upT = out0
        LowRank.up(into: &up, inp: u, up: downT, scale: 3, n: n, k: k, r: r, context: ComputeContext(threads: 2))
        LowRank.up(into: &upT, inp: u, up: down, transposed: true, scale: 3, n: n, k: k, r: r, context: .serial)
        var upError: Double = 0
        for i in 0..<n {
            for kk in 0..<k {
                let sum = (0..<r).reduce(0.0) { $0 + Double(u[i * r + $1]) * 3 * Double(down[$1 * k + kk]) }
                upError = max(upError, abs(Double(out0[i * k + kk]) + sum - Double(up[i * k + kk])))
            }
        }
        #expect(upError <= 1e-5 * Double(r).squareRoot())
        #expect(upT == up)

        // g (R, K) and its transpose (K, R), each accumulated onto.
        let g0 = randomArray(r * k, seed: seed + 3)
        var g = g0, gt = g0
        LowRank.outer(into: &g, ldj: k, ldk: 1, u: u, v: inp, scale: 2, n: n, k: k, r: r, context: ComputeContext(threads: 2))
        LowRank.outer(into: &gt, ldj: 1, ldk: r, u: u, v: inp, scale: 2, n: n, k: k, r: r, context: .serial)
        var outerError: Double = 0
        for j in 0..<r {
            for kk in 0..<k {
                let sum = (0..<n).reduce(0.0) { $0 + Double(u[$1 * r + j]) * Double(inp[$1 * k + kk]) }
                outerError = max(outerError, abs(Double(g0[j * k + kk]) + 2 * sum - Double(g[j * k + kk])))
                outerError = max(outerError, abs(Double(g0[kk * r + j]) + 2 * sum - Double(gt[kk * r + j])))
            }
        }
        #expect(outerError <= 4e-6 * Double(n).squareRoot())

        // The same sums gathered in uneven blocks of rows (`OuterSums`), then added: g's bits.
        u.withUnsafeBufferPointer { uBuffer in
            guard let uPointer = uBuffer.baseAddress else { return }
            let sums = OuterSums(u: uPointer, rank: r, columns: k)
            var lo = 0, block = 1
            while lo < n {
                let hi = min(n, lo + block)
                sums.accumulate(rows: lo, hi, v: inp, k: k)
                lo = hi
                block = block * 3 + 5
            }
            var blocked = g0
            sums.finish(into: &blocked, ldj: k, ldk: 1, scale: 2)
            #expect(blocked == g)
        }
    }
}
