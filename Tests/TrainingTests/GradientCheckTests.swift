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
    func check(adapter: String?, full: Bool = false) throws -> [GradientCheck.TensorResult] {
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
        options.samplesPerTensor = 3
        return GradientCheck.run(model: model, batch: batch, loss: InfoNCELoss(scale: 20), options: options)
    }

    @Test(arguments: [nil, "tiny_adapter"])
    func loraGradientsPass(adapter: String?) throws {
        let results = try check(adapter: adapter)
        #expect(results.count == 24)
        for r in results {
            for s in r.samples { print("PASS", r.name, s.analytic, s.numeric, s.relativeError) }
            #expect(r.maxRelativeError < 1e-2, "\(r.name): \(r.samples.map { ($0.analytic, $0.numeric) })")
        }
    }

    @Test func corruptedGELUBackwardFails() throws {
        let results = try KernelFaults.$scaleGELUBackward.withValue(1.1) { try check(adapter: nil) }
        for r in results {
            for s in r.samples { print("FAULT", r.name, s.analytic, s.numeric, s.relativeError) }
        }
        #expect(results.contains { $0.maxRelativeError > 1e-2 })
    }
}
