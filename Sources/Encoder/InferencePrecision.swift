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
    /// The Linears in int8 with int32 sums (`Int8Linear`), except two kept in bf16 (see `format(of:)`).
    case int8

    /// The format `linear` runs in. int8 keeps the attention's value projection and the FFN
    /// down-projection (`output.dense`) in bf16, chosen by measurement on all-MiniLM-L6-v2 against
    /// sentence-transformers' float32 embeddings of the 329 fixture texts (`ReducedPrecisionParityTests`),
    /// speed as `embed` sentences/s on ../shared/bench/corpus.txt at 1 thread relative to fp32 (AMD EPYC
    /// Zen 4, busy):
    ///
    ///     in bf16                 min cosine  mean cosine  speed
    ///     none (all six int8)     0.99348     0.99863      2.72x
    ///     output.dense            0.99477     0.99896
    ///     attention.self.value    0.99551     0.99921      2.42x
    ///     value + output.dense    0.99801     0.99958      2.13x   <- int8
    ///     all six (bf16)          0.99997     0.99999      1.64x
    ///
    /// The value projection's error enters the context linearly (no softmax in between to damp it), and
    /// the down-projection's input, GELU of the up-projection, has a few outlier channels per token that
    /// set its scale and leave the rest of the row few levels; query, key, the attention output and the
    /// up-projection lose little. Value alone in bf16 meets the targets (minimum 0.995, mean 0.999) by
    /// 0.0005; with the down-projection too the margin is four times that, for 12% of the speed.
    public func format(of linear: BertLinear) -> InferencePrecision {
        self == .int8 && (linear == .value || linear == .output) ? .bf16 : self
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
