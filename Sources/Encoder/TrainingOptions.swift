import Tensor

/// What a training pass adds to the frozen forward: a LoRA adapter, dropout, and the generator that
/// draws the dropout masks. Inference uses `.inference` (no adapter, no dropout).
public struct TrainingOptions: @unchecked Sendable {
    public var adapter: LoRAAdapter?
    /// Dropout after the embeddings and after each attention-output and output dense (the config's
    /// hidden_dropout_prob in training). Attention-probability dropout is not applied.
    public var hiddenDropout: Float
    public var rng: SplitMix64

    public init(adapter: LoRAAdapter?, hiddenDropout: Float, seed: UInt64) {
        self.adapter = adapter
        self.hiddenDropout = hiddenDropout
        self.rng = SplitMix64(seed: seed)
    }

    public static var inference: TrainingOptions { TrainingOptions(adapter: nil, hiddenDropout: 0, seed: 0) }

    var loraDropout: Float { adapter?.config.loraDropout ?? 0 }
}
