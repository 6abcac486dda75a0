@testable import Datasets
import Encoder
import Foundation
import Tensor
import Testing
@testable import Training

/// Choosing the checkpoint: evaluation at step 0, --keep-best, early stopping, held-out validation pairs,
/// and GISTEmbed / Matryoshka runs through the trainer.
struct ModelSelectionTests {
    let support = TrainerTests()

    /// An evaluator whose nDCG@10 follows `scores` by call; records the steps it saw via the log.
    final class ScriptedEvaluator: @unchecked Sendable {
        var scores: [Double]
        var calls = 0
        init(_ scores: [Double]) { self.scores = scores }
        func evaluate(_ encoder: SentenceEncoder) throws -> [String: Double] {
            defer { calls += 1 }
            return ["ndcg@10": scores[min(calls, scores.count - 1)]]
        }
    }

    func configuration() -> TrainingConfiguration {
        var c = TrainingConfiguration(lora: LoRAConfig(r: 4, alpha: 8, dropout: 0))
        c.epochs = 1
        c.batchSize = 4
        c.learningRate = 1e-3
        c.dropout = 0
        c.evalEvery = 2
        return c
    }

    func evaluationSteps(_ output: URL) throws -> [Int] {
        let text = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> Int? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["type"] as? String == "eval" else { return nil }
            return object["step"] as? Int
        }
    }

    @Test func evaluatesAtStepZeroAndEveryNStepsAndAtTheEnd() throws {
        let output = support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let evaluator = ScriptedEvaluator([0.5])
        try support.trainer(configuration(), output: output, pairCount: 20)  // 5 steps
            .run(resume: false, threads: 1, evaluate: evaluator.evaluate)
        #expect(try evaluationSteps(output) == [0, 2, 4, 5])
    }

    @Test func keepBestLeavesTheBestEvaluationsWeightsInTheOutput() throws {
        let output = support.temporaryDirectory(), probe = support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output); try? FileManager.default.removeItem(at: probe) }
        var c = configuration()
        c.keepBest = true
        // steps 0, 2, 4, 5: the best is step 2
        let trainer = try support.trainer(c, output: output, pairCount: 20)
        var kept: Int?
        try trainer.run(resume: false, threads: 1, evaluate: ScriptedEvaluator([0.1, 0.9, 0.3, 0.2]).evaluate) { event in
            if case .keptBest(let step, _, _) = event { kept = step }
        }
        #expect(kept == 2)
        // The same run stopped after step 2 holds the weights the output must have.
        let reference = try support.trainer(configuration(), output: probe, pairCount: 20)
        try reference.run(resume: false, threads: 1, stopAfterStep: 2)
        let expected = Array(reference.model.trainable.storage.buffer)
        let saved = try LoRAAdapter(directory: output, bert: trainer.model.parameters)
        let ours = Array(saved.block.storage.buffer)
        #expect(ours.count == expected.count)
        #expect(zip(ours, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
        let last = Array(trainer.model.trainable.storage.buffer)
        #expect(zip(last, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test func earlyStoppingEndsTheRunAfterPatienceEvaluationsWithoutImprovement() throws {
        let output = support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        var c = configuration()
        c.evalEvery = 1
        c.earlyStoppingPatience = 2
        var stopped: (Int, Int)?
        let report = try support.trainer(c, output: output, pairCount: 40)  // 10 steps
            .run(resume: false, threads: 1, evaluate: ScriptedEvaluator([0.2, 0.4, 0.3, 0.35, 0.9]).evaluate) { event in
                if case .stoppedEarly(let step, let best) = event { stopped = (step, best) }
            }
        #expect(report?.step == 3)
        #expect(stopped?.0 == 3 && stopped?.1 == 1)
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("adapter_model.safetensors").path))
    }

    @Test func heldOutPairsShareNoAnchorWithTheTrainingPairs() {
        let pairs = TrainingPairs((0..<50).flatMap { i in
            [TrainingPair(anchor: "q\(i)", positive: "a\(i)"), TrainingPair(anchor: "q\(i)", positive: "b\(i)")]
        })
        let (training, validation) = pairs.holdingOut(fraction: 0.2, seed: 7)
        #expect(validation.count == 20)
        #expect(training.count == 80)
        #expect(Set(validation.map(\.anchor)).isDisjoint(with: Set(training.pairs.map(\.anchor))))
        let again = pairs.holdingOut(fraction: 0.2, seed: 7)
        #expect(again.validation == validation)
        #expect(pairs.holdingOut(fraction: 0.2, seed: 8).validation != validation)
    }

    @Test(arguments: [false, true])
    func guidedAndMatryoshkaRunsTrainAndResume(lora: Bool) throws {
        let whole = support.temporaryDirectory(), interrupted = support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: interrupted) }
        var c = support.configuration(lora: lora)
        c.guide = .base
        c.guideMargin = 0.05
        c.matryoshkaDimensions = [32, 16]
        let reference = try support.trainer(c, output: whole)
        let report = try reference.run(resume: false, threads: 1)
        #expect(report.map { $0.loss.isFinite } == true)
        let first = try support.trainer(c, output: interrupted)
        try first.run(resume: false, threads: 1, stopAfterStep: 5)
        let second = try support.trainer(c, output: interrupted)
        try second.run(resume: true, threads: 1)
        let resumed = Array(second.model.trainable.storage.buffer), uninterrupted = Array(reference.model.trainable.storage.buffer)
        #expect(zip(resumed, uninterrupted).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test func invalidGuideAndMatryoshkaOptionsAreRefusedByName() throws {
        var c = configuration()
        c.guideMargin = 0.1
        #expect(throws: TrainingError.invalidConfiguration("--guide-margin needs --guide")) { try c.validate() }
        c.guide = .base
        c.guideMargin = -1
        #expect(throws: TrainingError.self) { try c.validate() }
        c.guideMargin = nil
        c.matryoshkaDimensions = [64, 0]
        #expect(throws: TrainingError.invalidConfiguration("--matryoshka-dims must be positive dimensions")) { try c.validate() }
        c.matryoshkaDimensions = [32, 16]
        c.matryoshkaWeights = [1]
        #expect(throws: TrainingError.self) { try c.validate() }
    }
}
