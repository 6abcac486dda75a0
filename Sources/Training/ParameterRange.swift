/// A contiguous slice of a flat parameter buffer and whether weight decay applies to it — the flat
/// equivalent of PyTorch parameter groups with and without `weight_decay`.
public struct ParameterRange: Sendable, Codable, Equatable {
    public var offset: Int
    public var count: Int
    public var weightDecay: Bool

    public init(offset: Int, count: Int, weightDecay: Bool) {
        precondition(offset >= 0 && count >= 0, "invalid range at \(offset) of \(count)")
        self.offset = offset
        self.count = count
        self.weightDecay = weightDecay
    }

    public var range: Range<Int> { offset..<(offset + count) }

    /// One range over the whole buffer, decayed.
    public static func all(_ count: Int) -> [ParameterRange] { [ParameterRange(offset: 0, count: count, weightDecay: true)] }

    /// Ranges of named tensors with the decay decided by `decays(name)`, e.g. `huggingFaceDecays`.
    public static func named(
        _ entries: [(name: String, offset: Int, count: Int)], decays: (String) -> Bool = huggingFaceDecays
    ) -> [ParameterRange] {
        entries.map { ParameterRange(offset: $0.offset, count: $0.count, weightDecay: decays($0.name)) }
    }

    /// The rule of transformers' `Trainer.get_decay_parameter_names` (trainer.py): no weight decay for
    /// a parameter whose lowercased name matches `bias`, `layernorm`, `rmsnorm`, `(^|\.)norm($|\.)` or
    /// `_norm($|\.)` (it also exempts every parameter of an `nn.LayerNorm` module, which in BERT's
    /// naming are all called `...LayerNorm.weight` / `...LayerNorm.bias`). So in a BERT every
    /// `*.bias` and `*.LayerNorm.weight` is exempt, and LoRA `lora_A` / `lora_B` weights decay.
    ///
    /// sentence-transformers' trainer inherits this rule; a plain `torch.optim.AdamW(params)` (as in
    /// ../shared/bench/finetune_st.py) decays everything.
    public static func huggingFaceDecays(_ name: String) -> Bool {
        let lower = name.lowercased()
        if lower.contains("bias") || lower.contains("layernorm") || lower.contains("rmsnorm") { return false }
        for component in lower.split(separator: ".", omittingEmptySubsequences: false) {
            if component == "norm" || component.hasSuffix("_norm") { return false }
        }
        return true
    }

    /// Checks that `ranges` tile 0..<count in order without gaps or overlaps.
    static func validate(_ ranges: [ParameterRange], count: Int) {
        var next = 0
        for r in ranges {
            precondition(r.offset == next, "parameter ranges must tile the buffer in order: expected offset \(next), found \(r.offset)")
            next += r.count
        }
        precondition(next == count, "parameter ranges cover \(next) of \(count) values")
    }
}
