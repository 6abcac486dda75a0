import Collectives
import Encoder
import Foundation
import Tensor

/// What a run reports while it trains (library code never prints; the CLI draws these).
public enum TrainingEvent: Sendable {
    case started(totalSteps: Int, pairs: Int, trainableParameters: Int)
    case step(StepReport)
    case evaluation(step: Int, metrics: [String: Double])
    case checkpoint(step: Int, path: String)
    /// An early warning (TrainingMonitor): a stalled loss, a vanishing or exploding gradient.
    case warning(TrainingWarning)
    /// Early stopping ended the run at `step`; the best evaluation was at `bestStep`.
    case stoppedEarly(step: Int, bestStep: Int)
    /// `keepBest`: the output holds the weights of this evaluation.
    case keptBest(step: Int, metric: String, value: Double)
}

public struct StepReport: Sendable, Codable {
    public var step: Int  // 1-based optimizer step just taken
    public var totalSteps: Int
    public var epoch: Int
    public var loss: Float
    public var learningRate: Double
    public var gradientNorm: Float  // before clipping
    public var layerGradientNorms: [LayerGradientNorm] = []  // before clipping, in block order
    public var pairsPerSecond: Double
    public var elapsedSeconds: Double
    /// Data-parallel runs: seconds of this step spent in collective operations (the all-gather of the
    /// embeddings and the all-reduce of the gradients, waiting for slower ranks included); nil in one process.
    public var communicationSeconds: Double? = nil
}

