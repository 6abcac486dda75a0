/// The six `nn.Linear`s of a transformers `BertLayer`, named by their module paths under
/// `encoder.layer.{i}` (modeling_bert.py). LoRA targets (peft `target_modules`) match these names.
public enum BertLinear: String, CaseIterable, Sendable {
    case query = "attention.self.query"
    case key = "attention.self.key"
    case value = "attention.self.value"
    case attentionOutput = "attention.output.dense"
    case intermediate = "intermediate.dense"
    case output = "output.dense"

    /// The Hugging Face module path under `encoder.layer.{i}`.
    public var moduleName: String { rawValue }

    /// Input channels: the hidden size C, or the intermediate size I for `output`.
    public func inFeatures(hidden c: Int, intermediate i: Int) -> Int { self == .output ? i : c }

    /// Output channels: the hidden size C, or the intermediate size I for `intermediate`.
    public func outFeatures(hidden c: Int, intermediate i: Int) -> Int { self == .intermediate ? i : c }
}
