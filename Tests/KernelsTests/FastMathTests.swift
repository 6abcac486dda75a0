import CSIMD
import Foundation
import Testing

/// The vector kernels' exp and erf (vector_kernels.h) against Foundation in double.
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

    @Test func erfIsWithin2e7RelativeOfFoundationErf() {
        let xs = (0..<160_000).map { Float(-5.0 + 10.0 * Double($0) / 160_000) } + [1e-30, -1e-6, 1, -1, 3.92, 10, -10]
        let error = maxRelativeError(xs.filter { $0 != 0 }, { embedtune_vec_erf($0, $1, $2) }, Foundation.erf)
        #expect(error < 2e-7, "max relative error \(error)")
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
