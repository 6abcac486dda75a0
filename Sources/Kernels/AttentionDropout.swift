import CSIMD
import Tensor

/// Dropout on the attention probabilities, HF `BertSelfAttention`'s `dropout(attention_probs)` in
/// training: P' = P · mask with mask 0 with probability p, else 1/(1-p).
///
/// No mask is stored: each (sequence, head) item draws its (L, L) mask, in row-major order, from its
/// own generator seeded by `seed` and the item's index, so `Attention.forward` and `.backward` draw
/// the same mask whichever thread runs the item. `.none` (p = 0) draws nothing.
public struct AttentionDropout: Sendable, Equatable {
    public var p: Float
    public var seed: UInt64

    public init(p: Float, seed: UInt64) {
        precondition(p >= 0 && p < 1, "AttentionDropout: p \(p) outside [0, 1)")
        self.p = p
        self.seed = seed
    }

    public static let none = AttentionDropout(p: 0, seed: 0)

    public var isActive: Bool { p > 0 }

    /// mask (count) of item `item`: 0 or 1/(1-p).
    public func mask(into mask: UnsafeMutablePointer<Float>, item: Int, count: Int) {
        let rng = SplitMix64(seed: seed ^ (UInt64(item) &+ 1) &* 0x9E37_79B9_7F4A_7C15)
        _ = embedtune_dropout_mask(rng.state, p, 1 / (1 - p), nil, nil, mask, count)
    }
}
