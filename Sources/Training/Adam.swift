import Foundation
import CSIMD
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
            let decays = range.weightDecay && weightDecay != 0
            var rule = embedtune_adam_rule(
                decoupled: decoupledWeightDecay ? 1 : 0, decays: decays ? 1 : 0,
                shrink: Float(1 - learningRate * weightDecay), l2: Float(weightDecay), average_weight: averageWeight,
                beta2: beta2f, one_minus_beta2: oneMinusBeta2, correction2: correction2, epsilon: eps, step_size: stepSize)
            // Lane by lane in CSIMD (vector_kernels.h): decay, torch.lerp for the first moment (fused
            // multiply-adds, as torch's CPU kernels), the second moment, the bias-corrected step.
            embedtune_adam_update(p + range.offset, g + range.offset, m + range.offset, v + range.offset, range.count, &rule)
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
