import Tensor
import Testing
@testable import Kernels

/// Dropout and LoRA's input dropout: random, so checked by their statistics, by replaying the
/// same seed, and by finite differences with the seed fixed.
@Suite struct DropoutTests {
    @Test func dropoutZeroesAboutPAndScalesSurvivors() {
        let count = 20_000, p: Float = 0.25
        let inp = Tensor(shape: [count], values: [Float](repeating: 2, count: count))
        let out = Tensor(zeros: [count]), mask = Tensor(zeros: [count])
        var rng = SplitMix64(seed: 42)
        Dropout.forward(out: out.pointer, mask: mask.pointer, inp: inp.pointer, p: p, rng: &rng, count: count)
        let dropped = out.array.filter { $0 == 0 }.count
        #expect(abs(Float(dropped) / Float(count) - p) < 0.01)
        #expect(out.array.allSatisfy { $0 == 0 || $0 == 2 / (1 - p) })
        #expect(zip(out.array, mask.array).allSatisfy { $0 == 2 * $1 })
    }

    @Test func dropoutIsReproducibleFromTheSeed() {
        let inp = randomTensor([100], seed: 1)
        func run() -> [Float] {
            let out = Tensor(zeros: [100]), mask = Tensor(zeros: [100])
            var rng = SplitMix64(seed: 7)
            Dropout.forward(out: out.pointer, mask: mask.pointer, inp: inp.pointer, p: 0.5, rng: &rng, count: 100)
            return out.array
        }
        #expect(run() == run())
    }

    /// The masks are drawn eight at a time (`embedtune_dropout_mask`): the same bits as the generator's
    /// draws one after another, and the generator ends where those draws leave it.
    @Test(arguments: [1, 7, 8, 9, 100, 4099])
    func dropoutDrawsAreTheGeneratorsDrawsInOrder(count: Int) {
        let p: Float = 0.3, keep = 1 / (1 - p)
        let inp = randomTensor([count], seed: 11)
        let out = Tensor(zeros: [count]), mask = Tensor(zeros: [count])
        var rng = SplitMix64(seed: 0xDEAD_BEEF), sequential = rng
        Dropout.forward(out: out.pointer, mask: mask.pointer, inp: inp.pointer, p: p, rng: &rng, count: count)
        let expected = (0..<count).map { _ in sequential.nextUniform() < p ? 0 : keep }
        #expect(mask.array == expected)
        #expect(out.array == zip(inp.array, expected).map { $0 * $1 })
        #expect(rng.state == sequential.state)

        let dropout = AttentionDropout(p: p, seed: 5)
        dropout.mask(into: mask.pointer, item: 3, count: count)
        var itemRNG = SplitMix64(seed: 5 ^ (UInt64(3) &+ 1) &* 0x9E37_79B9_7F4A_7C15)
        #expect(mask.array == (0..<count).map { _ in itemRNG.nextUniform() < p ? 0 : keep })
    }

    @Test func dropoutWithZeroProbabilityIsIdentityAndDrawsNothing() {
        let inp = randomTensor([33], seed: 2)
        let out = Tensor(zeros: [33]), mask = Tensor(zeros: [33])
        var rng = SplitMix64(seed: 3)
        Dropout.forward(out: out.pointer, mask: mask.pointer, inp: inp.pointer, p: 0, rng: &rng, count: 33)
        #expect(out.array == inp.array)
        #expect(rng.state == SplitMix64(seed: 3).state)
    }

    @Test func dropoutBackwardAccumulatesDoutTimesMask() {
        let count = 37
        let mask = Tensor(shape: [count], values: (0..<count).map { $0 % 3 == 0 ? 0 : 1.25 })
        let dout = randomTensor([count], seed: 4), dinp = randomTensor([count], seed: 5)
        let before = dinp.array
        Dropout.backward(dinp: dinp.pointer, dout: dout.pointer, mask: mask.pointer, count: count)
        #expect(maxAbsDifference(dinp.array, (0..<count).map { before[$0] + dout[$0] * mask[$0] }) < 1e-6)
    }

    /// LoRA with input dropout: the forward is deterministic for a fixed seed, so finite differences
    /// apply; the input has exact zeros to exercise the sign-of-zero mask recovery.
    @Test func loraWithDropoutGradientsMatchFiniteDifferences() {
        let (n, c, oc, r) = (5, 20, 6, 3)
        let scale: Float = 2, p: Float = 0.3
        let inp = randomTensor([n, c], seed: 6)
        for i in stride(from: 0, to: n * c, by: 7) { inp[i] = i % 2 == 0 ? 0 : -0.0 }
        let a = randomTensor([r, c], seed: 7), b = randomTensor([oc, r], seed: 8), dout = randomTensor([n, oc], seed: 9)
        let out = Tensor(zeros: [n, oc]), xa = Tensor(zeros: [n, r]), dropped = Tensor(zeros: [n, c])
        func forward() -> [Float] {
            out.zero()
            var rng = SplitMix64(seed: 10)
            LoRA.forward(out: out.pointer, xa: xa.pointer, droppedInput: dropped.pointer, inp: inp.pointer, a: a.pointer,
                         b: b.pointer, scale: scale, dropout: p, rng: &rng, n: n, c: c, oc: oc, r: r, context: .serial)
            return out.array
        }
        _ = forward()
        let droppedCount = dropped.array.filter { $0 == 0 }.count
        #expect(droppedCount > n * c / 10, "dropout dropped almost nothing")
        let dinp = Tensor(zeros: [n, c]), da = Tensor(zeros: [r, c]), db = Tensor(zeros: [oc, r])
        LoRA.backward(dinp: dinp.pointer, da: da.pointer, db: db.pointer, dout: dout.pointer, xa: xa.pointer,
                      droppedInput: dropped.pointer, inp: inp.pointer, a: a.pointer, b: b.pointer, scale: scale,
                      dropout: p, n: n, c: c, oc: oc, r: r, context: .serial)
        for (name, parameter, analytic) in [("inp", inp, dinp), ("a", a, da), ("b", b, db)] {
            let numeric = FiniteDifference.gradient(of: parameter) { FiniteDifference.dotLoss(forward(), dout) }
            let mismatch = FiniteDifference.mismatch(analytic.array, numeric, relative: 1e-3, absolute: 1e-4)
            #expect(mismatch <= 1, "d\(name): worst mismatch \(mismatch) of the tolerance")
        }
    }

