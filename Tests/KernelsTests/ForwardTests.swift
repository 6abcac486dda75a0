import Foundation
import Tensor
import Testing
@testable import Kernels

/// Forward passes against straightforward Double references written out in the tests.
@Suite struct ForwardTests {
    @Test func linearForwardMatchesRowTimesWeightPlusBias() {
        let (n, c, oc) = (5, 7, 3)
        let inp = randomTensor([n, c], seed: 1), w = randomTensor([oc, c], seed: 2), bias = randomTensor([oc], seed: 3)
        let out = Tensor(zeros: [n, oc])
        Linear.forward(out: out.pointer, inp: inp.pointer, weight: w.pointer, bias: bias.pointer, n: n, c: c, oc: oc, context: .serial)
        var expected = [Float]()
        for i in 0..<n {
            for o in 0..<oc {
                var s = Double(bias[o])
                for j in 0..<c { s += Double(inp[i * c + j]) * Double(w[o * c + j]) }
                expected.append(Float(s))
            }
        }
        #expect(maxAbsDifference(out.array, expected) < 1e-5)
    }

    @Test func layerNormForwardNormalisesEachRowWithBiasedVariance() {
        let (n, c) = (3, 37)
        let inp = randomTensor([n, c], seed: 4, scale: 3), w = randomTensor([c], seed: 5), b = randomTensor([c], seed: 6)
        let out = Tensor(zeros: [n, c]), mean = Tensor(zeros: [n]), rstd = Tensor(zeros: [n])
        LayerNorm.forward(out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: inp.pointer,
                          weight: w.pointer, bias: b.pointer, n: n, c: c, eps: 1e-5)
        var expected = [Float]()
        for i in 0..<n {
            let row = (0..<c).map { Double(inp[i * c + $0]) }
            let m = row.reduce(0, +) / Double(c)
            let v = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(c)
            #expect(abs(Double(mean[i]) - m) < 1e-6)
            for j in 0..<c { expected.append(Float((row[j] - m) / (v + 1e-5).squareRoot() * Double(w[j]) + Double(b[j]))) }
        }
        #expect(maxAbsDifference(out.array, expected) < 1e-5)
    }

