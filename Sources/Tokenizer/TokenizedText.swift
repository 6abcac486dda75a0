/// One encoded text (or pair): what Hugging Face's `Encoding` holds that the encoder needs.
public struct TokenizedText: Sendable, Equatable {
    /// (T) token ids, [CLS] first and [SEP] last.
    public var ids: [Int32]
    /// (T) 0 for [CLS], the first sequence and its [SEP]; 1 for the second sequence and its [SEP].
    public var typeIds: [Int32]
    /// (T) token texts.
    public var tokens: [String]
    /// (T) Unicode scalar offsets into the input (each sequence into its own text); [CLS]/[SEP] get 0..<0.
    public var offsets: [Range<Int>]

    public init(ids: [Int32], typeIds: [Int32], tokens: [String], offsets: [Range<Int>]) {
        self.ids = ids
        self.typeIds = typeIds
        self.tokens = tokens
        self.offsets = offsets
    }
}

/// A batch of texts padded to its longest member, row-major.
public struct TokenizedBatch: Sendable {
    /// (B, T) token ids, padded with the tokenizer's `padId`.
    public var ids: [Int32]
    /// (B, T) token type ids (all 0 for single texts, 0 in the padding).
    public var typeIds: [Int32]
    /// (B, T) 1 for real tokens, 0 for padding.
    public var attentionMask: [Int32]
    /// (B) real length of each row, special tokens included.
    public var lengths: [Int]
    public var batchSize: Int
    public var sequenceLength: Int

    public init(ids: [Int32], typeIds: [Int32], attentionMask: [Int32], lengths: [Int], batchSize: Int, sequenceLength: Int) {
        precondition(ids.count == batchSize * sequenceLength && typeIds.count == ids.count
            && attentionMask.count == ids.count && lengths.count == batchSize, "TokenizedBatch: inconsistent shapes")
        self.ids = ids
        self.typeIds = typeIds
        self.attentionMask = attentionMask
        self.lengths = lengths
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
    }
}
