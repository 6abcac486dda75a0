import CSIMD
import Foundation
import Tensor
import Testing
@testable import Kernels

/// The training attention kernels of one head (`embedtune_attention_train_forward` / `_backward`)
/// against the same function summed in Double: probabilities, output and the three gradients, with
/// and without a dropout mask, written over or accumulated. Lengths off the kernels' blocks (16
/// keys, 4 score rows, 12 product rows) and head sizes of one, two and three 16-lane vectors, the
/// head's columns inside wider rows. The AVX-512 or AVX2 kernels where the CPU has them (the path
/// the process is limited to by EMBEDTUNE_CPU), their plain C loops under EMBEDTUNE_CPU=portable.
@Suite struct AttentionTrainKernelTests {
    @Test(arguments: [1, 5, 16, 17, 37, 70], [16, 32, 48])
    func kernelsEqualSumsInDouble(l: Int, hs: Int) {
        let ld = 3 * hs + 5, offset = hs + 3  // the head's columns inside rows of ld floats
        let seed = UInt64(l * 100 + hs)
        let q = randomTensor([l, ld], seed: seed), k = randomTensor([l, ld], seed: seed + 1, scale: 2)
        let v = randomTensor([l, ld], seed: seed + 2), dout = randomTensor([l, ld], seed: seed + 3)
        let scale = 1 / Float(hs).squareRoot()
        var rng = SplitMix64(seed: seed + 4)
        let dropped = (0..<(l * l)).map { _ -> Float in rng.nextUniform() < 0.1 ? 0 : 1 / 0.9 }
        if embedtune_cpu_features() & Int32(EMBEDTUNE_CPU_AVX512 | EMBEDTUNE_CPU_AVX2) != 0 {
            #expect(embedtune_attention_train_available(hs) == 1, "an AVX-512 or AVX2 CPU runs the kernels")
        }
        func at(_ x: Tensor, _ i: Int, _ d: Int) -> Double { Double(x[i * ld + offset + d]) }

        for mask in [nil, dropped] {
            // Reference in Double.
            var p = [Double](repeating: 0, count: l * l)
            for i in 0..<l {
                var row = (0..<l).map { j in (0..<hs).reduce(0.0) { $0 + at(q, i, $1) * at(k, j, $1) } * Double(scale) }
                let top = row.max() ?? 0
                row = row.map { Foundation.exp($0 - top) }
                let sum = row.reduce(0, +)
                for j in 0..<l { p[i * l + j] = row[j] / sum }
            }
            let m = (0..<(l * l)).map { Double(mask?[$0] ?? 1) }
            var out = [Double](repeating: 0, count: l * hs), dq = out, dk = out, dv = out
            var ds = [Double](repeating: 0, count: l * l)
            for i in 0..<l {
                for d in 0..<hs { out[i * hs + d] = (0..<l).reduce(0.0) { $0 + p[i * l + $1] * m[i * l + $1] * at(v, $1, d) } }
                let dp = (0..<l).map { j in (0..<hs).reduce(0.0) { $0 + at(dout, i, $1) * at(v, j, $1) } * m[i * l + j] }
                let dot = (0..<l).reduce(0.0) { $0 + p[i * l + $1] * dp[$1] }
                for j in 0..<l { ds[i * l + j] = Double(scale) * p[i * l + j] * (dp[j] - dot) }
            }
            for i in 0..<l {
                for d in 0..<hs {
                    dv[i * hs + d] = (0..<l).reduce(0.0) { $0 + p[$1 * l + i] * m[$1 * l + i] * at(dout, $1, d) }
                    dq[i * hs + d] = (0..<l).reduce(0.0) { $0 + ds[i * l + $1] * at(k, $1, d) }
                    dk[i * hs + d] = (0..<l).reduce(0.0) { $0 + ds[$1 * l + i] * at(q, $1, d) }
                }
            }

            let work = Tensor(zeros: [embedtune_attention_train_scratch_floats(l, hs)])
            let gotOut = Tensor(shape: [l, ld], values: [Float](repeating: .nan, count: l * ld))
            let probs = Tensor(shape: [l, l], values: [Float](repeating: .nan, count: l * l))
            let maskTensor = mask.map { Tensor(shape: [l, l], values: $0) }
            embedtune_attention_train_forward(
                q.pointer + offset, k.pointer + offset, v.pointer + offset, ld, l, hs, scale, maskTensor?.pointer,
                probs.pointer, work.pointer, gotOut.pointer + offset)
            #expect(worst(probs.array, p, columns: l, ld: l, offset: 0) <= 1e-6, "probabilities, l \(l) hs \(hs)")
            #expect(worst(gotOut.array, out, columns: hs, ld: ld, offset: offset) <= 2e-6 * Float(l).squareRoot(),
                    "out, l \(l) hs \(hs)")
            #expect(gotOut[0].isNaN, "columns outside the head are not written")

            for overwrite in [true, false] {
                let start = overwrite ? [Float](repeating: .nan, count: l * ld) : randomArray(l * ld, seed: seed + 9)
                let gq = Tensor(shape: [l, ld], values: start), gk = Tensor(shape: [l, ld], values: start)
                let gv = Tensor(shape: [l, ld], values: start)
                embedtune_attention_train_backward(
                    q.pointer + offset, k.pointer + offset, v.pointer + offset, dout.pointer + offset, ld, l, hs, scale,
                    probs.pointer, maskTensor?.pointer, work.pointer, gq.pointer + offset, gk.pointer + offset,
                    gv.pointer + offset, overwrite ? 1 : 0)
                let tolerance = 4e-6 * Float(l * hs).squareRoot()
                for (name, got, want) in [("dq", gq, dq), ("dk", gk, dk), ("dv", gv, dv)] {
                    let base = overwrite ? got.array : zip(got.array, start).map { $0 - $1 }
                    #expect(worst(base, want, columns: hs, ld: ld, offset: offset) <= tolerance,
                            "\(name), l \(l) hs \(hs), mask \(mask != nil), overwrite \(overwrite)")
                }
            }
        }
    }

    /// Largest |got[i * ld + offset + j] - want[i * columns + j]|, as Float.
    func worst(_ got: [Float], _ want: [Double], columns: Int, ld: Int, offset: Int) -> Float {
        var w = 0.0
        for i in 0..<(want.count / columns) {
            for j in 0..<columns { w = max(w, abs(Double(got[i * ld + offset + j]) - want[i * columns + j])) }
        }
        return Float(w)
    }
}
