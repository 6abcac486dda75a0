/// Hugging Face's WordPiece model (`tokenizers/src/models/wordpiece/mod.rs`): greedy longest-match-first
/// over one pre-tokenized word, pieces after the first carrying `continuingSubwordPrefix` ("##"); a word
/// longer than `maxInputCharsPerWord` characters, or one that cannot be covered by vocabulary pieces,
/// becomes the single unknown token.
public struct WordPiece: Sendable {
    public let unknownToken: String
    public let unknownId: Int32
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int
    /// Every vocabulary entry, for the first piece of a word.
    let wordStarts: ByteKeyTable
    /// Entries that begin with the prefix, stored without it, for the following pieces.
    let continuations: ByteKeyTable
    /// Token text by id (`nil` where the vocabulary skips an id).
    let tokens: [String?]

    /// `source` names the file the vocabulary came from, for the error.
    /// - Throws: `TokenizerError.missingUnknownToken` when `unknownToken` is not in `vocabulary`.
    public init(
        vocabulary: [String: Int32], unknownToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
        maxInputCharsPerWord: Int = 100, source: String = "vocabulary"
    ) throws {
        try self.init(
            distinctEntries: vocabulary.sorted(by: { $0.value < $1.value }).map { ($0.key, $0.value) },
            unknownToken: unknownToken, continuingSubwordPrefix: continuingSubwordPrefix,
            maxInputCharsPerWord: maxInputCharsPerWord, source: source)
    }

    /// A vocabulary given as (token, id) entries in file order, as tokenizer.json lists them. A token
    /// listed twice keeps its last id, as `init(vocabulary:)` of the dictionary the file describes.
    init(
        entries: [(token: String, id: Int32)], unknownToken: String, continuingSubwordPrefix: String,
        maxInputCharsPerWord: Int, source: String
    ) throws {
        try self.init(
            distinctEntries: entries, unknownToken: unknownToken, continuingSubwordPrefix: continuingSubwordPrefix,
            maxInputCharsPerWord: maxInputCharsPerWord, source: source)
        if wordStarts.count < entries.count {  // a repeated token: rebuild from the dictionary it describes
            var vocabulary = [String: Int32](minimumCapacity: entries.count)
            for (token, id) in entries { vocabulary[token] = id }
            try self.init(
                vocabulary: vocabulary, unknownToken: unknownToken, continuingSubwordPrefix: continuingSubwordPrefix,
                maxInputCharsPerWord: maxInputCharsPerWord, source: source)
        }
    }

    /// `entries` are expected distinct; a repeated token keeps its later id in the lookup tables, but its
    /// earlier id also keeps the text (`init(entries:)` rebuilds without repeats).
    private init(
        distinctEntries entries: [(token: String, id: Int32)], unknownToken: String, continuingSubwordPrefix: String,
        maxInputCharsPerWord: Int, source: String
    ) throws {
        self.unknownToken = unknownToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        let prefix = Array(continuingSubwordPrefix.utf8)
        var all: [(key: [UInt8], id: Int32)] = []
        var continued: [(key: [UInt8], id: Int32)] = []
        all.reserveCapacity(entries.count)
        var maxId: Int32 = -1
        for (token, id) in entries {
            let bytes = Array(token.utf8)
            all.append((bytes, id))
            if bytes.starts(with: prefix) { continued.append((Array(bytes[prefix.count...]), id)) }
            maxId = max(maxId, id)
        }
        wordStarts = ByteKeyTable(all)
        continuations = ByteKeyTable(continued)
        let unk = wordStarts.find(Array(unknownToken.utf8))
        guard unk >= 0 else { throw TokenizerError.missingUnknownToken(path: source, token: unknownToken) }
        unknownId = unk
        var byId = [String?](repeating: nil, count: Int(maxId) + 1)
        for (token, id) in entries where id >= 0 { byId[Int(id)] = token }
        tokens = byId
    }

    /// The id of a whole vocabulary token, or nil.
    func id(of token: String) -> Int32? {
        let id = wordStarts.find(Array(token.utf8))
        return id >= 0 ? id : nil
    }

    /// Scratch space for `tokenize`, sized for this vocabulary: one per encode call, never shared.
    struct Scratch {
        /// (maxKeyLength + 1): FNV-1a hash of every prefix of the rest of the word.
        var prefixHashes: [UInt64]
        /// (maxInputCharsPerWord) pieces found so far: id, start byte, end byte.
        var pieces: [(id: Int32, start: Int32, end: Int32)]
    }

    func makeScratch() -> Scratch {
        let longest = max(wordStarts.maxKeyLength, continuations.maxKeyLength)
        var pieces: [(id: Int32, start: Int32, end: Int32)] = []
        pieces.reserveCapacity(maxInputCharsPerWord + 1)
        return Scratch(prefixHashes: [UInt64](repeating: 0, count: longest + 1), pieces: pieces)
    }

    /// Splits `word[0..<length]` (UTF-8 of `charCount` characters) into pieces and returns them in
    /// `scratch.pieces` as (id, start byte, end byte); an unknown word gives one piece spanning it all.
    @inline(__always)
    func tokenize(_ word: UnsafePointer<UInt8>, length: Int, charCount: Int, scratch: inout Scratch) {
        scratch.pieces.removeAll(keepingCapacity: true)
        if charCount > maxInputCharsPerWord {
            scratch.pieces.append((unknownId, 0, Int32(length)))
            return
        }
        scratch.prefixHashes.withUnsafeMutableBufferPointer { hashes in
            var start = 0
            while start < length {
                let table = start == 0 ? wordStarts : continuations
                let limit = min(length, start + table.maxKeyLength)
                var h = ByteKeyTable.offsetBasis
                var k = start
                while k < limit {
                    h = ByteKeyTable.extend(h, word[k])
                    hashes[k - start + 1] = h
                    k += 1
                }
                var end = limit
                var found: Int32 = -1
                while end > start {
                    // Only cut on a character boundary (not before a UTF-8 continuation byte).
                    if end == length || word[end] & 0xC0 != 0x80 {
                        found = table.find(word + start, length: end - start, hash: hashes[end - start])
                        if found >= 0 { break }
                    }
                    end -= 1
                }
                if found < 0 {
                    scratch.pieces.removeAll(keepingCapacity: true)
                    scratch.pieces.append((unknownId, 0, Int32(length)))
                    return
                }
                scratch.pieces.append((found, Int32(start), Int32(end)))
                start = end
            }
        }
    }

    /// The token ids of one word (for tests and inspection).
    public func tokenize(_ word: String) -> [Int32] {
        var scratch = makeScratch()
        var bytes = Array(word.utf8)
        let count = word.unicodeScalars.count
        bytes.append(0)
        bytes.withUnsafeBufferPointer { buffer in
            tokenize(buffer.baseAddress.unsafelyUnwrapped, length: buffer.count - 1, charCount: count, scratch: &scratch)
        }
        return scratch.pieces.map(\.id)
    }

    /// The token text of `id`, or nil when the vocabulary has no such id.
    public func token(for id: Int32) -> String? {
        guard id >= 0 && Int(id) < tokens.count else { return nil }
        return tokens[Int(id)]
    }

    /// The id of `token` as a whole vocabulary entry, or nil.
    public func id(for token: String) -> Int32? {
        let id = wordStarts.find(Array(token.utf8))
        return id >= 0 ? id : nil
    }

    public var vocabularySize: Int { tokens.count }
}
