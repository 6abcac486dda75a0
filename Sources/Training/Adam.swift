import Foundation
import Tensor

/// Adam and AdamW with the update rule of `torch.optim.Adam` / `torch.optim.AdamW` (torch/optim/adam.py,
/// `_single_tensor_adam`; amsgrad off), the arithmetic done in the same order and precision:
///
///     step += 1
///     AdamW: p *= 1 - lr * wd                    (decoupled weight decay, before the moments)
///     Adam:  g  = g + wd * p                     (L2 penalty folded into the gradient)
///     m = lerp(m, g, 1 - beta1);   v = v * beta2 + (1 - beta2) * g * g
///     denom = sqrt(v) / sqrt(1 - beta2^step) + eps
///     p += -(lr / (1 - beta1^step)) * m / denom
///
/// Weight decay applies only inside `ParameterRange`s whose `weightDecay` is true (torch: a parameter
/// group with `weight_decay=0`).
public final class Adam: Optimizer, @unchecked Sendable {
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    /// true: AdamW; false: Adam with L2 weight decay.
    public let decoupledWeightDecay: Bool
    public let ranges: [ParameterRange]
    public private(set) var stepCount = 0
    private let exponentialAverage: Tensor         // (N) m, torch "exp_avg"
    private let exponentialAverageSquares: Tensor  // (N) v, torch "exp_avg_sq"

    /// `ranges` must tile 0..<parameterCount in order; nil decays everything.
    public init(
        parameterCount: Int, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
        weightDecay: Double, decoupledWeightDecay: Bool, ranges: [ParameterRange]? = nil
    ) {
        precondition(parameterCount >= 0, "negative parameter count")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "betas must lie in [0, 1)")
        precondition(epsilon >= 0 && weightDecay >= 0, "epsilon and weight decay must be non-negative")
        let ranges = ranges ?? ParameterRange.all(parameterCount)
        ParameterRange.validate(ranges, count: parameterCount)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.ranges = ranges
        exponentialAverage = Tensor(zeros: [parameterCount])
        exponentialAverageSquares = Tensor(zeros: [parameterCount])
    }

    /// torch.optim.AdamW's defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01.
    public static func adamW(parameterCount: Int, weightDecay: Double = 0.01, ranges: [ParameterRange]? = nil) -> Adam {
        Adam(parameterCount: parameterCount, weightDecay: weightDecay, decoupledWeightDecay: true, ranges: ranges)
    }

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Double) {
        precondition(parameters.count == exponentialAverage.count && gradients.count == parameters.count,
                     "optimizer built for \(exponentialAverage.count) values, given \(parameters.count) parameters and \(gradients.count) gradients")
        stepCount += 1
        let step = Double(stepCount)
        let averageWeight = Float(1 - beta1)          // lerp weight
        let beta2f = Float(beta2), oneMinusBeta2 = Float(1 - beta2)
        let stepSize = Float(-(learningRate / (1 - pow(beta1, step))))
        let correction2 = Float(pow(1 - pow(beta2, step), 0.5))
        let eps = Float(epsilon)
        guard let p = parameters.baseAddress, let g = gradients.baseAddress else { return }
        let m = exponentialAverage.pointer, v = exponentialAverageSquares.pointer
        for range in ranges {
            let rule = Rule(
                decoupled: decoupledWeightDecay, decays: range.weightDecay && weightDecay != 0,
                shrink: Float(1 - learningRate * weightDecay), l2: Float(weightDecay), averageWeight: averageWeight,
                beta2: beta2f, oneMinusBeta2: oneMinusBeta2, correction2: correction2, epsilon: eps, stepSize: stepSize)
            // 16 lanes at a time, then the tail through the same lane-wise arithmetic on a partly filled vector
            var i = range.offset
            let end = range.offset + range.count
            while i + 16 <= end {
                var pv = Self.load(p + i), mv = Self.load(m + i), vv = Self.load(v + i)
                rule.apply(parameter: &pv, gradient: Self.load(g + i), average: &mv, averageSquares: &vv)
                Self.store(pv, p + i); Self.store(mv, m + i); Self.store(vv, v + i)
                i += 16
            }
            if i < end {
                var pv = SIMD16<Float>(), gv = SIMD16<Float>(), mv = SIMD16<Float>(), vv = SIMD16<Float>()
                for k in 0..<(end - i) { pv[k] = p[i + k]; gv[k] = g[i + k]; mv[k] = m[i + k]; vv[k] = v[i + k] }
                rule.apply(parameter: &pv, gradient: gv, average: &mv, averageSquares: &vv)
                for k in 0..<(end - i) { p[i + k] = pv[k]; m[i + k] = mv[k]; v[i + k] = vv[k] }
            }
        }
    }

    @inline(__always) private static func load(_ x: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(x).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always) private static func store(_ value: SIMD16<Float>, _ x: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(x).storeBytes(of: value, as: SIMD16<Float>.self)
    }

    /// The per-value arithmetic of one step, lane by lane.
    private struct Rule {
        let decoupled: Bool, decays: Bool
        let shrink: Float, l2: Float, averageWeight: Float, beta2: Float, oneMinusBeta2: Float
        let correction2: Float, epsilon: Float, stepSize: Float

        @inline(__always)
        func apply(parameter p: inout SIMD16<Float>, gradient: SIMD16<Float>, average m: inout SIMD16<Float>, averageSquares v: inout SIMD16<Float>) {
            var grad = gradient
            if decays {
                if decoupled { p = p * shrink } else { grad = grad.addingProduct(p, l2) }
            }
            // torch.lerp: self + w * (end - self) when w < 0.5, else end - (end - self) * (1 - w);
            // torch's CPU kernels fuse these multiply-adds, so do we
            m = averageWeight < 0.5 ? m.addingProduct(averageWeight, grad - m) : grad.addingProduct(averageWeight - 1, grad - m)
            v = (v * beta2).addingProduct(oneMinusBeta2 * grad, grad)
            let denominator = v.squareRoot() / correction2 + epsilon
            p = p + stepSize * m / denominator
        }
    }

    public var state: OptimizerState {
        OptimizerState(step: stepCount, buffers: ["exp_avg": exponentialAverage, "exp_avg_sq": exponentialAverageSquares])
    }

    public func restore(_ state: OptimizerState) throws(OptimizerStateError) {
        try Self.copyState(state, into: ["exp_avg": exponentialAverage, "exp_avg_sq": exponentialAverageSquares])
        stepCount = state.step
    }
}
