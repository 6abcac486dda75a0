@testable import Datasets
import Encoder
import Foundation
import Tensor
import Testing
@testable import Training

/// The training loop on the tiny random BERT: resume, failure on a non-finite loss, outputs.
struct TrainerTests {
    static let tinyBert = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EncoderTests/Fixtures/tiny_bert")

    static let words = ["file", "open", "read", "write", "close", "memory", "socket", "signal", "process", "thread",
                        "time", "clock", "user", "group", "directory", "link", "mount", "device", "queue", "lock"]

    func pairs(_ n: Int) -> TrainingPairs {
        var rng = SplitMix64(seed: 9)
        return TrainingPairs((0..<n).map { i in
            let topic = (0..<3).map { _ in Self.words[Int(rng.next() % UInt64(Self.words.count))] }.joined(separator: " ")
            return TrainingPair(anchor: "how to \(topic) \(i)", positive: "\(topic) \(i) explained with \(Self.words[i % 20])")
        })
    }

    func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("embedtune-trainer-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func trainer(_ configuration: TrainingConfiguration, output: URL, pairCount: Int = 24) throws -> Trainer {
        let directory = try ModelDirectory(url: Self.tinyBert)
        return try Trainer(
            directory: directory, parameters: try directory.loadParameters(), pairs: pairs(pairCount),
            configuration: configuration, output: output)
    }

    func configuration(lora: Bool) -> TrainingConfiguration {
        var c = TrainingConfiguration(lora: lora ? LoRAConfig(r: 4, alpha: 8, dropout: 0.1) : nil)
        c.epochs = 2
        c.batchSize = 8
        c.learningRate = 1e-3
        c.dropout = 0.1
        c.saveEvery = 2
        return c
    }

    /// `configuration(lora:)` at a learning rate that makes the run diverge, full from the first step,
    /// saving after every step.
    func diverging(lora: Bool, learningRate: Double) -> TrainingConfiguration {
        var c = configuration(lora: lora)
        c.learningRate = learningRate
        c.warmupRatio = 0
        c.saveEvery = 1
        return c
    }

    @Test(arguments: [true, false])
    func resumedRunReachesTheSameWeightsAsAnUninterruptedOne(lora: Bool) throws {
        let whole = temporaryDirectory(), interrupted = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: interrupted) }
        let reference = try trainer(configuration(lora: lora), output: whole)
        try reference.run(resume: false, threads: 1)
        let first = try trainer(configuration(lora: lora), output: interrupted)
        try first.run(resume: false, threads: 1, stopAfterStep: 5)  // last checkpoint at step 4
        let second = try trainer(configuration(lora: lora), output: interrupted)
        let report = try second.run(resume: true, threads: 1)
        #expect(report?.step == 6)
        // Bit-identical when the run has the process to itself (as `embedtune train` has). Here other
        // tests run alongside and set OpenBLAS's process-wide thread count while this one trains, which
        // can move the last bits of a product; so: equal to 1e-6, against a stopped run that is far off.
        let resumed = Array(second.model.trainable.storage.buffer), uninterrupted = Array(reference.model.trainable.storage.buffer)
        let stopped = Array(first.model.trainable.storage.buffer)
        #expect(resumed.count == uninterrupted.count)
        #expect(zip(resumed, uninterrupted).allSatisfy { abs($0 - $1) <= 1e-6 })
        #expect(zip(stopped, uninterrupted).map { abs($0 - $1) }.max() ?? 0 > 1e-4)
    }

    @Test func resumeWithOtherOptionsIsRefused() throws {
        let output = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        try trainer(configuration(lora: true), output: output).run(resume: false, threads: 1, stopAfterStep: 2)
        var other = configuration(lora: true)
        other.learningRate = 5e-4
        #expect(throws: TrainingError.self) { try trainer(other, output: output).run(resume: true, threads: 1) }
    }

    @Test func nonFiniteLossStopsWithTheLastCheckpointIntact() throws {
        let output = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let t = try trainer(diverging(lora: false, learningRate: 1e30), output: output)
        do {
            try t.run(resume: false, threads: 1)
            Issue.record("the run should have stopped on a non-finite loss")
        } catch let TrainingError.nonFiniteLoss(step, _, checkpoint) {
            #expect(step >= 2)
            #expect(checkpoint != nil)
            let probe = ParameterBlock(layout: t.model.trainable.entries.map { ($0.name, $0.shape) })
            let saved = try Checkpoint.load(output: output, into: probe)
            #expect(saved?.0.globalStep == step - 1)
            #expect(probe.storage.buffer.allSatisfy { $0.isFinite })
        }
    }

    /// A learning rate so large that Adam's step, lr / (1 - beta1) as a float, overflows: the first
    /// update makes the weights infinite while that step's loss, from the initial weights, is finite.
    @Test(arguments: [true, false])
    func anUpdateThatMakesAWeightNonFiniteStopsBeforeAnythingIsSaved(lora: Bool) throws {
        let output = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let t = try trainer(diverging(lora: lora, learningRate: 1e38), output: output)
        let initial = Array(t.model.trainable.storage.buffer)
        do {
            try t.run(resume: false, threads: 1)
            Issue.record("the run should have stopped on non-finite weights")
        } catch let TrainingError.nonFiniteWeights(step, checkpoint) {
            #expect(step == 1)
            #expect(checkpoint == nil)
            #expect(initial.allSatisfy { $0.isFinite })
            #expect(t.model.trainable.storage.buffer.contains { !$0.isFinite })
            let written = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
            #expect(!written.contains { $0.hasSuffix(".safetensors") || $0.hasPrefix("checkpoint") }, "\(written)")
            #expect(TrainingError.nonFiniteWeights(step: step, checkpoint: checkpoint).description.contains("learning rate"))
        }
    }

    @Test func loraRunWritesAPeftAdapterThatMergesIntoAModelDirectory() throws {
        let output = temporaryDirectory(), merged = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output); try? FileManager.default.removeItem(at: merged) }
        var c = configuration(lora: true)
        c.epochs = 1
        try trainer(c, output: output).run(resume: false, threads: 1)
        for file in ["adapter_config.json", "adapter_model.safetensors", "metrics.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(file).path), "\(file)")
        }
        let directory = try ModelDirectory(url: Self.tinyBert)
        let parameters = try directory.loadParameters()
        let adapter = try LoRAAdapter(directory: output, bert: parameters)
        #expect(adapter.targetCount == 12)
        adapter.merge(into: parameters)
        try ModelDirectoryWriter.write(parameters: parameters, from: directory, to: merged)
        let texts = ["open a file", "close the socket", ""]
        let fromMerged = try SentenceEncoder(modelDirectory: merged).encode(texts)
        let atLoad = try SentenceEncoder(modelDirectory: Self.tinyBert, adapterDirectory: output).encode(texts)
        let base = try SentenceEncoder(modelDirectory: Self.tinyBert).encode(texts)
        #expect(fromMerged == atLoad)
        #expect(fromMerged != base)
    }

    @Test func fullRunWritesAModelDirectory() throws {
        let output = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        var c = configuration(lora: false)
        c.epochs = 1
        let t = try trainer(c, output: output)
        try t.run(resume: false, threads: 1)
        let written = try ModelDirectory(url: output)
        let parameters = try written.loadParameters()
        #expect(Array(parameters.block.storage.buffer) == Array(t.model.parameters.block.storage.buffer))
    }
}
