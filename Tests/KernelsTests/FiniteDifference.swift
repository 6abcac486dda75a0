import Tensor

/// Central finite differences, the independent check on every hand-written backward pass.
///
/// The kernels run in Float, so the scalar loss is summed in Double and the probe step is large:
/// the rounding noise of a Float forward is about 1e-7 · |loss| / h, which dominates below
/// h ≈ 1e-2 for LayerNorm. Richardson extrapolation then removes the O(h²) truncation error that a
/// large step brings; h = 4e-2 (probes at ±0.02 and ±0.04) keeps every layer here within 1e-3
/// relative / 1e-4 absolute of its analytic gradient.
enum FiniteDifference {
    /// d loss / d x[i] for every element of `x`: central differences at steps h and h/2 combined by
    /// Richardson extrapolation, (4 D(h/2) - D(h)) / 3, which cancels the O(h²) truncation term.
    /// `x` is modified during the probes and restored exactly afterwards.
    static func gradient(of x: Tensor, h: Float = 4e-2, richardson: Bool = true, loss: () -> Double) -> [Float] {
        (0..<x.count).map { i in
            let saved = x[i]
            func central(_ step: Float) -> Double {
                x[i] = saved + step
                let plus = loss()
                x[i] = saved - step
                let minus = loss()
                x[i] = saved
                // The actual distance between the two probes, after rounding to Float.
                return (plus - minus) / (Double(saved + step) - Double(saved - step))
            }
            return richardson ? Float((4 * central(h / 2) - central(h)) / 3) : Float(central(h))
        }
    }

    /// The scalar the backward passes differentiate: sum(out * dout), in Double.
    static func dotLoss(_ out: [Float], _ dout: Tensor) -> Double {
        precondition(out.count == dout.count, "output has \(out.count) values, dout \(dout.count)")
        var s = 0.0
        for i in 0..<out.count { s += Double(out[i]) * Double(dout[i]) }
        return s
    }

    /// The worst disagreement between an analytic and a numerical gradient, measured as
    /// |a - n| / (absolute + relative * max(|a|, |n|)): at most 1 means every element agrees.
    static func mismatch(_ analytic: [Float], _ numeric: [Float], relative: Float = 1e-2, absolute: Float = 1e-3) -> Float {
        precondition(analytic.count == numeric.count, "gradients differ in length")
        var worst: Float = 0
        for (a, n) in zip(analytic, numeric) {
            worst = Swift.max(worst, abs(a - n) / (absolute + relative * Swift.max(abs(a), abs(n))))
        }
        return worst
    }
}
