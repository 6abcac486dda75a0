import Testing
import Tensor
import Kernels
@testable import Encoder

/// The packed frozen base of LoRA training against `Linear` (OpenBLAS) on the same values: forward with
/// bias and residual, and the accumulated input gradient through the packed W^T. Sizes off the kernel's
/// tiles (12 rows, 32 channels) so that every edge is crossed; run on the AVX-512 kernel where the CPU has
/// it and on its plain C loop otherwise.
@Suite struct PackedFrozenLinearTests {
    @Test(arguments: [(29, 24, 40), (12, 384, 1536), (50, 1536, 384), (1, 7, 5)])
    func forwardAndInputGradientEqualLinear(sizes: (Int, Int, Int)) throws {
        let (n, c, oc) = sizes
        var rng = SplitMix64(seed: UInt64(n * 1000 + c))
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in rng.nextUniform() * 2 - 1 } }
        var weight = values(oc * c), bias = values(oc)
        let inp = values(n * c), residual = values(n * oc), dout = values(n * oc), dinp0 = values(n * c)
        let scale = Float(c).squareRoot()  // products are sums of c terms of size ~1
        try weight.withUnsafeMutableBufferPointer { w in
            try bias.withUnsafeMutableBufferPointer { b in
                let params = LinearParameters(
                    name: "test", weight: w.baseAddress!, bias: b.baseAddress!, inFeatures: c, outFeatures: oc)
                let packed = try #require(PackedFrozenLinear(params, fastPathOnly: false))

                var expected = [Float](repeating: 0, count: n * oc), got = expected
                Linear.forward(out: &expected, inp: inp, weight: w.baseAddress!, bias: b.baseAddress!, n: n, c: c, oc: oc, context: .serial)
                for i in 0..<(n * oc) { expected[i] += residual[i] }
                packed.forward(out: &got, inp: inp, residual: residual, n: n, threads: 2)
                let forwardError = zip(expected, got).map { abs($0 - $1) }.max() ?? 0
                #expect(forwardError <= 1e-5 * scale, "forward max abs error \(forwardError)")

                var dExpected = dinp0, dGot = dinp0
                Linear.backward(
                    dinp: &dExpected, dweight: nil, dbias: nil, dout: dout, inp: inp, weight: w.baseAddress!, n: n, c: c,
                    oc: oc, context: .serial)
                packed.backward(dinp: &dGot, dout: dout, n: n, threads: 2)
                let backwardError = zip(dExpected, dGot).map { abs($0 - $1) }.max() ?? 0
                #expect(backwardError <= 1e-5 * Float(oc).squareRoot(), "input gradient max abs error \(backwardError)")
                #expect(dGot != dinp0)  // accumulated onto, not skipped
            }
        }
    }
}
