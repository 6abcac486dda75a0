import CSIMD
import Foundation
import Testing

/// The vector kernels' exp and GELU (vector_kernels.h) against Foundation in double.
@Suite struct FastMathTests {
    func maxRelativeError(_ xs: [Float], _ f: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void,
                          _ reference: (Double) -> Double) -> Double {
        var ys = [Float](repeating: .nan, count: xs.count)
        f(xs, xs.count, &ys)
        var worst = 0.0
        for (x, y) in zip(xs, ys) {
            let exact = reference(Double(x))
            worst = Swift.max(worst, abs(Double(y) - exact) / abs(exact))
        }
        return worst
    }

    /// GELU's derivative Φ(x) + x φ(x) on every path against double on a dense sweep of [-8, 8]:
    /// absolute error within 1e-7 + 1.2e-7 (1 + |x| φ(x)) (the table's 4e-8 and float rounding).
    @Test(arguments: [Int32(0), Int32(EMBEDTUNE_CPU_AVX2), Int32(EMBEDTUNE_CPU_AVX2 | EMBEDTUNE_CPU_AVX512)])
    func geluDerivativeMatchesTheDefinitionInDouble(path: Int32) {
        let xs = (0..<160_001).map { Float($0 - 80_000) / 10_000 }  // -8 ... 8 by 0.0001
        let ones = [Float](repeating: 1, count: xs.count)
        var got = [Float](repeating: 0, count: xs.count)
        embedtune_gelu_backward_on(path, &got, xs, ones, xs.count, 1, 0)
        var worst = 0.0, worstX: Float = 0
        for (x, y) in zip(xs, got) {
            let d = Double(x), pdf = Foundation.exp(-0.5 * d * d) / (2 * Double.pi).squareRoot()
            let want = 0.5 * Foundation.erfc(-d / 2.0.squareRoot()) + d * pdf
            let excess = abs(Double(y) - want) - (1e-7 + 1.2e-7 * (1 + abs(d) * pdf))
            if excess > worst { (worst, worstX) = (excess, x) }
        }
        #expect(worst == 0, "path \(path): gelu'(\(worstX)) off by \(worst) beyond the bound")
    }

    @Test func expIsWithinFewUlpOfFoundationExp() {
        let xs = (0..<160_000).map { Float(-87.0 + 175.0 * Double($0) / 160_000) }
        let error = maxRelativeError(xs, { embedtune_vec_exp($0, $1, $2) }, Foundation.exp)
        #expect(error < 3e-7, "max relative error \(error)")
    }

    @Test func expUnderflowsToZeroAndKeepsSoftmaxPaddingInert() {
        let xs: [Float] = [-.infinity, -100, 0, .nan] + [Float](repeating: -.infinity, count: 17)
        var ys = [Float](repeating: 7, count: xs.count)
        embedtune_vec_exp(xs, xs.count, &ys)
        #expect(ys[0] == 0 && ys[1] == 0 && ys[2] == 1 && ys[3].isNaN)
        #expect(ys[4...].allSatisfy { $0 == 0 })
    }
}
