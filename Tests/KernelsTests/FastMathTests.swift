import Foundation
import Testing
@testable import Kernels

@Suite struct FastMathTests {
    /// Every 16 consecutive values of `xs` through the vector function, compared with Foundation.
    func maxRelativeError(_ xs: [Float], _ f: (SIMD16<Float>) -> SIMD16<Float>, _ reference: (Double) -> Double,
                          floor: Double = 0) -> Double {
        var worst = 0.0
        var i = 0
        while i + 16 <= xs.count {
            var v = SIMD16<Float>()
            for j in 0..<16 { v[j] = xs[i + j] }
            let y = f(v)
            for j in 0..<16 {
                let exact = reference(Double(xs[i + j]))
                let error = abs(Double(y[j]) - exact) / Swift.max(abs(exact), floor)
                worst = Swift.max(worst, error)
            }
            i += 16
        }
        return worst
    }

    @Test func erfIsWithin2e7RelativeOfFoundationErf() {
        let xs = (0..<160_000).map { Float(-5.0 + 10.0 * Double($0) / 160_000) } + [0, 1e-30, -1e-6, 1, -1, 3.92, 10, -10]
        let padded = xs + [Float](repeating: 0.5, count: 16 - xs.count % 16)
        let error = maxRelativeError(padded, FastMath.erf, Foundation.erf)
        #expect(error < 2e-7, "max relative error \(error)")
    }

    @Test func expIsWithinFewUlpOfFoundationExp() {
        let xs = (0..<160_000).map { Float(-87.0 + 175.0 * Double($0) / 160_000) }
        let error = maxRelativeError(xs, FastMath.exp, Foundation.exp)
        #expect(error < 3e-7, "max relative error \(error)")
    }

    @Test func expUnderflowsToZeroAndKeepsSoftmaxPaddingInert() {
        let y = FastMath.exp(SIMD16<Float>(repeating: -.infinity))
        #expect(y == SIMD16<Float>(repeating: 0))
        #expect(FastMath.exp(SIMD16<Float>(repeating: -100))[0] == 0)
        #expect(FastMath.exp(SIMD16<Float>(repeating: 0))[0] == 1)
    }
}
