import Tensor

/// An update rule over one flat parameter buffer (llm.c style: parameters, gradients and optimizer
/// state each live in one flat buffer, so a step is one loop).
///
/// Glossary: N = number of trainable values.
public protocol Optimizer: AnyObject, Sendable {
    /// Updates taken so far (torch's `state["step"]`).
    var stepCount: Int { get }
    /// One update: parameters (N) in place, from gradients (N), at the learning rate of this step
    /// (the schedule's value for step `stepCount`).
    func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, learningRate: Double)
    /// The state to checkpoint. The buffers are the live ones, not copies.
    var state: OptimizerState { get }
    /// Continues from a checkpointed state; buffers are copied in.
    func restore(_ state: OptimizerState) throws(OptimizerStateError)
}

/// An optimizer's step count and named state buffers, each (N), named as in torch's
/// `optimizer.state_dict()`: `exp_avg` and `exp_avg_sq` for Adam/AdamW, `momentum_buffer` for SGD.
public struct OptimizerState: @unchecked Sendable {
    public var step: Int
    public var buffers: [String: Tensor]

    public init(step: Int, buffers: [String: Tensor]) {
        self.step = step
        self.buffers = buffers
    }
}

public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    case missingBuffer(String)
    case unexpectedBuffer(String)
    case wrongSize(buffer: String, expected: Int, found: Int)
    case negativeStep(Int)

    public var description: String {
        switch self {
        case .missingBuffer(let name): "optimizer state: buffer '\(name)' is missing"
        case .unexpectedBuffer(let name): "optimizer state: unexpected buffer '\(name)' for this optimizer"
        case .wrongSize(let name, let expected, let found):
            "optimizer state: buffer '\(name)' holds \(found) values, the parameters \(expected)"
        case .negativeStep(let step): "optimizer state: negative step count \(step)"
        }
    }
}

extension Optimizer {
    /// Copies `state`'s buffers into `own` after checking names and sizes.
    static func copyState(_ state: OptimizerState, into own: [String: Tensor]) throws(OptimizerStateError) {
        if state.step < 0 { throw .negativeStep(state.step) }
        for name in state.buffers.keys.sorted() where own[name] == nil { throw .unexpectedBuffer(name) }
        for (name, target) in own.sorted(by: { $0.key < $1.key }) {
            guard let source = state.buffers[name] else { throw .missingBuffer(name) }
            if source.count != target.count { throw .wrongSize(buffer: name, expected: target.count, found: source.count) }
        }
        for (name, target) in own {
            if let source = state.buffers[name], source !== target {
                target.pointer.update(from: source.pointer, count: target.count)
            }
        }
    }
}
