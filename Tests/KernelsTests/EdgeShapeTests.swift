import Tensor
import Testing
@testable import Kernels

/// Shapes the fixtures do not reach: rows of 16 or more whose length is not a multiple of 16 (the
/// overlapping last-vector path), exact multiples, in-place use, long attention sequences.
@Suite struct EdgeShapeTests {
    @Test(arguments: [1, 5, 16, 32, 37, 40, 63])
    func softmaxInPlaceEqualsOutOfPlace(cols: Int) {
        let rows = 3
        let inp = randomTensor([rows, cols], seed: UInt64(cols), scale: 6)
        let out = Tensor(zeros: [rows, cols])
        Softmax.forward(out: out.pointer, inp: inp.pointer, rows: rows, cols: cols)
        let inPlace = Tensor(shape: [rows, cols], values: inp.array)
        Softmax.forward(out: inPlace.pointer, inp: inPlace.pointer, rows: rows, cols: cols)
        #expect(inPlace.array == out.array)
        for r in 0..<rows {
            let total = (0..<cols).reduce(0.0) { $0 + Double(out[r * cols + $1]) }
            #expect(abs(total - 1) < 1e-5)
        }
        // The in-place backward used by attention equals the accumulating one applied to zeros.
        let dout = randomTensor([rows, cols], seed: 99)
        let dinp = Tensor(zeros: [rows, cols])
        Softmax.backward(dinp: dinp.pointer, dout: dout.pointer, out: out.pointer, rows: rows, cols: cols)
        Softmax.backwardInPlace(grad: dout.pointer, out: out.pointer, rows: rows, cols: cols)
        #expect(maxAbsDifference(dout.array, dinp.array) < 1e-6)
    }

    @Test(arguments: [1, 15, 16, 17, 100])
    func geluAndLayerNormHandleEveryTailLength(count: Int) {
        let inp = randomTensor([count], seed: UInt64(count), scale: 4)
        let out = Tensor(zeros: [count])
        GELU.forward(out: out.pointer, inp: inp.pointer, count: count)
        let inPlace = Tensor(shape: [count], values: inp.array)
        GELU.forward(out: inPlace.pointer, inp: inPlace.pointer, count: count)
        #expect(inPlace.array == out.array)
        let w = Tensor(shape: [count], values: [Float](repeating: 1, count: count)), b = Tensor(zeros: [count])
        let normed = Tensor(zeros: [count])
        LayerNorm.forward(out: normed.pointer, mean: nil, rstd: nil, inp: inp.pointer, weight: w.pointer, bias: b.pointer,
                          n: 1, c: count, eps: 1e-5)
        let mean = normed.array.reduce(0, +) / Float(count)
        #expect(abs(mean) < 1e-5)
        if count > 1 {
            let variance = normed.array.map { $0 * $0 }.reduce(0, +) / Float(count)
            #expect(abs(variance - 1) < 1e-3)
        }
    }

    @Test func attentionGradientsOnLongSequencesMatchFiniteDifferences() {
        let lengths = [37, 16, 3], nh = 2, c = 8
        let offsets = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        let n = offsets.last!, b = lengths.count
        let q = randomTensor([n, c], seed: 1), k = randomTensor([n, c], seed: 2), v = randomTensor([n, c], seed: 3)
        let dout = randomTensor([n, c], seed: 4)
        let out = Tensor(zeros: [n, c])
        let probs = Tensor(zeros: [offsets.withUnsafeBufferPointer { Attention.probabilitiesCount(offsets: $0.baseAddress!, b: b, nh: nh) }])
        func forward() -> [Float] {
            offsets.withUnsafeBufferPointer {
                Attention.forward(out: out.pointer, probs: probs.pointer, q: q.pointer, k: k.pointer, v: v.pointer,
                                  offsets: $0.baseAddress!, b: b, nh: nh, c: c, threads: 2)
            }
            return out.array
        }
        _ = forward()
        let dq = Tensor(zeros: [n, c]), dk = Tensor(zeros: [n, c]), dv = Tensor(zeros: [n, c])
        offsets.withUnsafeBufferPointer {
            Attention.backward(dq: dq.pointer, dk: dk.pointer, dv: dv.pointer, dout: dout.pointer, q: q.pointer, k: k.pointer,
                               v: v.pointer, probs: probs.pointer, offsets: $0.baseAddress!, b: b, nh: nh, c: c, threads: 2)
        }
        for (name, parameter, analytic) in [("q", q, dq), ("k", k, dk), ("v", v, dv)] {
            let numeric = FiniteDifference.gradient(of: parameter) { FiniteDifference.dotLoss(forward(), dout) }
            let mismatch = FiniteDifference.mismatch(analytic.array, numeric, relative: 1e-3, absolute: 1e-4)
            #expect(mismatch <= 1, "d\(name): worst mismatch \(mismatch) of the tolerance")
        }
        // Written over instead of accumulated: the same values onto buffers full of NaN (not read).
        let written = (0..<3).map { _ in Tensor(shape: [n, c], values: [Float](repeating: .nan, count: n * c)) }
        offsets.withUnsafeBufferPointer {
            Attention.backward(dq: written[0].pointer, dk: written[1].pointer, dv: written[2].pointer, dout: dout.pointer,
                               q: q.pointer, k: k.pointer, v: v.pointer, probs: probs.pointer, offsets: $0.baseAddress!,
                               b: b, nh: nh, c: c, threads: 2, overwrite: true)
        }
        #expect(written[0].array == dq.array && written[1].array == dk.array && written[2].array == dv.array)
    }
}
