import Foundation

/// A BERT WordPiece tokenizer giving the same ids as Hugging Face `tokenizers` (and so as
/// sentence-transformers): added-token split → `BertNormalizer` → `BertPreTokenizer` → `WordPiece` →
/// `BertPostProcessor`. Immutable after loading, so one instance serves concurrent `encode` calls.
///
/// Texts are Swift `String`s and so valid Unicode; callers reading bytes decide what to do with invalid
/// UTF-8 (the CLI replaces it, see `TokenizeCommand`).
public final class BertTokenizer: Sendable {
    let pipeline: TokenizationPipeline
    public let postProcessor: BertPostProcessor
    /// Default truncation length, special tokens included.
    public let maxLength: Int
    public let padId: Int32

    init(pipeline: TokenizationPipeline, postProcessor: BertPostProcessor, padId: Int32, maxLength: Int) {
        self.pipeline = pipeline
        self.postProcessor = postProcessor
        self.padId = padId
        self.maxLength = maxLength
    }

    /// Builds a tokenizer from its stages; `addedTokens` are cut out of the raw text before normalizing.
    public convenience init(
        normalizer: BertNormalizer, wordPiece: WordPiece, addedTokens: AddedTokens,
        postProcessor: BertPostProcessor, padId: Int32, maxLength: Int
    ) {
        self.init(
            pipeline: TokenizationPipeline(normalizer: normalizer, wordPiece: wordPiece, addedTokens: addedTokens),
            postProcessor: postProcessor, padId: padId, maxLength: maxLength)
    }

    /// The same tokenizer truncating at `n` tokens (special tokens included) by default.
    public func withMaxLength(_ n: Int) -> BertTokenizer {
        BertTokenizer(pipeline: pipeline, postProcessor: postProcessor, padId: padId, maxLength: n)
    }

    public var normalizer: BertNormalizer { pipeline.normalizer }
    public var wordPiece: WordPiece { pipeline.wordPiece }
    public var addedTokens: AddedTokens { pipeline.addedTokens }
    public var vocabSize: Int { pipeline.wordPiece.vocabularySize }
    public var clsId: Int32 { postProcessor.clsId }
    public var sepId: Int32 { postProcessor.sepId }
    public var unkId: Int32 { pipeline.wordPiece.unknownId }

    public func token(for id: Int32) -> String? { pipeline.wordPiece.token(for: id) }

    /// The truncation length of one call. A length too short for the special tokens leaves no room for
    /// text but is not an error: the special tokens are always written (callers validate user input).
    private func resolvedLength(_ maxLength: Int?) -> Int {
        max(0, maxLength ?? self.maxLength)
    }

    /// `[CLS] text [SEP]`, truncated to `maxLength` (default `self.maxLength`) tokens.
    public func encode(_ text: String, maxLength: Int? = nil) -> TokenizedText {
        let limit = max(0, resolvedLength(maxLength) - BertPostProcessor.addedForSingle)
        var ids: [Int32] = [clsId]
        var offsets: [Range<Int>]? = [0..<0]
        pipeline.tokenize(text, limit: limit, ids: &ids, offsets: &offsets)
        ids.append(sepId)
        offsets?.append(0..<0)
        return TokenizedText(
            ids: ids, typeIds: [Int32](repeating: 0, count: ids.count), tokens: ids.map { token(for: $0) ?? "" },
            offsets: offsets ?? [])
    }

    /// `[CLS] a [SEP] b [SEP]` with type ids 0 then 1, truncated longest-first to `maxLength` tokens.
    public func encode(_ a: String, pair b: String, maxLength: Int? = nil) -> TokenizedText {
        let n = resolvedLength(maxLength)
        var idsA: [Int32] = []
        var idsB: [Int32] = []
        var offsetsA: [Range<Int>]? = []
        var offsetsB: [Range<Int>]? = []
        pipeline.tokenize(a, limit: .max, ids: &idsA, offsets: &offsetsA)
        pipeline.tokenize(b, limit: .max, ids: &idsB, offsets: &offsetsB)
        let (keepA, keepB) = BertPostProcessor.pairLengths(idsA.count, idsB.count, maxLength: n)
        let ids = [clsId] + idsA.prefix(keepA) + [sepId] + idsB.prefix(keepB) + [sepId]
        let typeIds = [Int32](repeating: 0, count: keepA + 2) + [Int32](repeating: 1, count: keepB + 1)
        let offsets = [0..<0] + (offsetsA ?? []).prefix(keepA) + [0..<0] + (offsetsB ?? []).prefix(keepB) + [0..<0]
        return TokenizedText(ids: ids, typeIds: typeIds, tokens: ids.map { token(for: $0) ?? "" }, offsets: offsets)
    }

    /// The ids of `encode(text, maxLength:)` without building token strings or offsets.
    public func encodeIDs(_ text: String, maxLength: Int? = nil) -> [Int32] {
        var ids: [Int32] = []
        encodeIDs(text, maxLength: maxLength, appendingTo: &ids)
        return ids
    }

    /// Appends the ids of `encode(text, maxLength:)` to `ids` (reuse one array across many texts).
    public func encodeIDs(_ text: String, maxLength: Int? = nil, appendingTo ids: inout [Int32]) {
        let limit = max(0, resolvedLength(maxLength) - BertPostProcessor.addedForSingle)
        var noOffsets: [Range<Int>]? = nil
        ids.append(clsId)
        pipeline.tokenize(text, limit: limit, ids: &ids, offsets: &noOffsets)
        ids.append(sepId)
    }

    /// Single texts encoded and padded with `padId` to the longest one.
    public func batch(_ texts: [String], maxLength: Int? = nil) -> TokenizedBatch {
        let rows = texts.map { encodeIDs($0, maxLength: maxLength) }
        let t = rows.map(\.count).max() ?? 0
        var ids = [Int32](repeating: padId, count: rows.count * t)  // (B, T)
        var mask = [Int32](repeating: 0, count: rows.count * t)  // (B, T)
        for (b, row) in rows.enumerated() {
            for (j, id) in row.enumerated() {
                ids[b * t + j] = id
                mask[b * t + j] = 1
            }
        }
        return TokenizedBatch(
            ids: ids, typeIds: [Int32](repeating: 0, count: rows.count * t), attentionMask: mask,
            lengths: rows.map(\.count), batchSize: rows.count, sequenceLength: t)
    }
}
