/// The added (special) tokens of a tokenizer — `[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, `[UNK]` — which
/// Hugging Face's `AddedVocabulary` (`tokenizers/src/tokenizer/added_vocabulary.rs`) cuts out of the raw
/// input before normalization: typing "[SEP]" in a text yields the [SEP] id, not "[", "sep", "]".
/// Matching is leftmost-longest. `lstrip`/`rstrip` only move offsets over whitespace, which BERT drops
/// anyway, so they do not change ids and are not modelled; `single_word` is honoured.
/// Tokens flagged `normalized: true` are matched against the raw text like the others (BERT checkpoints
/// mark their special tokens `normalized: false`).
public struct AddedTokens: Sendable {
    public struct Token: Sendable, Equatable {
        public var content: String
        public var id: Int32
        public var singleWord: Bool
        public init(content: String, id: Int32, singleWord: Bool = false) {
            self.content = content
            self.id = id
            self.singleWord = singleWord
        }
    }

    public let tokens: [Token]
    private let patterns: [(bytes: [UInt8], scalarCount: Int, id: Int32, singleWord: Bool)]
    /// (256) whether some token starts with this byte.
    private let startsWith: [Bool]

    public init(_ tokens: [Token]) {
        let kept = tokens.filter { !$0.content.isEmpty }
        self.tokens = kept
        patterns = kept.map { (Array($0.content.utf8), $0.content.unicodeScalars.count, $0.id, $0.singleWord) }
        var first = [Bool](repeating: false, count: 256)
        for p in patterns { first[Int(p.bytes[0])] = true }
        startsWith = first
    }

    public var isEmpty: Bool { patterns.isEmpty }

    @inline(__always)
    func mayStart(_ byte: UInt8) -> Bool { startsWith[Int(byte)] }

    /// The longest token matching `text` at byte `position`: (byte length, scalar length, id).
    /// `previous` is the scalar before `position` (0 at the start), for `single_word`.
    func match(_ text: UnsafeBufferPointer<UInt8>, at position: Int, previous: UInt32)
        -> (length: Int, scalarCount: Int, id: Int32)?
    {
        var best: (length: Int, scalarCount: Int, id: Int32)? = nil
        for p in patterns where p.bytes.count <= text.count - position && p.bytes.count > (best?.length ?? 0) {
            var equal = true
            for k in 0..<p.bytes.count where text[position + k] != p.bytes[k] {
                equal = false
                break
            }
            guard equal else { continue }
            if p.singleWord {
                let end = position + p.bytes.count
                let next: UInt32 = end < text.count ? UTF8Scalars.decode(text, at: end).scalar : 0
                if Self.isWordCharacter(previous) || Self.isWordCharacter(next) { continue }
            }
            best = (p.bytes.count, p.scalarCount, p.id)
        }
        return best
    }

    /// Letters, digits and "_" (what `single_word` refuses to cut inside).
    private static func isWordCharacter(_ c: UInt32) -> Bool {
        if c == 0 { return false }
        if c == 0x5F { return true }
        let cat = UnicodeProperties.category(c)
        return (cat >= 1 && cat <= 5) || (cat >= 9 && cat <= 11)  // L* and N*
    }
}

/// Decoding and encoding of UTF-8 for the hot loop. Input comes from a Swift `String`, so it is valid.
enum UTF8Scalars {
    @inline(__always)
    static func decode(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: UInt32, length: Int) {
        let b0 = UInt32(text[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(text[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(text[i + 1] & 0x3F) << 6 | UInt32(text[i + 2] & 0x3F), 3)
        }
        return (
            (b0 & 0x07) << 18 | UInt32(text[i + 1] & 0x3F) << 12 | UInt32(text[i + 2] & 0x3F) << 6
                | UInt32(text[i + 3] & 0x3F), 4
        )
    }

    /// The scalar that ends just before byte `i` (0 when `i == 0`).
    static func scalar(before i: Int, in text: UnsafeBufferPointer<UInt8>) -> UInt32 {
        if i == 0 { return 0 }
        var start = i - 1
        while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
        return decode(text, at: start).scalar
    }
}
