/// The optimizer choice of `embedtune train --optimizer adamw|adam|sgd`, with PyTorch's defaults.
public struct OptimizerConfiguration: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// torch.optim.AdamW: decoupled weight decay.
        case adamw
        /// torch.optim.Adam: L2 weight decay added to the gradient.
        case adam
        /// torch.optim.SGD, optionally with (Nesterov) momentum.
        case sgd
    }

    public var kind: Kind
    public var weightDecay: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool

    public init(
        kind: Kind, weightDecay: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
        momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false
    ) {
        self.kind = kind
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
    }

    /// torch.optim.AdamW defaults (weight_decay 0.01).
    public static let adamW = OptimizerConfiguration(kind: .adamw, weightDecay: 0.01)

    /// Checks the combinations torch rejects, naming the option at fault.
    public func validate() throws(OptimizerConfigurationError) {
        if !weightDecay.isFinite || weightDecay < 0 { throw .invalid("--weight-decay must be non-negative, got \(weightDecay)") }
        if !(0..<1).contains(beta1) || !(0..<1).contains(beta2) { throw .invalid("Adam betas must lie in [0, 1), got (\(beta1), \(beta2))") }
        if !epsilon.isFinite || epsilon < 0 { throw .invalid("Adam epsilon must be non-negative, got \(epsilon)") }
        if !momentum.isFinite || momentum < 0 { throw .invalid("--momentum must be non-negative, got \(momentum)") }
        if !dampening.isFinite || dampening < 0 { throw .invalid("SGD dampening must be non-negative, got \(dampening)") }
        if nesterov && kind != .sgd { throw .invalid("--nesterov applies to --optimizer sgd only") }
        if nesterov && (momentum <= 0 || dampening != 0) { throw .invalid("--nesterov requires --momentum > 0 and zero dampening") }
        if momentum != 0 && kind != .sgd { throw .invalid("--momentum applies to --optimizer sgd only") }
    }

    /// An optimizer over `parameterCount` values; `ranges` (tiling the buffer) choose where weight decay applies.
    public func makeOptimizer(parameterCount: Int, ranges: [ParameterRange]? = nil) throws(OptimizerConfigurationError) -> any Optimizer {
        try validate()
        switch kind {
        case .adamw, .adam:
            return Adam(parameterCount: parameterCount, beta1: beta1, beta2: beta2, epsilon: epsilon,
                        weightDecay: weightDecay, decoupledWeightDecay: kind == .adamw, ranges: ranges)
        case .sgd:
            return SGD(parameterCount: parameterCount, momentum: momentum, dampening: dampening, nesterov: nesterov,
                       weightDecay: weightDecay, ranges: ranges)
        }
    }
}

public enum OptimizerConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self { case .invalid(let message): message }
    }
}
