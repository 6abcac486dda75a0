import ArgumentParser
import Collectives
import Encoder
import Foundation
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune an embedding model on (anchor, positive) pairs with in-batch negatives.",
        discussion: """
            --data is a JSONL file with "anchor", "positive" and optional "negative" (a string or a list) or
            "negative_1" ... "negative_n" (the n-tuple columns `mine` writes) —
            the sentence-transformers column names — or a BEIR directory (corpus.jsonl, queries.jsonl,
            qrels/<split>.tsv). The loss is MultipleNegativesRankingLoss (InfoNCE over scale · cosine).
            The result in --output is a peft LoRA adapter (adapter_config.json, adapter_model.safetensors),
            or with --full a complete model directory. A checkpoint is saved at every epoch end; --resume
            continues from it to the same final weights.

            The recommended recipe for a new domain: `embedtune mine` (hard negatives below 95% of the positive's
            score), then `embedtune train --data mined.jsonl --guide base --epochs 3`. With --eval-data or
            --eval-fraction, evaluation runs at step 0, every --eval-every steps and at the end; --keep-best and
            --early-stopping-patience choose the checkpoint on it (never select on your test split).

            Under mpirun or srun (`mpirun -np N embedtune train ...`) the ranks train one model data-parallel:
            --batch-size is the global batch (a multiple of N), each rank embeds its share, every anchor is scored
            against the candidates of all ranks, and gradients are summed; rank 0 alone writes --output.
            """)

    @Option(help: "Base model directory (Hugging Face / sentence-transformers layout).") var model: String
    @Option(help: "Training pairs: a JSONL file or a BEIR directory.") var data: String
    @OptionGroup(title: "Anchor prompt (default: the model's query prompt; positives and negatives get its document prompt)")
    var prompts: PromptOptions
    @Option(help: "qrels split of a BEIR --data directory.") var split: String = "train"
    @Option(help: "Output directory: the adapter, or the full model with --full.") var output: String
    @Option(parsing: .unconditional, help: "LoRA rank r.") var loraRank: Int = 8
    @Option(parsing: .unconditional, help: "LoRA alpha (scale alpha / r).") var loraAlpha: Float = 16
    @Option(parsing: .unconditional, help: "Dropout on the LoRA input (peft's default 0).") var loraDropout: Float = 0
    @Option(help: "Comma-separated Linear names LoRA adapts (peft target_modules).") var loraTargets: String = "query,key,value,dense"
    @Flag(help: "Rank-stabilised LoRA: scale alpha / sqrt(r).") var rslora = false
    @Flag(help: "Fine-tune every weight instead of training a LoRA adapter.") var full = false
    @Option(parsing: .unconditional, help: "Passes over the data.") var epochs: Int = 1
    @Option(parsing: .unconditional, help: "Stop after this many optimizer steps (overrides --epochs).") var maxSteps: Int?
    @Option(parsing: .unconditional, help: "Pairs per optimizer step.") var batchSize: Int = 32
    @Option(parsing: .unconditional, help: "GradCache: embed at most N sequences at a time (same gradients, bounded memory).") var miniBatchSize: Int?
    @Option(parsing: .unconditional, help: "Peak learning rate (default 2e-4 with LoRA, 2e-5 with --full).") var lr: Double?
    @Option(parsing: .unconditional, help: "Fraction of steps with linear warmup.") var warmupRatio: Double = 0.1
    @Option(parsing: .unconditional, help: "Decoupled weight decay.") var weightDecay: Double = 0.01
    @Option(help: "Optimizer: adamw, adam or sgd.") var optimizer: String = "adamw"
    @Option(parsing: .unconditional, help: "SGD momentum.") var momentum: Double = 0
    @Flag(help: "SGD with Nesterov momentum.") var nesterov = false
    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this value.") var maxGradNorm: Float = 1.0
    @Option(parsing: .unconditional, help: "Similarity scale of the loss, 1 / temperature (default 20, as sentence-transformers' MultipleNegativesRankingLoss; also 20 with --guide, where GISTEmbedLoss's own default temperature 0.01 would be 100: the base models we tune were trained at 20).") var scale: Float?
    @Flag(help: "Add the positive→anchor direction to the loss.") var symmetric = false
    @Option(parsing: .unconditional, help: "Truncate texts at N tokens (default: the model's max_seq_length, as sentence-transformers trains).") var maxLength: Int?
    @Option(parsing: .unconditional, help: "Seed for initialisation, shuffling and dropout.") var seed: UInt64 = 42
    @Option(parsing: .unconditional, help: "Hidden and attention dropout in training (default: the model config's).") var dropout: Float?
    @Option(help: ArgumentHelp(
        "GISTEmbed guide that filters in-batch false negatives: 'base' (the base model without the adapter) or a model directory.",
        discussion: "Candidates the guide scores above its own (anchor, positive) similarity, less the margin, leave the softmax; anchors and positives of other pairs also become negatives (GISTEmbedLoss)."))
    var guide: String?
    @Option(parsing: .unconditional, help: "Guide margin (default 0).") var guideMargin: Float?
    @Option(help: "Guide margin strategy: absolute (thr = s - m) or relative (thr = s - |s| m).") var guideMarginStrategy: String?
    @Option(help: "MatryoshkaLoss: comma-separated dimensions trained alongside, e.g. 384,256,128,64.") var matryoshkaDims: String?
    @Option(help: "Comma-separated weights, one per --matryoshka-dims entry (default all 1).") var matryoshkaWeights: String?
    @Option(help: ArgumentHelp(
        "With --matryoshka-dims: 'pca' rotates the embeddings onto the base model's principal axes first, 'none' trains the raw coordinates (as sentence-transformers' MatryoshkaLoss).",
        discussion: "The rotation (a fixed Dense module, fitted on the base model's embeddings of the training texts) leaves full-size similarities unchanged and lets the truncated prefixes start from the directions that carry the most; it is saved as projection/ in an adapter, or as a Dense module of a full model."))
    var matryoshkaRotation: String = "pca"
    @Option(help: "BEIR directory to evaluate retrieval on.") var evalData: String?
    @Option(parsing: .unconditional, help: "Hold out this random fraction of the training anchors as the validation set (instead of --eval-data).") var evalFraction: Double?
    @Flag(help: "Leave the weights of the best evaluation (nDCG@10) in --output, not the last step's.") var keepBest = false
    @Option(parsing: .unconditional, help: "Stop after N evaluations without improvement of nDCG@10.") var earlyStoppingPatience: Int?
    @Option(help: "qrels split of --eval-data.") var evalSplit: String = "dev"
    @Option(parsing: .unconditional, help: "Evaluate every N steps (and always at the end).") var evalEvery: Int?
    @Option(parsing: .unconditional, help: "Also checkpoint every N steps.") var saveEvery: Int?
    @Option(parsing: .unconditional, help: "Write a metrics.jsonl line every N steps.") var logEvery: Int = 1
    @Option(help: ArgumentHelp(
        "Format of the frozen base's matrix products under LoRA: fp32 (default) or bf16.",
        discussion: """
            bf16 multiplies bfloat16 weights and activations with float32 sums (AVX512-BF16 where the CPU has it, \
            a plain path elsewhere), forward and backward; the adapter, its gradients, the optimizer state and \
            the loss stay float32. Attention and the LoRA branch stay float32. Full fine-tuning trains in fp32.
            """)) var precision: InferencePrecision?
    @Flag(help: "Continue from the checkpoint in --output.") var resume = false
    @Flag(help: "Write into a non-empty --output directory that holds no earlier run of train.") var overwrite = false
    @Option(help: "CPU threads (default: all cores; under MPI, the cores shared among the ranks on this machine).")
    var threads: Int?
    @Option(help: "Under MPI: seconds a rank waits in an exchange with the others before it ends the job (a rank failed or hangs).")
    var collectiveTimeout: Double = 40

    var threadCount: Int { threads ?? DataParallelJob.defaultThreads() }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be positive") }
        guard collectiveTimeout > 0 && collectiveTimeout.isFinite else {
            throw ValidationError("--collective-timeout must be a positive number of seconds")
        }
        guard OptimizerConfiguration.Kind(rawValue: optimizer) != nil else {
            throw ValidationError("--optimizer must be adamw, adam or sgd")
        }
        if let guideMarginStrategy, GISTEmbedLoss.MarginStrategy(rawValue: guideMarginStrategy) == nil {
            throw ValidationError("--guide-margin-strategy must be absolute or relative, not '\(guideMarginStrategy)'")
        }
        if let evalFraction, !(evalFraction > 0 && evalFraction < 1) {
            throw ValidationError("--eval-fraction must lie strictly between 0 and 1")
        }
        if evalFraction != nil && evalData != nil {
            throw ValidationError("--eval-fraction and --eval-data both choose the validation set; give one")
        }
        if (keepBest || earlyStoppingPatience != nil) && evalFraction == nil && evalData == nil {
            throw ValidationError("--keep-best and --early-stopping-patience need --eval-data or --eval-fraction")
        }
        _ = try Self.list(matryoshkaDims, option: "--matryoshka-dims", as: Int.self)
        guard ["pca", "none"].contains(matryoshkaRotation) else {
            throw ValidationError("--matryoshka-rotation must be pca or none, not '\(matryoshkaRotation)'")
        }
        _ = try Self.list(matryoshkaWeights, option: "--matryoshka-weights", as: Float.self)
        // The options' own checks before any file is read, as a usage error (exit 64) like every
        // command's; the model's max_seq_length stands in for an absent --max-length later.
        do {
            try configurationFromOptions(modelMaxLength: 512).validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// A comma-separated list option, or nil when absent.
    static func list<T: LosslessStringConvertible>(_ text: String?, option: String, as: T.Type) throws -> [T]? {
        guard let text else { return nil }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let value = T(trimmed) else { throw ValidationError("\(option): '\(trimmed)' is not a number") }
            return value
        }
    }

    /// modelMaxLength: the model directory's max_seq_length (sentence_bert_config.json, capped by the position
    /// embeddings), the default of --max-length.
    func configurationFromOptions(modelMaxLength: Int) -> TrainingConfiguration {
        var config = TrainingConfiguration(
            lora: full ? nil : LoRAConfig(
                r: loraRank, alpha: loraAlpha, dropout: loraDropout,
                targetModules: loraTargets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                useRslora: rslora, baseModelNameOrPath: URL(fileURLWithPath: model).lastPathComponent))
        config.epochs = epochs
        config.maxSteps = maxSteps
        config.precision = precision == .fp32 ? nil : precision
        config.batchSize = batchSize
        config.miniBatchSize = miniBatchSize
        config.learningRate = lr ?? (full ? 2e-5 : 2e-4)
        config.warmupRatio = warmupRatio
        config.optimizer = OptimizerConfiguration(
            kind: OptimizerConfiguration.Kind(rawValue: optimizer) ?? .adamw, weightDecay: weightDecay,
            momentum: momentum, nesterov: nesterov)
        config.maxGradNorm = maxGradNorm
        config.scale = scale ?? 20
        config.guide = guide.map(GuideModel.init(argument:))
        config.guideMargin = guideMargin
        config.guideMarginStrategy = guideMarginStrategy.flatMap(GISTEmbedLoss.MarginStrategy.init(rawValue:))
        config.matryoshkaDimensions = try? Self.list(matryoshkaDims, option: "--matryoshka-dims", as: Int.self)
        config.matryoshkaWeights = try? Self.list(matryoshkaWeights, option: "--matryoshka-weights", as: Float.self)
        config.matryoshkaRotation = config.matryoshkaDimensions != nil && matryoshkaRotation == "pca" ? true : nil
        config.keepBest = keepBest ? true : nil
        config.earlyStoppingPatience = earlyStoppingPatience
        config.symmetric = symmetric
        config.maxLength = maxLength ?? modelMaxLength
        config.seed = seed
        config.dropout = dropout
        config.saveEvery = saveEvery
        config.evalEvery = evalEvery
        config.logEvery = logEvery
        return config
    }

    func run() throws {
        try DataParallelJob.run(command: "train", timeout: collectiveTimeout) { collective in try train(collective: collective) }
    }

    /// The run on one rank of `collective` (one process without MPI); only rank 0 writes and reports.
    func train(collective: any Collective) throws {
        let threads = threadCount, writes = collective.isRoot
        var inputs = [("--model", model), ("--data", data)]
        if let guide, guide != "base" { inputs.append(("--guide", guide)) }
        if let evalData { inputs.append(("--eval-data", evalData)) }
        if writes {
            try OutputDirectoryCheck.check(
                output: output, inputs: inputs, ownMarkers: ["checkpoint", "checkpoint.old", "metrics.jsonl"],
                overwrite: overwrite)
        }
        let directory = try ModelDirectory(url: URL(fileURLWithPath: model))
        var pairs = try TrainingPairs.load(URL(fileURLWithPath: data), split: split)
        var evaluate = try evalData.map { path in try TrainingEvaluation.evaluator(directory: path, split: evalSplit, threads: threads) }
        if let evalFraction {
            let (training, validation) = pairs.holdingOut(fraction: evalFraction, seed: seed)
            guard !validation.isEmpty else {
                throw ValidationError("--eval-fraction needs at least two distinct anchors in \(data)")
            }
            evaluate = try TrainingEvaluation.heldOut(validation, all: pairs, data: data, split: split, threads: threads)
            if writes { ProgressDisplay.write("train: \(validation.count) pairs held out for validation\n") }
            pairs = training
        }
        pairs = pairs.prompted(query: try prompts.resolve(directory, role: .query),
                               document: try directory.prompts.resolve(prompt: nil, name: nil, role: .document))
        let trainer = try Trainer(
            directory: directory, parameters: try directory.loadParameters(), pairs: pairs,
            configuration: configurationFromOptions(modelMaxLength: directory.maxSequenceLength), output: URL(fileURLWithPath: output))
        let display = ProgressDisplay(label: "train")
        var lastEval = ""
        try trainer.run(resume: resume, threads: threads, evaluate: evaluate, collective: collective) { event in
            guard writes else { return }
            switch event {
            case .started(let total, let pairs, let parameters):
                ProgressDisplay.write("train: \(pairs) pairs, \(total) steps, \(parameters) trainable parameters\n")
            case .step(let r):
                display.update(
                    done: r.step, total: r.totalSteps, unit: "steps",
                    detail: String(format: "loss %.4f lr %.2e |g| %.3f %.1f pairs/s", r.loss, r.learningRate,
                                   r.gradientNorm, r.pairsPerSecond) + lastEval)
            case .evaluation(let step, let metrics):
                lastEval = String(format: " ndcg@10 %.4f", metrics["ndcg@10"] ?? .nan)
                ProgressDisplay.write("\neval at step \(step): " + metrics.sorted { $0.key < $1.key }
                    .map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: " ") + "\n")
            case .checkpoint:
                break
            case .stoppedEarly(let step, let bestStep):
                ProgressDisplay.write("\ntrain: stopped early at step \(step); the best evaluation was at step \(bestStep)\n")
            case .keptBest(let step, let metric, let value):
                ProgressDisplay.write(String(format: "\ntrain: kept the weights of step %d (%@ %.4f)\n", step, metric, value))
            case .warning(let warning):
                ProgressDisplay.write("\nwarning: \(warning)\n")
            }
        }
        guard writes else { return }
        if collective.size > 1 {
            ProgressDisplay.write("train: \(collective.size) ranks, \(threads) thread\(threads == 1 ? "" : "s") each\n")
        }
        ProgressDisplay.write(String(format: "train: wrote %@ in %.1f s; peak memory %.0f MiB\n",
                                     output, display.elapsed, ProgressDisplay.peakRSSMiB()))
    }
}
