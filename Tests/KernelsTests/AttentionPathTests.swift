import CSIMD
import Tensor
import Testing
@testable import Kernels

/// The attention kernels of one head give the same bits on every path: the inference kernel
/// (`embedtune_attention_head_on`) and the training forward and backward (`_forward_on`,
/// `_backward_on`) on AVX-512 and AVX2 equal their plain loops, which compute each output by the same
/// chain (one fused multiply-add per step in order, row sums in 16 lanes added up in one order).
/// Paths this CPU lacks fall back to the next; AttentionTrainKernelTests and InferenceKernelTests check
/// the values against sums in Double.
@Suite struct AttentionPathTests {
    static let paths: [Int32] = [Int32(EMBEDTUNE_CPU_AVX2), Int32(EMBEDTUNE_CPU_AVX2 | EMBEDTUNE_CPU_AVX512)]

    @Test(arguments: [1, 3, 8, 9, 16, 17, 37, 70, 128], [16, 32, 48])
    func everyPathGivesThePlainLoopsBits(l: Int, hs: Int) {
        let ld = 2 * hs + 3, offset = hs + 1  // the head's columns inside wider rows
        let seed = UInt64(l * 1000 + hs)
        let q = randomTensor([l, ld], seed: seed, scale: 2), k = randomTensor([l, ld], seed: seed + 1, scale: 2)
        let v = randomTensor([l, ld], seed: seed + 2), dout = randomTensor([l, ld], seed: seed + 3)
        let start = randomArray(l * ld, seed: seed + 4)
        var rng = SplitMix64(seed: seed + 5)
        let dropped = (0..<(l * l)).map { _ -> Float in rng.nextUniform() < 0.1 ? 0 : 1 / 0.9 }
        let scale = 1 / Float(hs).squareRoot()
        let scratchFloats = max(
            embedtune_attention_train_scratch_floats(l, hs), embedtune_attention_head_scratch_floats(l, hs))

        func head(_ path: Int32) -> [UInt32] {
            var out = [Float](repeating: .nan, count: l * ld), scratch = [Float](repeating: 0, count: scratchFloats)
            out.withUnsafeMutableBufferPointer { o in
                embedtune_attention_head_on(path, q.pointer + offset, k.pointer + offset, v.pointer + offset, ld, l, hs, scale,
                                            &scratch, o.baseAddress! + offset)
            }
            return out.map(\.bitPattern)
        }
        let plainHead = head(0)
        #expect(plainHead.enumerated().allSatisfy { ($0.offset % ld) < offset || ($0.offset % ld) >= offset + hs || !Float(bitPattern: $0.element).isNaN })
        for path in Self.paths { #expect(head(path) == plainHead, "head, l \(l) hs \(hs) path \(path)") }

        for mask in [nil, dropped] {
            // forward: (probabilities, out); backward: (dq, dk, dv) from the plain path's probabilities
            func forward(_ path: Int32) -> (probs: [Float], out: [UInt32]) {
                var out = [Float](repeating: .nan, count: l * ld), probs = [Float](repeating: .nan, count: l * l)
                var scratch = [Float](repeating: 0, count: scratchFloats)
                out.withUnsafeMutableBufferPointer { o in
                    embedtune_attention_train_forward_on(
                        path, q.pointer + offset, k.pointer + offset, v.pointer + offset, ld, l, hs, scale, mask, &probs, &scratch,
                        o.baseAddress! + offset)
                }
                return (probs, out.map(\.bitPattern))
            }
            let plain = forward(0)
            #expect(plain.probs.allSatisfy { $0.isFinite })
            for path in Self.paths {
                let got = forward(path)
                #expect(got.probs.map(\.bitPattern) == plain.probs.map(\.bitPattern), "probabilities, l \(l) hs \(hs) path \(path)")
                #expect(got.out == plain.out, "out, l \(l) hs \(hs) mask \(mask != nil) path \(path)")
            }
            for overwrite: Int32 in [1, 0] {
                func backward(_ path: Int32) -> [UInt32] {
                    var dq = start, dk = start, dv = start, scratch = [Float](repeating: 0, count: scratchFloats)
                    dq.withUnsafeMutableBufferPointer { dq in
                        dk.withUnsafeMutableBufferPointer { dk in
                            dv.withUnsafeMutableBufferPointer { dv in
                                embedtune_attention_train_backward_on(
                                    path, q.pointer + offset, k.pointer + offset, v.pointer + offset, dout.pointer + offset, ld, l, hs,
                                    scale, plain.probs, mask, &scratch, dq.baseAddress! + offset, dk.baseAddress! + offset,
                                    dv.baseAddress! + offset, overwrite)
                            }
                        }
                    }
                    return (dq + dk + dv).map(\.bitPattern)
                }
                let plainGradients = backward(0)
                #expect(plainGradients != (start + start + start).map(\.bitPattern), "the gradients are written")
                for path in Self.paths {
                    #expect(backward(path) == plainGradients,
                            "gradients, l \(l) hs \(hs) mask \(mask != nil) overwrite \(overwrite) path \(path)")
                }
            }
        }
    }
}