    @Test func loraInitialiseDrawsAWithinKaimingBoundAndZeroesB() {
        let (c, oc, r) = (64, 10, 4)
        let a = Tensor(zeros: [r, c]), b = randomTensor([oc, r], seed: 11)
        var rng = SplitMix64(seed: 12)
        LoRA.initialise(a: a.pointer, b: b.pointer, rng: &rng, c: c, oc: oc, r: r)
        let bound = 1 / Float(c).squareRoot()
        #expect(a.array.allSatisfy { abs($0) <= bound })
        #expect(a.array.map { abs($0) }.max()! > 0.9 * bound)
        #expect(b.array.allSatisfy { $0 == 0 })
    }
}

/// Dropout on the attention probabilities: masks drawn per (sequence, head) from the seed, the
/// same in forward and backward and on any number of threads.
@Suite struct AttentionDropoutTests {
    static let dropout = AttentionDropout(p: 0.3, seed: 99)

    @Test func masksZeroAboutPAndScaleSurvivors() {
        let count = 20_000
        let mask = Tensor(zeros: [count])
        Self.dropout.mask(into: mask.pointer, item: 5, count: count)
        let dropped = mask.array.filter { $0 == 0 }.count
        #expect(abs(Float(dropped) / Float(count) - 0.3) < 0.01)
        #expect(mask.array.allSatisfy { $0 == 0 || $0 == 1 / (1 - Float(0.3)) })
        let other = Tensor(zeros: [count])
        Self.dropout.mask(into: other.pointer, item: 6, count: count)
        #expect(other.array != mask.array)
    }

    /// out_h = (P · mask) V_h, with P the saved (undropped) probabilities, computed here by hand.
    @Test func forwardMultipliesTheSavedProbabilitiesByTheMask() {
        let f = KernelFixtures.shared["attention"]
        let (b, nh, c) = (f.int("b"), f.int("nh"), f.int("c"))
        let lengths = f.ints("lengths")
        let offsets = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        let hs = c / nh
        let layer = LayerHarness.attention(f, dropout: Self.dropout)
        let out = layer.forward()
        let probsCount = offsets.withUnsafeBufferPointer { Attention.probabilitiesCount(offsets: $0.baseAddress!, b: b, nh: nh) }
        let probs = Tensor(zeros: [probsCount])
        let plain = Tensor(zeros: [offsets.last!, c])
        let q = f.tensor("q"), k = f.tensor("k"), v = f.tensor("v")
        withExtendedLifetime((q, k, v)) {
            offsets.withUnsafeBufferPointer {
                Attention.forward(out: plain.pointer, probs: probs.pointer, q: q.pointer, k: k.pointer, v: v.pointer,
                                  offsets: $0.baseAddress!, b: b, nh: nh, c: c, threads: 1)
            }
        }
        var expected = [Float](repeating: 0, count: offsets.last! * c)
        var block = 0
        for s in 0..<b {
            let l = lengths[s]
            for h in 0..<nh {
                let mask = Tensor(zeros: [l * l])
                Self.dropout.mask(into: mask.pointer, item: s * nh + h, count: l * l)
                for i in 0..<l {
                    for d in 0..<hs {
                        var sum: Float = 0
                        for j in 0..<l {
                            sum += probs[block + h * l * l + i * l + j] * mask[i * l + j] * v[(offsets[s] + j) * c + h * hs + d]
                        }
                        expected[(offsets[s] + i) * c + h * hs + d] = sum
                    }
                }
            }
            block += nh * l * l
        }
        #expect(maxAbsDifference(out, expected) < 1e-5)
        #expect(maxAbsDifference(out, plain.array) > 1e-3)
    }

    @Test func gradientsMatchFiniteDifferencesWithTheSeedFixed() {
        let f = KernelFixtures.shared["attention"]
        let layer = LayerHarness.attention(f, dropout: Self.dropout)
        for (name, mismatch) in layer.finiteDifferenceMismatches(dout: f.tensor("dout")) {
            #expect(mismatch <= 1, "attention with dropout d\(name): worst mismatch \(mismatch) of the tolerance")
        }
    }

    @Test func oneAndTwoThreadsDrawTheSameMasks() {
        let f = KernelFixtures.shared["attention"]
        var outputs = [[Float]](), results = [[String: [Float]]]()
        for threads in [1, 2] {
            let layer = LayerHarness.attention(f, threads: threads, dropout: Self.dropout)
            outputs.append(layer.forward())
            let gradients = layer.zeroGradients()
            layer.backward(f.tensor("dout"), gradients)
            results.append(gradients.mapValues(\.array))
        }
        #expect(outputs[0] == outputs[1])
        #expect(results[0] == results[1])
    }
}
