import Tensor

/// What a training forward adds to the frozen one: a LoRA adapter, dropout, and the generator that
/// draws the dropout masks. The inference path (`BertModel.encode`) takes none of it.
public struct TrainingOptions: @unchecked Sendable {
    public var adapter: LoRAAdapter?
    /// Dropout after the embeddings and after each attention-output and output dense (the config's
    /// hidden_dropout_prob in training).
    public var hiddenDropout: Float
    /// Dropout on the attention probabilities (the config's attention_probs_dropout_prob in training).
    public var attentionDropout: Float
    public var rng: SplitMix64

    public init(adapter: LoRAAdapter?, hiddenDropout: Float, attentionDropout: Float = 0, seed: UInt64) {
        self.adapter = adapter
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        self.rng = SplitMix64(seed: seed)
    }

    var loraDropout: Float { adapter?.config.loraDropout ?? 0 }
}
