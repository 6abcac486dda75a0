import Encoder

/// Every choice of a fine-tuning run. Stored in checkpoints: a run resumes only with the same
/// configuration (the length of the run, `epochs` / `maxSteps`, included).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// LoRA adapter to train; nil trains every weight (full fine-tuning).
    public var lora: LoRAConfig?
    public var epochs: Int = 1
    public var maxSteps: Int?
    public var batchSize: Int = 32
    /// GradCache chunk size in sequences; nil embeds the whole batch in one pass.
    public var miniBatchSize: Int?
    public var learningRate: Double = 1e-4
    public var warmupRatio: Double = 0.1
    public var optimizer = OptimizerConfiguration.adamW
    public var maxGradNorm: Float = 1.0
    public var scale: Float = 20
    public var symmetric = false
    public var maxLength = 128
    public var seed: UInt64 = 42
    /// Hidden and attention-probability dropout during training; nil takes the model config's
    /// hidden_dropout_prob and attention_probs_dropout_prob.
    public var dropout: Float?
    public var saveEvery: Int?
    public var evalEvery: Int?
    public var logEvery = 1
    /// GISTEmbed: the guide whose similarities filter in-batch false negatives; nil uses none.
    public var guide: GuideModel?
    public var guideMargin: Float?
    public var guideMarginStrategy: GISTEmbedLoss.MarginStrategy?
    /// MatryoshkaLoss: the truncated dimensions trained alongside (nil: the full embedding only).
    public var matryoshkaDimensions: [Int]?
    public var matryoshkaWeights: [Float]?
    /// Train the Matryoshka prefixes of the base model's principal axes (`MatryoshkaRotation`, a fixed
    /// Dense module saved with the result) instead of its raw coordinates; nil or false: no rotation.
    public var matryoshkaRotation: Bool?
    /// Leave the weights of the best evaluation (nDCG@10) in the output instead of the last step's.
    public var keepBest: Bool?
    /// Stop after this many evaluations without improvement.
    public var earlyStoppingPatience: Int?
    /// The format of the frozen base's matrix products under LoRA (`TrainableBert.precision`): fp32 or
    /// bf16; nil is fp32 (and reads checkpoints written before the option).
    public var precision: InferencePrecision?

    public init(lora: LoRAConfig?) { self.lora = lora }

    public func validate() throws {
        func fail(_ option: String, _ why: String) -> TrainingError { .invalidConfiguration("\(option) \(why)") }
        if epochs < 1 && maxSteps == nil { throw fail("--epochs", "must be at least 1") }
        if let maxSteps, maxSteps < 1 { throw fail("--max-steps", "must be at least 1") }
        if batchSize < 1 { throw fail("--batch-size", "must be at least 1") }
        if let miniBatchSize, miniBatchSize < 1 { throw fail("--mini-batch-size", "must be at least 1") }
        if !(learningRate > 0 && learningRate.isFinite) { throw fail("--lr", "must be a positive finite number") }
        if !(0..<1).contains(warmupRatio) { throw fail("--warmup-ratio", "must lie in [0, 1)") }
        if !(maxGradNorm > 0 && maxGradNorm.isFinite) { throw fail("--max-grad-norm", "must be a positive finite number") }
        if maxLength < 2 { throw fail("--max-length", "must be at least 2") }
        if let dropout, !(0..<1).contains(dropout) { throw fail("--dropout", "must lie in [0, 1)") }
        if let saveEvery, saveEvery < 1 { throw fail("--save-every", "must be at least 1") }
        if let evalEvery, evalEvery < 1 { throw fail("--eval-every", "must be at least 1") }
        if logEvery < 1 { throw fail("--log-every", "must be at least 1") }
        if let guideMargin, !(guideMargin.isFinite && guideMargin >= 0) {
            throw fail("--guide-margin", "must be a finite number >= 0")
        }
        if guideMargin != nil || guideMarginStrategy != nil, guide == nil {
            throw fail("--guide-margin", "needs --guide")
        }
        if let dims = matryoshkaDimensions {
            if dims.isEmpty || dims.contains(where: { $0 < 1 }) {
                throw fail("--matryoshka-dims", "must be positive dimensions")
            }
            if Set(dims).count != dims.count { throw fail("--matryoshka-dims", "lists a dimension twice") }
        }
        if matryoshkaRotation == true, matryoshkaDimensions == nil {
            throw fail("--matryoshka-rotation", "needs --matryoshka-dims")
        }
        if let weights = matryoshkaWeights {
            guard let dims = matryoshkaDimensions else { throw fail("--matryoshka-weights", "needs --matryoshka-dims") }
            if weights.count != dims.count {
                throw fail("--matryoshka-weights", "needs one weight per dimension (\(dims.count))")
            }
            if weights.contains(where: { !($0.isFinite && $0 >= 0) }) {
                throw fail("--matryoshka-weights", "must be finite numbers >= 0")
            }
        }
        if precision == .int8 { throw fail("--precision", "int8 is for inference; training takes fp32 or bf16") }
        if precision == .bf16 && lora == nil {
            throw fail("--precision", "bf16 needs LoRA (a frozen base); full fine-tuning trains in fp32")
        }
        if let earlyStoppingPatience, earlyStoppingPatience < 1 {
            throw fail("--early-stopping-patience", "must be at least 1")
        }
        if !scale.isFinite || scale <= 0 { throw fail("--scale", "must be a positive finite number") }
        if let lora {
            if lora.r < 1 { throw fail("--lora-rank", "must be at least 1") }
            if lora.r > LoRAConfig.maximumRank { throw fail("--lora-rank", "must be at most \(LoRAConfig.maximumRank)") }
            if !(lora.loraAlpha.isFinite && lora.loraAlpha > 0) { throw fail("--lora-alpha", "must be a positive finite number") }
            if lora.targetModules.isEmpty || lora.targetModules.contains(where: \.isEmpty) {
                throw fail("--lora-targets", "must name at least one Linear module")
            }
            if !(0..<1).contains(lora.loraDropout) { throw fail("--lora-dropout", "must lie in [0, 1)") }
        }
        try optimizer.validate()
    }
}

/// Why a fine-tuning run stopped.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case nonFiniteLoss(step: Int, loss: Float, checkpoint: String?)
    /// A step's update made a trained weight NaN or infinite (a learning rate far too large).
    case nonFiniteWeights(step: Int, checkpoint: String?)
    case checkpoint(path: String, reason: String)
    case noTrainingPairs

    public var description: String {
        switch self {
        case .invalidConfiguration(let why): return why
        case .nonFiniteLoss(let step, let loss, let checkpoint):
            return "the loss became \(loss) at step \(step); stopped without applying that step"
                + (checkpoint.map { ". The last good checkpoint is intact in \($0)" } ?? "")
        case .nonFiniteWeights(let step, let checkpoint):
            return "step \(step) made a trained weight NaN or infinite (is the learning rate far too large?); stopped "
                + "without saving it" + (checkpoint.map { ". The last good checkpoint is intact in \($0)" } ?? "")
        case .checkpoint(let path, let reason): return "\(path): \(reason)"
        case .noTrainingPairs: return "no training pairs"
        }
    }
}
