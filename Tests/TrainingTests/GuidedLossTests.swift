import Encoder
import Foundation
import Tensor
import Testing
@testable import Training

/// GISTEmbedLoss and MatryoshkaLoss against sentence-transformers + peft, written by
/// scripts/reference/guided_training_fixtures.py: 8 pairs with up to 2 hard negatives, dropout 0, the guide a
/// second copy of the base model. The loss and every LoRA gradient within 1e-3 relative, and the losses of
/// 10 AdamW steps within 1e-4.
struct GuidedLossTests {
    struct Case: Decodable {
        let columns: Int
        let loss: Float
        let curve: [Float]
        let scale: Float
        let margin: Float?
        let strategy: String?
        let dims: [Int]?
        let weights: [Float]?
    }
    struct Reference: Decodable {
        let ids: [[[Int32]]]  // (columns, B, tokens)
        let cases: [String: Case]
    }

    static let cases = ["gist", "gist_relative", "matryoshka", "matryoshka_gist"]

    func objective(_ c: Case) throws -> any ContrastiveObjective {
        let base: any ContrastiveObjective
        if let strategy = c.strategy {
            base = GISTEmbedLoss(
                scale: c.scale, margin: c.margin ?? 0,
                marginStrategy: try #require(GISTEmbedLoss.MarginStrategy(rawValue: strategy)))
        } else {
            base = InfoNCELoss(scale: c.scale)
        }
        guard let dims = c.dims else { return base }
        return MatryoshkaLoss(base: base, dimensions: dims, weights: c.weights)
    }

    /// The model with the fixture's starting adapter, the batch with the guide's embeddings, and the case.
    func setUp(_ name: String, _ caseName: String) throws -> (TrainableBert, ContrastiveBatch, Case, SafeTensorsFile) {
        let directory = try ModelDirectory(url: try #require(WholeModelGradientTests.models[name]))
        let reference = try Fixtures.json("\(name)_guided.json", as: Reference.self)
        let c = try #require(reference.cases[caseName])
        let columns = Array(reference.ids.prefix(c.columns))
        let b = columns[0].count
        // The guide: the base weights, frozen, embedding every sequence once.
        let guideEncoder = SentenceEncoder(directory: directory, parameters: try directory.loadParameters())
        let guide = GuideEmbeddings(encoder: guideEncoder, tokens: Array(columns.joined()), threads: 2)
        let keys = InfoNCEKeys(
            anchors: Array(0..<b), positives: Array(b..<(2 * b)),
            negatives: (2..<c.columns).map { Array(($0 * b)..<(($0 + 1) * b)) })
        let batch = ContrastiveBatch(
            anchors: columns[0], positives: columns[1], negatives: Array(columns.dropFirst(2)), guide: guide.batch(keys))
        let parameters = try directory.loadParameters()
        let adapter = try LoRAAdapter(
            directory: Fixtures.directory.appendingPathComponent("\(name)_guided_adapter"), bert: parameters)
        let model = TrainableBert(parameters: parameters, adapter: adapter, pooling: .mean, hiddenDropout: 0)
        let grads = try SafeTensorsFile(
            url: Fixtures.directory.appendingPathComponent("\(name)_guided_\(caseName)_grads.safetensors"))
        return (model, batch, c, grads)
    }

    @Test(arguments: ["tiny", "minilm"], cases)
    func lossAndGradientsEqualSentenceTransformers(name: String, caseName: String) throws {
        let (model, batch, c, grads) = try setUp(name, caseName)
        model.zeroGradients()
        let loss = ContrastiveStep.run(
            model: model, batch: batch, loss: try objective(c), miniBatchSize: nil, seed: 1, threads: 2)
        #expect(abs(loss - c.loss) <= 1e-3 * max(1, abs(c.loss)), "loss \(loss) vs \(c.loss)")
        try WholeModelGradientTests().expectGradientsMatch(model, grads, prefix: "base_model.model.")
    }

    @Test(arguments: ["tiny", "minilm"], cases)
    func adamWLossCurveEqualsSentenceTransformers(name: String, caseName: String) throws {
        let (model, batch, c, _) = try setUp(name, caseName)
        let objective = try objective(c)
        let trainable = model.trainable, gradients = model.gradients
        let optimizer = Adam.adamW(parameterCount: trainable.storage.count, weightDecay: 0.01)
        for step in 0..<10 {
            model.zeroGradients()
            let loss = ContrastiveStep.run(
                model: model, batch: batch, loss: objective, miniBatchSize: nil, seed: UInt64(step), threads: 2)
            #expect(abs(loss - c.curve[step]) <= 1e-4 * max(1, abs(c.curve[step])), "step \(step): \(loss) vs \(c.curve[step])")
            _ = GradientClipping.clip(gradients.storage.buffer, maxNorm: 1.0)
            optimizer.step(
                parameters: trainable.storage.buffer, gradients: UnsafeBufferPointer(gradients.storage.buffer),
                learningRate: 1e-3)
        }
    }

    @Test func gradCacheGivesThePlainGradientsWithAGuide() throws {
        let (plain, batch, c, _) = try setUp("tiny", "matryoshka_gist")
        let (cached, _, _, _) = try setUp("tiny", "matryoshka_gist")
        plain.zeroGradients()
        cached.zeroGradients()
        let lossPlain = ContrastiveStep.run(
            model: plain, batch: batch, loss: try objective(c), miniBatchSize: nil, seed: 3, threads: 1)
        let lossCached = ContrastiveStep.run(
            model: cached, batch: batch, loss: try objective(c), miniBatchSize: 5, seed: 3, threads: 1)
        #expect(abs(lossPlain - lossCached) <= 1e-6)
        let a = Array(plain.gradients.storage.buffer), b = Array(cached.gradients.storage.buffer)
        let scale = a.map(abs).max() ?? 1
        #expect(scale > 0)
        #expect((zip(a, b).map { abs($0 - $1) }.max() ?? 0) / scale <= 1e-5)
    }
}
