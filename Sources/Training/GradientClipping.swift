import Tensor

/// Gradient norms and clipping as `torch.nn.utils.clip_grad_norm_(parameters, max_norm)`
/// (torch/nn/utils/clip_grad.py): the total norm is the L2 norm of the per-tensor L2 norms, and every
/// gradient is multiplied by `min(max_norm / (total + 1e-6), 1)`.
public enum GradientClipping {
    /// L2 norm of gradients[range] for each range, e.g. one per tensor or per layer
    /// (ranges may overlap or leave gaps).
    public static func norms(_ gradients: UnsafeBufferPointer<Float>, ranges: [Range<Int>]) -> [Float] {
        ranges.map { range in
            precondition(range.lowerBound >= 0 && range.upperBound <= gradients.count, "range \(range) outside \(gradients.count) gradients")
            guard let base = gradients.baseAddress else { return 0 }
            return Float(sumOfSquares(base + range.lowerBound, range.count).squareRoot())
        }
    }

    /// L2 norm of all gradients.
    public static func norm(_ gradients: UnsafeBufferPointer<Float>) -> Float {
        guard let base = gradients.baseAddress else { return 0 }
        return Float(sumOfSquares(base, gradients.count).squareRoot())
    }

    /// Scales the gradients so that their total L2 norm is at most `maxNorm` and returns the total norm
    /// before clipping (torch's return value). `tensors` are the ranges of the individual tensors whose
    /// norms torch combines; nil treats the buffer as one tensor. A non-finite norm makes the gradients
    /// non-finite, as in torch with `error_if_nonfinite=False`: check the returned norm.
    @discardableResult
    public static func clip(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Float, tensors: [Range<Int>]? = nil) -> Float {
        let readOnly = UnsafeBufferPointer(gradients)
        let total: Float
        if let tensors {
            let squares = norms(readOnly, ranges: tensors).reduce(0.0) { $0 + Double($1) * Double($1) }
            total = Float(squares.squareRoot())
        } else {
            total = norm(readOnly)
        }
        let coefficient = min(maxNorm / (total + 1e-6), 1)
        if let base = gradients.baseAddress { VectorOps.scale(base, coefficient, gradients.count) }
        return total
    }

    /// sum of x², float SIMD blocks added up in double so that millions of values keep their precision.
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        let block = 4096
        var total = 0.0, start = 0
        while start < n {
            let count = min(block, n - start)
            total += Double(VectorOps.dot(x + start, x + start, count))
            start += count
        }
        return total
    }
}