/// Contrastive fine-tuning of a BERT encoder (sentence-transformers' MultipleNegativesRankingLoss with
/// in-batch negatives), LoRA or full, with AdamW, linear warmup and decay, gradient clipping, GradCache,
/// periodic evaluation and atomic, resumable checkpoints. A resumed run reaches the same final weights as
/// an uninterrupted one: batches come from (seed, epoch), dropout masks from (seed, step). Under MPI every rank
/// runs the same `run` on its share of each batch (`ContrastiveStep`, `collective`); rank 0 alone writes.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let directory: ModelDirectory
    public let model: TrainableBert
    public let output: URL
    let pairs: TrainingPairs
    let tokens: (anchors: [[Int32]], positives: [[Int32]], negatives: [[[Int32]]])
    let baseFingerprint: UInt64
    /// Identifies the training pairs (their texts, in order), so that --resume refuses other data.
    let dataFingerprint: String
    /// The Matryoshka rotation (`MatryoshkaRotation`) once `run` has fitted it; saved with the result.
    public internal(set) var rotation: DenseModule?

    public init(
        directory: ModelDirectory, parameters: BertParameters, pairs: TrainingPairs,
        configuration: TrainingConfiguration, output: URL
    ) throws {
        try configuration.validate()
        guard pairs.count > 0 else { throw TrainingError.noTrainingPairs }
        let hidden = directory.embeddingDimension
        if let dims = configuration.matryoshkaDimensions, let largest = dims.max(), largest > hidden {
            throw TrainingError.invalidConfiguration(
                "--matryoshka-dims: \(largest) exceeds the model's embedding dimension \(hidden)")
        }
        if let lora = configuration.lora {
            let unmatched = LoRAAdapter.unmatchedTargets(lora, bert: parameters)
            if !unmatched.isEmpty {
                let names = Set(parameters.layers.flatMap { $0.linears.map { $0.name.split(separator: ".").last.map(String.init) ?? $0.name } })
                throw TrainingError.invalidConfiguration(
                    "--lora-targets: \(unmatched.joined(separator: ", ")) matches no Linear of the model (its Linears end in "
                    + names.sorted().joined(separator: ", ") + ")")
            }
        }
        self.configuration = configuration
        self.directory = directory
        self.pairs = pairs
        self.output = output
        let storage = parameters.block.storage
        baseFingerprint = ModelFingerprint.hash(
            UnsafeRawBufferPointer(start: storage.pointer, count: storage.count * MemoryLayout<Float>.stride))
        var texts: [UInt8] = []
        for pair in pairs.pairs {
            for text in [pair.anchor, pair.positive] + pair.negatives { texts.append(contentsOf: text.utf8); texts.append(0) }
            texts.append(1)
        }
        dataFingerprint = String(texts.withUnsafeBytes { ModelFingerprint.hash($0) }, radix: 16)
        var rng = SplitMix64(seed: configuration.seed)
        let adapter = configuration.lora.map { LoRAAdapter.initialised(config: $0, bert: parameters, rng: &rng) }
        model = TrainableBert(
            parameters: parameters, adapter: adapter, pooling: directory.pooling,
            hiddenDropout: configuration.dropout ?? parameters.config.hiddenDropoutProb,
            attentionDropout: configuration.dropout ?? parameters.config.attentionProbsDropoutProb,
            precision: configuration.precision ?? .fp32)
        model.dense = directory.dense
        let tokenizer = directory.tokenizer
        let length = min(configuration.maxLength, directory.config.maxPositionEmbeddings)
        func ids(_ text: String) -> [Int32] { tokenizer.encodeIDs(text, maxLength: length) }
        tokens = (
            pairs.pairs.map { ids($0.anchor) }, pairs.pairs.map { ids($0.positive) },
            (0..<pairs.negativeCount).map { h in pairs.pairs.map { ids($0.negatives[h]) } }
        )
    }

    var dropLast: Bool { pairs.count >= configuration.batchSize }
    public var stepsPerEpoch: Int {
        BatchPlan.batchCount(count: pairs.count, batchSize: configuration.batchSize, dropLast: dropLast)
    }
    public var totalSteps: Int { configuration.maxSteps ?? configuration.epochs * stepsPerEpoch }

    /// Weight-decay ranges tiling the trainable block: transformers' rule (no decay for biases and
    /// LayerNorm weights); every LoRA matrix decays.
    func decayRanges(_ block: ParameterBlock) -> [ParameterRange] {
        block.entries.enumerated().map { i, entry in
            let end = i + 1 < block.entries.count ? block.entries[i + 1].offset : block.storage.count
            return ParameterRange(
                offset: entry.offset, count: end - entry.offset, weightDecay: ParameterRange.huggingFaceDecays(entry.name))
        }
    }

    /// Trains to the end (or from the last checkpoint with `resume`), writes the adapter or the full
    /// model directory into `output`, and returns the last step's report. `stopAfterStep` ends the run
    /// early, as an interruption would: nothing is written beyond the checkpoints already saved.
    ///
    /// With a `collective` of N ranks, `batchSize` is the global batch (a multiple of N): each rank embeds
    /// its share, gradients are summed over the ranks, and every rank takes the same optimizer step. Rank
    /// 0 reads the checkpoint, writes checkpoints, metrics and the result; every rank evaluates, and rank 0's
    /// metrics decide. Every rank must call `run` with the same arguments.
    @discardableResult
    public func run(
        resume: Bool, threads: Int, evaluate: ((SentenceEncoder) throws -> [String: Double])? = nil,
        stopAfterStep: Int? = nil, collective: any Collective = SingleProcess(),
        progress: (TrainingEvent) -> Void = { _ in }
    ) throws -> StepReport? {
        let fm = FileManager.default
        let preparationStart = DispatchTime.now().uptimeNanoseconds
        let writes = collective.isRoot
        try checkSharding(ranks: collective.size)
        if writes { try fm.createDirectory(at: output, withIntermediateDirectories: true) }
        let trainable = model.trainable, gradients = model.gradients
        let optimizer = try configuration.optimizer.makeOptimizer(
            parameterCount: trainable.storage.count, ranges: decayRanges(trainable))
        // The guide and the rotation embed with the base weights, so before a checkpoint is read into them.
        let guide = try guideEmbeddings(threads: threads)
        if configuration.matryoshkaRotation == true {
            let base = configuration.guide == .base ? guide : nil
            let rows = base ?? baseEmbeddings(threads: threads)
            let fitted = MatryoshkaRotation.fit(rows: rows.rows, dimension: rows.dimension)
            rotation = fitted
            model.dense = directory.dense + [fitted]
        }
        var globalStep = 0
        var selection = ModelSelection(patience: configuration.earlyStoppingPatience)
        var bestWeights: [Float]?
        if resume, writes, let saved = try Checkpoint.load(output: output, into: trainable) {
            guard saved.state.configuration == configuration else {
                throw TrainingError.checkpoint(
                    path: Checkpoint.directory(in: output).path,
                    reason: "was written with other training options; resume with the same options or use a new --output")
            }
            guard saved.state.baseFingerprint == baseFingerprint else {
                throw TrainingError.checkpoint(
                    path: Checkpoint.directory(in: output).path, reason: "was written for other base weights")
            }
            if let recorded = saved.state.dataFingerprint, recorded != dataFingerprint {
                throw TrainingError.checkpoint(
                    path: Checkpoint.directory(in: output).path,
                    reason: "was written for other training data (--data or --split differ); resume with the same data or use a new --output")
            }
            guard saved.state.globalStep <= totalSteps else {
                throw TrainingError.checkpoint(
                    path: Checkpoint.directory(in: output).path,
                    reason: "records step \(saved.state.globalStep), past this run's \(totalSteps) steps")
            }
            if let savedRotation = saved.rotation, configuration.matryoshkaRotation == true {
                let d = directory.embeddingDimension
                guard savedRotation.inFeatures == d, savedRotation.outFeatures == d else {
                    throw TrainingError.checkpoint(
                        path: Checkpoint.directory(in: output).path, reason: "holds a rotation that does not fit this model")
                }
                rotation = savedRotation
                model.dense = directory.dense + [savedRotation]
            }
            try optimizer.restore(saved.optimizer)
            globalStep = saved.state.globalStep
            selection = saved.state.selection ?? selection
            bestWeights = saved.best
        }
        if collective.size > 1 {
            // the others may still be embedding the guide's view of the data: wait as long as that took here
            let preparation = Double(DispatchTime.now().uptimeNanoseconds - preparationStart) / 1e9
            try collective.allowing(extra: preparation) {
                try synchronise(
                    collective: collective, optimizer: optimizer, globalStep: &globalStep, selection: &selection,
                    bestWeights: &bestWeights)
            }
        }
        let total = totalSteps, perEpoch = stepsPerEpoch
        let schedule = LinearWarmupSchedule(
            baseLearningRate: configuration.learningRate, warmupRatio: configuration.warmupRatio, totalSteps: total)
        let loss = objective()
        let log: MetricsLog? = try writes
            ? MetricsLog(url: output.appendingPathComponent("metrics.jsonl"), resumedAt: globalStep == 0 ? nil : globalStep)
            : nil
        progress(.started(totalSteps: total, pairs: pairs.count, trainableParameters: trainable.parameterCount))
        let keepBest = configuration.keepBest ?? false
        /// Evaluates the current weights, logs them and updates the selection.
        func evaluateNow() throws {
            guard let evaluate else { return }
            let evaluationStart = DispatchTime.now().uptimeNanoseconds
            let own = try evaluate(try inferenceEncoder())
            let evaluation = Double(DispatchTime.now().uptimeNanoseconds - evaluationStart) / 1e9
            let metrics = try collective.allowing(extra: evaluation) { try Self.agreed(metrics: own, collective: collective) }
            try log?.append(evaluation: metrics, step: globalStep)
            progress(.evaluation(step: globalStep, metrics: metrics))
            if selection.observe(step: globalStep, metrics: metrics), keepBest {
                bestWeights = Array(trainable.storage.buffer)
            }
        }
        if globalStep == 0 { try evaluateNow() }  // the learning curve starts at the base model
        let start = DispatchTime.now().uptimeNanoseconds
        var pairsDone = 0
        var last: StepReport?
        var plan: BatchPlan?
        var lastCheckpoint: String? = globalStep > 0 && writes ? Checkpoint.directory(in: output).path : nil
        let layerGroups = LayerGradientNorms(block: gradients)
        var monitor = TrainingMonitor()
        let checksAtEvaluations = evaluate != nil && configuration.evalEvery != nil
        while globalStep < total && !selection.shouldStop {
            let epoch = globalStep / perEpoch, index = globalStep % perEpoch
            if plan?.epoch != epoch {
                plan = BatchPlan(
                    count: pairs.count, batchSize: configuration.batchSize, seed: configuration.seed, epoch: epoch,
                    dropLast: dropLast)
            }
            guard let batchIndices = plan?.batch(index) else { break }
            let keys = pairs.keys(batch: batchIndices)
            let batch = ContrastiveBatch(
                anchors: batchIndices.map { tokens.anchors[$0] }, positives: batchIndices.map { tokens.positives[$0] },
                negatives: tokens.negatives.map { column in batchIndices.map { column[$0] } },
                keys: keys, guide: guide?.batch(keys))
            model.zeroGradients()
            let communicated = collective.timings.total
            let value = try ContrastiveStep.run(
                model: model, batch: batch, loss: loss, miniBatchSize: configuration.miniBatchSize,
                seed: stepSeed(globalStep), threads: threads, collective: collective)
            guard value.isFinite else {  // the loss of the whole batch: every rank stops here alike
                throw TrainingError.nonFiniteLoss(step: globalStep + 1, loss: value, checkpoint: lastCheckpoint)
            }
            try collective.allReduceSum(gradients.storage.buffer, label: "the gradients")
            let layerNorms = layerGroups.norms(gradients)
            let norm = GradientClipping.clip(gradients.storage.buffer, maxNorm: configuration.maxGradNorm)
            let rate = schedule.learningRate(atStep: globalStep)
            optimizer.step(
                parameters: trainable.storage.buffer, gradients: UnsafeBufferPointer(gradients.storage.buffer),
                learningRate: rate)
            guard trainable.storage.buffer.allSatisfy(\.isFinite) else {  // the same update on every rank
                throw TrainingError.nonFiniteWeights(step: globalStep + 1, checkpoint: lastCheckpoint)
            }
            globalStep += 1
            pairsDone += batch.size
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let report = StepReport(
                step: globalStep, totalSteps: total, epoch: epoch, loss: value, learningRate: rate,
                gradientNorm: norm, layerGradientNorms: layerNorms,
                pairsPerSecond: Double(pairsDone) / max(elapsed, 1e-9), elapsedSeconds: elapsed,
                communicationSeconds: collective.size > 1 ? collective.timings.total - communicated : nil)
            last = report
            let logged = globalStep % configuration.logEvery == 0 || globalStep == total
            if logged { try log?.append(report) }
            progress(.step(report))
            monitor.observe(loss: value)
            if let warning = monitor.check(gradientNorm: norm, layers: layerNorms, step: globalStep) {
                progress(.warning(warning))
            }
            let checkPoint = checksAtEvaluations ? configuration.evalEvery.map { globalStep % $0 == 0 } ?? false : logged
            if checkPoint, let warning = monitor.closeWindow(step: globalStep) { progress(.warning(warning)) }
            let evaluationDue = configuration.evalEvery.map { globalStep % $0 == 0 } ?? false
            if evaluationDue || globalStep == total { try evaluateNow() }
            let epochEnd = globalStep % perEpoch == 0
            let saveDue = configuration.saveEvery.map { globalStep % $0 == 0 } ?? false
            if writes, epochEnd || saveDue || globalStep == total || selection.shouldStop {
                try Checkpoint.save(
                    state: .init(globalStep: globalStep, optimizerStep: optimizer.stepCount, configuration: configuration,
                                 baseFingerprint: baseFingerprint, selection: evaluate == nil ? nil : selection,
                                 dataFingerprint: dataFingerprint),
                    trainable: trainable, optimizer: optimizer.state, best: bestWeights, rotation: rotation, output: output)
                lastCheckpoint = Checkpoint.directory(in: output).path
                progress(.checkpoint(step: globalStep, path: Checkpoint.directory(in: output).path))
            }
            if let stopAfterStep, globalStep >= stopAfterStep, globalStep < total, !selection.shouldStop { return last }
        }
        if selection.shouldStop, let step = selection.bestStep {
            progress(.stoppedEarly(step: globalStep, bestStep: step))
        }
        if keepBest, let bestWeights, let step = selection.bestStep, let value = selection.bestValue {
            trainable.storage.buffer.update(fromContentsOf: bestWeights)
            try log?.append(selected: step, metric: selection.metric, value: value)
            progress(.keptBest(step: step, metric: selection.metric, value: value))
        }
        if writes { try writeResult() }
        return last
    }

    func stepSeed(_ step: Int) -> UInt64 {
        var g = SplitMix64(seed: configuration.seed &+ 0xD1B5_4A32_D192_ED03 &* UInt64(step + 1))
        return g.next()
    }
}
