import Encoder
import Foundation
import Tensor
import Testing
@testable import Training

/// The whole model with attention-probability dropout on: reproducible from the seed (GradCache
/// runs each chunk twice), different from no dropout, and its LoRA gradients are the derivative of
/// the loss with the masks fixed.
struct AttentionDropoutModelTests {
    func model(attentionDropout: Float) throws -> TrainableBert {
        let directory = try ModelDirectory(url: WholeModelGradientTests.models["tiny"]!)
        let parameters = try directory.loadParameters()
        var rng = SplitMix64(seed: 3)
        let adapter = LoRAAdapter.initialised(
            config: LoRAConfig(r: 2, alpha: 4, dropout: 0), bert: parameters, rng: &rng)
        // B starts at zero (peft); random B gives the A gradients something to carry.
        let storage = adapter.block.storage
        for i in 0..<storage.count { storage[i] = (rng.nextUniform() - 0.5) * 0.2 }
        return TrainableBert(
            parameters: parameters, adapter: adapter, pooling: .mean, hiddenDropout: 0,
            attentionDropout: attentionDropout)
    }

    let batch = PackedBatch(sequences: [[101, 7, 42, 99, 500, 102], [101, 3, 250, 102], [101, 640, 12, 13, 77, 8, 102]])

    @Test func sameSeedSameOutputAndDropoutChangesIt() throws {
        let dropped = try model(attentionDropout: 0.2)
        let first = dropped.forward(batch, seed: 11, threads: 1)
        #expect(dropped.forward(batch, seed: 11, threads: 2) == first)
        #expect(dropped.forward(batch, seed: 12, threads: 1) != first)
        let plain = try model(attentionDropout: 0)
        #expect(plain.forward(batch, seed: 11, threads: 1) != first)
    }

    @Test func loraGradientsMatchFiniteDifferences() throws {
        let model = try model(attentionDropout: 0.2)
        let c = model.config.hiddenSize
        var rng = SplitMix64(seed: 5)
        let weights = (0..<(batch.batchSize * c)).map { _ in rng.nextUniform() - 0.5 }
        func loss() -> Double {
            zip(model.forward(batch, seed: 21, threads: 1), weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        model.zeroGradients()
        _ = model.forward(batch, seed: 21, threads: 1)
        model.backward(dPooled: weights, threads: 1)
        let parameters = model.trainable.storage, gradients = model.gradients.storage
        var worst: Float = 0
        for i in stride(from: 0, to: parameters.count, by: max(1, parameters.count / 60)) {
            let saved = parameters[i], h: Float = 1e-2
            parameters[i] = saved + h
            let plus = loss()
            parameters[i] = saved - h
            let minus = loss()
            parameters[i] = saved
            let numeric = Float((plus - minus) / Double(2 * h))
            worst = max(worst, abs(numeric - gradients[i]) / (1e-3 + 1e-2 * max(abs(numeric), abs(gradients[i]))))
        }
        #expect(worst <= 1, "worst mismatch \(worst) of the tolerance")
    }
}
