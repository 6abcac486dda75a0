import Encoder
import Foundation
import Kernels
import Tensor
import Testing
@testable import Training

/// `GradientCheck` on the tiny BERT (Tests/EncoderTests/Fixtures/tiny_bert): it passes on the real
/// kernels and fails when GELU's backward is made wrong on purpose (`KernelFaults`).
struct GradientCheckTests {
    static let tinyBert = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EncoderTests/Fixtures/tiny_bert")

    /// The model, its batch and the options of a check: a fresh LoRA adapter with random B (or the
    /// committed tiny adapter, or full fine-tuning).
    func check(adapter: String?, full: Bool = false, samples: Int = 2) throws -> [GradientCheck.TensorResult] {
        let directory = try ModelDirectory(url: Self.tinyBert)
        let parameters = try directory.loadParameters()
        var rng = SplitMix64(seed: 7)
        var lora: LoRAAdapter?
        if let adapter {
            lora = try LoRAAdapter(directory: Fixtures.directory.appendingPathComponent(adapter), bert: parameters)
        } else if !full {
            let fresh = LoRAAdapter.initialised(config: LoRAConfig(r: 4, dropout: 0), bert: parameters, rng: &rng)
            GradientCheck.randomiseB(fresh, rng: &rng)
            lora = fresh
        }
        let model = GradientCheck.model(parameters: parameters, adapter: lora, pooling: directory.pooling)
        let batch = GradientCheck.batch(tokenizer: directory.tokenizer, maxLength: 32)
        var options = GradientCheck.Options()
        options.samplesPerTensor = samples
        return GradientCheck.run(model: model, batch: batch, loss: InfoNCELoss(scale: 20), options: options)
    }

    func expectPass(_ results: [GradientCheck.TensorResult], tensors: Int) {
        #expect(results.count == tensors)
        for r in results {
            #expect(r.samples.count > 0)
            #expect(r.maxRelativeError < 1e-2, "\(r.name): \(r.samples.map { ($0.analytic, $0.numeric) })")
        }
    }

    /// 2 layers × 6 targeted Linears × (A, B).
    @Test(arguments: [nil, "tiny_adapter"])
    func loraGradientsMatchFiniteDifferences(adapter: String?) throws {
        expectPass(try check(adapter: adapter), tensors: 24)
    }

    /// 5 embedding tensors + 2 layers × 16.
    @Test func fullFineTuningGradientsMatchFiniteDifferences() throws {
        expectPass(try check(adapter: nil, full: true, samples: 1), tensors: 37)
    }

    /// GELU's derivative scaled by 1.1 makes the gradients of everything below the FFN wrong by up to
    /// 10%: the intermediate.dense LoRA pairs (whose gradient flows through GELU alone) must fail.
    @Test func corruptedGELUBackwardFailsTheCheck() throws {
        let results = try KernelFaults.$scaleGELUBackward.withValue(1.1) { try check(adapter: nil, samples: 1) }
        let failing = results.filter { $0.maxRelativeError > 1e-2 }.map(\.name)
        #expect(failing.contains("encoder.layer.0.intermediate.dense.lora_A.weight"), "failing: \(failing)")
        #expect(failing.contains("encoder.layer.1.intermediate.dense.lora_B.weight"), "failing: \(failing)")
        #expect(KernelFaults.scaleGELUBackward == 1)
    }

    @Test func theCheckLeavesTheWeightsAsTheyWere() throws {
        let directory = try ModelDirectory(url: Self.tinyBert)
        let parameters = try directory.loadParameters()
        let before = Array(parameters.block.storage.buffer)
        let model = GradientCheck.model(parameters: parameters, adapter: nil, pooling: directory.pooling)
        var options = GradientCheck.Options()
        options.samplesPerTensor = 1
        options.maxTensors = 3
        let results = GradientCheck.run(
            model: model, batch: GradientCheck.batch(tokenizer: directory.tokenizer, maxLength: 16),
            loss: InfoNCELoss(), options: options)
        #expect(results.count == 3)
        #expect(Array(parameters.block.storage.buffer) == before)
    }
}
