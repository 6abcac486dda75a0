import Foundation
import Tensor

/// Seeded random Floats, uniform in [-scale, scale).
func randomArray(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in (2 * rng.nextUniform() - 1) * scale }
}

/// Largest |a[i] - b[i]|.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    return zip(a, b).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
}

/// Whether every element agrees within `absolute` or within `relative` of the larger magnitude.
func allClose(_ a: [Float], _ b: [Float], relative: Float = 1e-4, absolute: Float = 1e-5) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        let d = abs(x - y)
        if d > absolute && d > relative * Swift.max(abs(x), abs(y)) { return false }
    }
    return true
}

/// A tensor of seeded random values in [-scale, scale).
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    Tensor(shape: shape, values: randomArray(shape.reduce(1, *), seed: seed, scale: scale))
}
