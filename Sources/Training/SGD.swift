import Tensor

/// Stochastic gradient descent with the update rule of `torch.optim.SGD` (torch/optim/sgd.py,
/// `_single_tensor_sgd`; maximize off):
///
///     g = g + wd * p
///     momentum != 0:  b = g at the first step, else b = momentum * b + (1 - dampening) * g
///                     g = nesterov ? g + momentum * b : b
///     p += -lr * g
///
/// Weight decay applies only inside `ParameterRange`s whose `weightDecay` is true.
public final class SGD: Optimizer, @unchecked Sendable {
    public let momentum: Double
    public let dampening: Double
    public let nesterov: Bool
    public let weightDecay: Double
    public let ranges: [ParameterRange]
    public private(set) var stepCount = 0
    private let momentumBuffer: Tensor  // (N) torch "momentum_buffer"; unused when momentum is 0

    /// As torch: Nesterov momentum needs momentum > 0 and dampening 0.
    public init(
        parameterCount: Int, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false,
        weightDecay: Double = 0, ranges: [ParameterRange]? = nil
    ) {
        precondition(parameterCount >= 0, "negative parameter count")
        precondition(momentum >= 0 && weightDecay >= 0, "momentum and weight decay must be non-negative")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        let ranges = ranges ?? ParameterRange.all(parameterCount)
        ParameterRange.validate(ranges, count: parameterCount)
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.ranges = ranges
        momentumBuffer = Tensor(zeros: [momentum == 0 ? 0 : parameterCount])
        self.parameterCount = parameterCount
    }

    private let parameterCount: Int

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Double) {
        precondition(parameters.count == parameterCount && gradients.count == parameterCount,
                     "optimizer built for \(parameterCount) values, given \(parameters.count) parameters and \(gradients.count) gradients")
        let first = stepCount == 0
        stepCount += 1
        let negativeRate = Float(-learningRate), mu = Float(momentum), keep = Float(1 - dampening)
        guard let p = parameters.baseAddress, let g = gradients.baseAddress else { return }
        let b = momentumBuffer.pointer
        for range in ranges {
            let decay: Float = range.weightDecay ? Float(weightDecay) : 0
            for i in range.range {
                var grad = g[i]
                if decay != 0 { grad = grad.addingProduct(p[i], decay) }  // torch add(alpha) is a fused multiply-add
                if momentum != 0 {
                    b[i] = first ? grad : (b[i] * mu).addingProduct(grad, keep)
                    grad = nesterov ? grad.addingProduct(b[i], mu) : b[i]
                }
                p[i] = p[i].addingProduct(grad, negativeRate)
            }
        }
    }

    public var state: OptimizerState {
        OptimizerState(step: stepCount, buffers: momentum == 0 ? [:] : ["momentum_buffer": momentumBuffer])
    }

    public func restore(_ state: OptimizerState) throws(OptimizerStateError) {
        try Self.copyState(state, into: momentum == 0 ? [:] : ["momentum_buffer": momentumBuffer])
        stepCount = state.step
    }
}