    @Test func geluForwardMatchesErfDefinition() {
        let count = 83
        let inp = randomTensor([count], seed: 7, scale: 6)
        let out = Tensor(zeros: [count])
        GELU.forward(out: out.pointer, inp: inp.pointer, count: count)
        let expected = inp.array.map { x in Float(0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))) }
        #expect(maxAbsDifference(out.array, expected) < 1e-6)
    }

    @Test func softmaxRowsSumToOneAndMatchDefinition() {
        let (rows, cols) = (4, 37)
        let inp = randomTensor([rows, cols], seed: 8, scale: 10)
        let out = Tensor(zeros: [rows, cols])
        Softmax.forward(out: out.pointer, inp: inp.pointer, rows: rows, cols: cols)
        var expected = [Float]()
        for r in 0..<rows {
            let row = (0..<cols).map { Double(inp[r * cols + $0]) }
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            expected += e.map { Float($0 / s) }
        }
        #expect(maxAbsDifference(out.array, expected) < 1e-6)
    }

    @Test func attentionForwardMatchesPerSequenceDefinitionInParallel() {
        let lengths = [5, 3, 7], nh = 4, c = 16, hs = c / nh
        let offsets = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        let n = offsets.last!
        let q = randomTensor([n, c], seed: 9), k = randomTensor([n, c], seed: 10), v = randomTensor([n, c], seed: 11)
        var expected = [Float](repeating: 0, count: n * c)
        for s in 0..<lengths.count {
            for h in 0..<nh {
                for i in offsets[s]..<offsets[s + 1] {
                    var scores = [Double]()
                    for j in offsets[s]..<offsets[s + 1] {
                        var d = 0.0
                        for e in 0..<hs { d += Double(q[i * c + h * hs + e]) * Double(k[j * c + h * hs + e]) }
                        scores.append(d / Double(hs).squareRoot())
                    }
                    let m = scores.max() ?? 0
                    let w = scores.map { Foundation.exp($0 - m) }
                    let total = w.reduce(0, +)
                    for e in 0..<hs {
                        var o = 0.0
                        for (jj, j) in (offsets[s]..<offsets[s + 1]).enumerated() { o += w[jj] / total * Double(v[j * c + h * hs + e]) }
                        expected[i * c + h * hs + e] = Float(o)
                    }
                }
            }
        }
        for threads in [1, 2] {
            let out = Tensor(zeros: [n, c])
            let count = offsets.withUnsafeBufferPointer { Attention.probabilitiesCount(offsets: $0.baseAddress!, b: 3, nh: nh) }
            #expect(count == nh * (25 + 9 + 49))
            let probs = Tensor(zeros: [count])
            offsets.withUnsafeBufferPointer {
                Attention.forward(out: out.pointer, probs: probs.pointer, q: q.pointer, k: k.pointer, v: v.pointer,
                                  offsets: $0.baseAddress!, b: 3, nh: nh, c: c, threads: threads)
            }
            #expect(maxAbsDifference(out.array, expected) < 1e-5)
            // Without saved probabilities (inference) the output is the same.
            let out2 = Tensor(zeros: [n, c])
            offsets.withUnsafeBufferPointer {
                Attention.forward(out: out2.pointer, probs: nil, q: q.pointer, k: k.pointer, v: v.pointer,
                                  offsets: $0.baseAddress!, b: 3, nh: nh, c: c, threads: threads)
            }
            #expect(out2.array == out.array)
        }
    }

    @Test func poolingModesOverPackedSequences() {
        let offsets = [0, 2, 5], c = 3
        let inp = Tensor(shape: [5, c], values: [1, -2, 3, 3, -4, 5, 0, 9, -1, 2, 2, 2, -6, 1, 0])
        func pool(_ mode: PoolingMode) -> ([Float], [Int32]) {
            let out = Tensor(zeros: [2, c])
            var argmax = [Int32](repeating: -1, count: 2 * c)
            offsets.withUnsafeBufferPointer { o in
                argmax.withUnsafeMutableBufferPointer { am in
                    Pooling.forward(out: out.pointer, argmax: am.baseAddress!, inp: inp.pointer, offsets: o.baseAddress!,
                                    mode: mode, b: 2, c: c)
                }
            }
            return (out.array, argmax)
        }
        #expect(pool(.cls).0 == [1, -2, 3, 0, 9, -1])
        #expect(maxAbsDifference(pool(.mean).0, [2, -3, 4, -4.0 / 3, 4, 1.0 / 3]) < 1e-6)
        #expect(maxAbsDifference(pool(.meanSqrtLength).0, [4 / 2.0.squareRoot(), -6 / 2.0.squareRoot(), 8 / 2.0.squareRoot(),
                                                            -4 / 3.0.squareRoot(), 12 / 3.0.squareRoot(), 1 / 3.0.squareRoot()].map(Float.init)) < 1e-6)
        let (maxOut, argmax) = pool(.max)
        #expect(maxOut == [3, -2, 5, 2, 9, 2])
        #expect(argmax == [1, 0, 1, 3, 2, 3])
    }

    @Test func l2NormalizeGivesUnitRowsAndKeepsZeroRowsZero() {
        let inp = Tensor(shape: [2, 3], values: [3, 0, 4, 0, 0, 0])
        let out = Tensor(zeros: [2, 3]), norms = Tensor(zeros: [2])
        L2Normalize.forward(out: out.pointer, norms: norms.pointer, inp: inp.pointer, b: 2, c: 3)
        #expect(maxAbsDifference(out.array, [0.6, 0, 0.8, 0, 0, 0]) < 1e-7)
        #expect(norms.array == [5, 0])
    }

    @Test func embeddingForwardAccumulatesTableRows() {
        let table = randomTensor([4, 5], seed: 12)
        let out = Tensor(shape: [2, 5], values: [Float](repeating: 1, count: 10))
        let ids: [Int32] = [3, 0]
        ids.withUnsafeBufferPointer {
            Embedding.forward(out: out.pointer, ids: $0.baseAddress!, table: table.pointer, n: 2, c: 5, vocabularySize: 4)
        }
        let expected = (0..<5).map { table[15 + $0] + 1 } + (0..<5).map { table[$0] + 1 }
        #expect(out.array == expected)
    }

    @Test func loraForwardWithZeroDropoutAddsScaledLowRankProduct() {
        let (n, c, oc, r) = (4, 6, 5, 2)
        let inp = randomTensor([n, c], seed: 13), a = randomTensor([r, c], seed: 14), b = randomTensor([oc, r], seed: 15)
        let out = randomTensor([n, oc], seed: 16)
        let before = out.array
        let xa = Tensor(zeros: [n, r])
        var rng = SplitMix64(seed: 0)
        LoRA.forward(out: out.pointer, xa: xa.pointer, droppedInput: nil, inp: inp.pointer, a: a.pointer, b: b.pointer,
                     scale: 2, dropout: 0, rng: &rng, n: n, c: c, oc: oc, r: r, context: .serial)
        // Merging the same adapter into a zero weight gives scale * B @ A; out - before = inp @ that^T.
        let merged = Tensor(zeros: [oc, c])
        LoRA.merge(weight: merged.pointer, a: a.pointer, b: b.pointer, scale: 2, c: c, oc: oc, r: r)
        var expected = [Float]()
        for i in 0..<n {
            for o in 0..<oc {
                var s = Double(before[i * oc + o])
                for j in 0..<c { s += Double(inp[i * c + j]) * Double(merged[o * c + j]) }
                expected.append(Float(s))
            }
        }
        #expect(maxAbsDifference(out.array, expected) < 1e-5)
    }
}

@Suite struct AttentionThreadingTests {
    @Test func backwardGivesTheSameGradientsOnOneAndTwoThreads() {
        let fixture = KernelFixtures.shared["attention"]
        var results = [[String: [Float]]]()
        for threads in [1, 2] {
            let layer = LayerHarness.attention(fixture, threads: threads)
            let gradients = layer.zeroGradients()
            layer.backward(fixture.tensor("dout"), gradients)
            results.append(gradients.mapValues(\.array))
        }
        #expect(results[0] == results[1])
    }
}
