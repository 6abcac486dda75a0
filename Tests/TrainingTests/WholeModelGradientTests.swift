import Encoder
import Foundation
import Tensor
import Testing
@testable import Training

/// The whole model's gradients and a 10-step AdamW loss curve against torch + peft, written by
/// scripts/reference/lora_training_fixtures.py (8 pairs, dropout 0, MultipleNegativesRankingLoss scale 20).
struct WholeModelGradientTests {
    struct Reference: Decodable {
        let anchorIDs: [[Int32]]
        let positiveIDs: [[Int32]]
        let loss: Float
        let curve: [Float]
        let gradNorms: [Float]
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let models = [
        "tiny": root.appendingPathComponent("Tests/EncoderTests/Fixtures/tiny_bert"),
        "minilm": root.appendingPathComponent("models/all-MiniLM-L6-v2"),
    ]

    func setUp(_ name: String, lora: Bool) throws -> (TrainableBert, Reference, SafeTensorsFile) {
        let directory = try ModelDirectory(url: try #require(Self.models[name]))
        let parameters = try directory.loadParameters()
        let adapter = lora
            ? try LoRAAdapter(directory: Fixtures.directory.appendingPathComponent("\(name)_adapter"), bert: parameters)
            : nil
        let model = TrainableBert(parameters: parameters, adapter: adapter, pooling: .mean, hiddenDropout: 0)
        let tag = "\(name)_\(lora ? "lora" : "full")"
        let reference = try Fixtures.json("\(tag).json", as: Reference.self)
        let grads = try SafeTensorsFile(url: Fixtures.directory.appendingPathComponent("\(tag)_grads.safetensors"))
        return (model, reference, grads)
    }

    func batch(_ r: Reference) -> ContrastiveBatch { ContrastiveBatch(anchors: r.anchorIDs, positives: r.positiveIDs) }

    /// max |ours - torch| / max |torch| for every tensor of the gradient block. Tensors whose true gradient
    /// is zero (the key bias: softmax ignores a constant added to every score of a row) hold rounding noise
    /// in both; they are compared against a floor of 1e-6.
    func expectGradientsMatch(_ model: TrainableBert, _ reference: SafeTensorsFile, prefix: String) throws {
        var checked = 0
        for entry in model.gradients.entries {
            let expected = try reference.floats(prefix + entry.name)
            let ours = Array(model.gradients.buffer(entry.name))
            let scale = max(expected.map(abs).max() ?? 0, 1e-6)
            let error = zip(ours, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(error / scale <= 1e-3, "\(entry.name): relative error \(error / scale)")
            checked += 1
        }
        #expect(checked == model.gradients.entries.count && checked > 0)
    }

    @Test(arguments: [("tiny", true), ("tiny", false), ("minilm", true)])
    func gradientsEqualTorch(name: String, lora: Bool) throws {
        let (model, reference, grads) = try setUp(name, lora: lora)
        model.zeroGradients()
        let loss = ContrastiveStep.run(
            model: model, batch: batch(reference), loss: InfoNCELoss(scale: 20), miniBatchSize: nil, seed: 1, threads: 2)
        #expect(abs(loss - reference.loss) <= 1e-4)
        try expectGradientsMatch(model, grads, prefix: lora ? "base_model.model." : "")
    }

    @Test func gradCacheGivesThePlainGradients() throws {
        let (plain, reference, _) = try setUp("tiny", lora: true)
        let (cached, _, _) = try setUp("tiny", lora: true)
        plain.zeroGradients()
        cached.zeroGradients()
        let lossPlain = ContrastiveStep.run(
            model: plain, batch: batch(reference), loss: InfoNCELoss(), miniBatchSize: nil, seed: 3, threads: 1)
        let lossCached = ContrastiveStep.run(
            model: cached, batch: batch(reference), loss: InfoNCELoss(), miniBatchSize: 3, seed: 3, threads: 1)
        #expect(abs(lossPlain - lossCached) <= 1e-6)
        let a = Array(plain.gradients.storage.buffer), b = Array(cached.gradients.storage.buffer)
        let scale = a.map(abs).max() ?? 1
        #expect((zip(a, b).map { abs($0 - $1) }.max() ?? 0) / scale <= 1e-5)
    }

    @Test(arguments: [("tiny", true), ("tiny", false), ("minilm", true)])
    func adamWLossCurveEqualsTorch(name: String, lora: Bool) throws {
        let (model, reference, _) = try setUp(name, lora: lora)
        let trainable = model.trainable, gradients = model.gradients
        let optimizer = Adam.adamW(parameterCount: trainable.storage.count, weightDecay: 0.01)
        for step in 0..<10 {
            model.zeroGradients()
            let loss = ContrastiveStep.run(
                model: model, batch: batch(reference), loss: InfoNCELoss(scale: 20), miniBatchSize: nil,
                seed: UInt64(step), threads: 2)
            #expect(abs(loss - reference.curve[step]) <= 1e-4 * max(1, abs(reference.curve[step])), "step \(step)")
            let norm = GradientClipping.clip(gradients.storage.buffer, maxNorm: 1.0)
            #expect(abs(norm - reference.gradNorms[step]) <= 1e-3 * max(1, reference.gradNorms[step]), "norm at step \(step)")
            optimizer.step(
                parameters: trainable.storage.buffer, gradients: UnsafeBufferPointer(gradients.storage.buffer),
                learningRate: 1e-3)
        }
    }
}
