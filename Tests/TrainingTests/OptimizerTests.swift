import Tensor
import Testing
@testable import Training

@Suite struct OptimizerTests {
    /// The fixture's parameters are three tensors of 15, 5 and 20 values; the middle one is in a
    /// weight_decay=0 group.
    static let ranges = [
        ParameterRange(offset: 0, count: 15, weightDecay: true),
        ParameterRange(offset: 15, count: 5, weightDecay: false),
        ParameterRange(offset: 20, count: 20, weightDecay: true),
    ]

    static func configuration(_ c: TrainingReference.OptimizerCase) throws -> OptimizerConfiguration {
        let kind = try #require(OptimizerConfiguration.Kind(rawValue: c.kind))
        return OptimizerConfiguration(
            kind: kind, weightDecay: c.weightDecay, beta1: c.beta1 ?? 0.9, beta2: c.beta2 ?? 0.999,
            epsilon: c.epsilon ?? 1e-8, momentum: c.momentum ?? 0, dampening: c.dampening ?? 0, nesterov: c.nesterov ?? false)
    }

    @Test func everyStepEqualsTorch() throws {
        let reference = try Fixtures.reference()
        #expect(reference.optimizers.count == 7)
        for c in reference.optimizers {
            let optimizer = try Self.configuration(c).makeOptimizer(parameterCount: c.initial.count, ranges: Self.ranges)
            var parameters = c.initial
            for (step, (gradients, rate)) in zip(c.gradients, c.learningRates).enumerated() {
                parameters.withUnsafeMutableBufferPointer { p in
                    gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g, learningRate: rate) }
                }
                // max |ours - torch| / max |torch|: torch's vectorised kernels round a few values differently (1 ulp)
                let error = relativeError(parameters, c.parameters[step])
                #expect(error <= 1e-6, "\(c.name) step \(step + 1): relative error \(error)")
            }
            #expect(optimizer.stepCount == c.gradients.count)
        }
    }

    @Test func restoredStateContinuesLikeAnUninterruptedRun() throws {
        let reference = try Fixtures.reference()
        for c in reference.optimizers where ["adamw", "sgd_nesterov"].contains(c.name) {
            let configuration = try Self.configuration(c)
            let first = try configuration.makeOptimizer(parameterCount: c.initial.count, ranges: Self.ranges)
            var parameters = c.initial
            for k in 0..<2 {
                parameters.withUnsafeMutableBufferPointer { p in
                    c.gradients[k].withUnsafeBufferPointer { g in first.step(parameters: p, gradients: g, learningRate: c.learningRates[k]) }
                }
            }
            let resumed = try configuration.makeOptimizer(parameterCount: c.initial.count, ranges: Self.ranges)
            try resumed.restore(first.state)
            #expect(resumed.stepCount == 2)
            for k in 2..<5 {
                parameters.withUnsafeMutableBufferPointer { p in
                    c.gradients[k].withUnsafeBufferPointer { g in resumed.step(parameters: p, gradients: g, learningRate: c.learningRates[k]) }
                }
            }
            #expect(relativeError(parameters, c.parameters[4]) <= 1e-6, "\(c.name)")
        }
    }

    @Test func restoreRejectsMismatchedState() throws {
        let adam = Adam.adamW(parameterCount: 4)
        let small = Adam.adamW(parameterCount: 3)
        #expect(throws: OptimizerStateError.wrongSize(buffer: "exp_avg", expected: 4, found: 3)) { try adam.restore(small.state) }
        let sgd = SGD(parameterCount: 4, momentum: 0.9)
        #expect(throws: OptimizerStateError.unexpectedBuffer("exp_avg")) { try sgd.restore(adam.state) }
        #expect(throws: OptimizerStateError.missingBuffer("exp_avg")) {
            try adam.restore(OptimizerState(step: 1, buffers: ["exp_avg_sq": Tensor(zeros: [4])]))
        }
        #expect(throws: OptimizerStateError.negativeStep(-1)) { try adam.restore(OptimizerState(step: -1, buffers: adam.state.buffers)) }
    }

    @Test func invalidCombinationsAreRejected() {
        #expect(throws: OptimizerConfigurationError.self) {
            try OptimizerConfiguration(kind: .sgd, weightDecay: 0, nesterov: true).validate()
        }
        #expect(throws: OptimizerConfigurationError.self) {
            try OptimizerConfiguration(kind: .adamw, weightDecay: 0, momentum: 0.9).validate()
        }
        #expect(throws: Never.self) { try OptimizerConfiguration.adamW.validate() }
    }

    @Test func huggingFaceExemptsBiasesAndLayerNormsFromWeightDecay() {
        #expect(ParameterRange.huggingFaceDecays("encoder.layer.0.attention.self.query.weight"))
        #expect(ParameterRange.huggingFaceDecays("base_model.model.encoder.layer.0.attention.self.query.lora_A.weight"))
        #expect(!ParameterRange.huggingFaceDecays("encoder.layer.0.attention.self.query.bias"))
        #expect(!ParameterRange.huggingFaceDecays("embeddings.LayerNorm.weight"))
        #expect(!ParameterRange.huggingFaceDecays("encoder.layer.3.output.LayerNorm.weight"))
        #expect(!ParameterRange.huggingFaceDecays("model.norm.weight"))
        #expect(!ParameterRange.huggingFaceDecays("layers.0.input_norm.weight"))
        #expect(ParameterRange.huggingFaceDecays("normalizer.weight"))
        let ranges = ParameterRange.named([("a.weight", 0, 6), ("a.bias", 6, 2)])
        #expect(ranges == [ParameterRange(offset: 0, count: 6, weightDecay: true), ParameterRange(offset: 6, count: 2, weightDecay: false)])
    }
}
