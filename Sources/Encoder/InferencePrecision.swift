import Kernels

/// The number format of the frozen encoder's matrix products (`FrozenLinear`); everything else —
/// embeddings, attention (its softmax and products), LayerNorm, GELU, pooling — stays float32 at
/// every precision. A store records it in the model fingerprint, so vectors of two precisions never
/// mix (`ModelFingerprint.precision`).
public enum InferencePrecision: String, CaseIterable, Sendable, Codable {
    /// float32 everywhere (`PackedLinear` / OpenBLAS): sentence-transformers' embeddings to ~1e-6.
    case fp32
    /// The Linears in bfloat16 with float32 sums (`BF16Linear`).
    case bf16
    /// The Linears in int8 with int32 sums (`Int8Linear`: weight-derived smoothing of the input
    /// channels, each token's 4 largest inputs added back in float32).
    case int8

    /// The format `linear` runs in: every Linear takes the precision. Measured on all-MiniLM-L6-v2
    /// against sentence-transformers' float32 embeddings of the 329 fixture texts
    /// (`ReducedPrecisionParityTests`), speed as `embed` sentences/s on ../shared/bench/corpus.txt at
    /// 1 thread (AMD EPYC Zen 4, quiet), SciFact test nDCG@10 against float32's 0.6451:
    ///
    ///     int8 variant                                  min cosine  mean cosine  sent/s  SciFact
    ///     all six plain int8 (per-row scales)           0.99348     0.99863      ~330
    ///     value + output.dense in bf16                  0.99801     0.99958      269     +0.0044
    ///     all six, smoothing + 4 outliers per row       0.99921     0.99972      248     +0.0022   <- int8
    ///
    /// The hidden states carry an outlier channel (62: about 7 where the rest stay below 1.5) that set
    /// every token's step for query, key, value and the up-projection; the FFN down-projection's error
    /// came from its weights (columns of large weights set each output channel's scale), which the
    /// smoothing moves to the activations. The outliers' float32 correction and the smoothing cost
    /// the speed the two bf16 products cost before; the accuracy is four times closer to float32.
    public func format(of linear: BertLinear) -> InferencePrecision {
        self
    }

    /// A frozen product of `weights` in this format, or nil for fp32 (`FrozenLinear` keeps its
    /// float32 paths).
    func product(of weights: LinearParameters) -> (any FrozenProduct)? {
        switch self {
        case .fp32:
            nil
        case .bf16:
            BF16Linear(
                weight: weights.weight, bias: weights.bias, inFeatures: weights.inFeatures,
                outFeatures: weights.outFeatures)
        case .int8:
            Int8Linear(
                weight: weights.weight, bias: weights.bias, inFeatures: weights.inFeatures,
                outFeatures: weights.outFeatures)
        }
    }
}
