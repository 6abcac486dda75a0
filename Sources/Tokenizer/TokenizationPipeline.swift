/// Normalizer → pre-tokenizer → WordPiece over one text, streaming: the input's UTF-8 is read once, each
/// normalized scalar goes straight into the current word, and each finished word is looked up in the
/// vocabulary. ASCII bytes take a table-driven fast path built from the same normalizer and pre-tokenizer
/// rules, so both paths agree by construction.
///
/// Post-processing ([CLS]/[SEP], truncation) is `BertTokenizer`'s; this produces the content tokens only,
/// stopping once `limit` tokens exist (the rest would be truncated away).
struct TokenizationPipeline: Sendable {
    let normalizer: BertNormalizer
    let wordPiece: WordPiece
    let addedTokens: AddedTokens
    /// (128) what an ASCII byte does: 0 dropped, 1 whitespace, 2 punctuation, 3 word character.
    private let asciiClass: [UInt8]
    /// (128) the normalized byte of an ASCII byte of class 2 or 3.
    private let asciiMap: [UInt8]

    init(normalizer: BertNormalizer, wordPiece: WordPiece, addedTokens: AddedTokens) {
        self.normalizer = normalizer
        self.wordPiece = wordPiece
        self.addedTokens = addedTokens
        var classes = [UInt8](repeating: 0, count: 128)
        var map = [UInt8](repeating: 0, count: 128)
        for byte in 0..<128 {
            var pending = BertNormalizer.Pending()
            var out: [UInt32] = []
            normalizer.normalize(UInt32(byte), origin: 0, pending: &pending) { c, _ in out.append(c) }
            normalizer.finish(pending: &pending) { c, _ in out.append(c) }
            // ASCII normalizes to at most one ASCII scalar.
            guard let c = out.first, out.count == 1, c < 0x80 else { continue }
            switch BertPreTokenizer.classify(c) {
            case .whitespace: classes[byte] = 1
            case .punctuation: classes[byte] = 2
            case .wordCharacter: classes[byte] = 3
            }
            map[byte] = UInt8(c)
        }
        asciiClass = classes
        asciiMap = map
    }

    /// The word being assembled: its UTF-8 bytes and, per byte, the input scalar index it came from.
    /// Bytes beyond `maxInputCharsPerWord` characters are not kept (such a word is [UNK] anyway).
    private struct Word {
        var bytes: [UInt8] = []  // (L)
        var origins: [Int32] = []  // (L)
        var charCount = 0
        var firstOrigin: Int32 = 0
        var lastOrigin: Int32 = 0
    }

    /// Appends the content tokens of `text` to `ids` (and their scalar ranges to `offsets` when given),
    /// at most `limit` of them.
    func tokenize(_ text: String, limit: Int, ids: inout [Int32], offsets: inout [Range<Int>]?) {
        var text = text
        text.withUTF8 { utf8 in
            tokenize(utf8: utf8, limit: limit, ids: &ids, offsets: &offsets)
        }
    }

    private func tokenize(utf8 text: UnsafeBufferPointer<UInt8>, limit: Int, ids: inout [Int32], offsets: inout [Range<Int>]?) {
        let startCount = ids.count
        let maxChars = wordPiece.maxInputCharsPerWord
        var word = Word()
        word.bytes.reserveCapacity(64)
        word.origins.reserveCapacity(64)
        var scratch = wordPiece.makeScratch()
        var pending = BertNormalizer.Pending()
        var full = false

        func emitWord() {
            guard word.charCount > 0 else { return }
            let kept = word.bytes.count
            word.bytes.append(0)  // keeps the base address valid for an empty slice
            word.bytes.withUnsafeBufferPointer { buffer in
                wordPiece.tokenize(
                    buffer.baseAddress.unsafelyUnwrapped, length: kept, charCount: word.charCount, scratch: &scratch)
            }
            for piece in scratch.pieces {
                if ids.count - startCount >= limit {
                    full = true
                    break
                }
                ids.append(piece.id)
                if offsets != nil {
                    let unknownWord = word.charCount > maxChars || (piece.start == 0 && Int(piece.end) == kept && piece.id == wordPiece.unknownId)
                    let lower = unknownWord ? word.firstOrigin : word.origins[Int(piece.start)]
                    let upper = unknownWord ? word.lastOrigin : word.origins[Int(piece.end) - 1]
                    offsets?.append(Int(lower)..<Int(upper) + 1)
                }
            }
            if ids.count - startCount >= limit { full = true }
            word.bytes.removeAll(keepingCapacity: true)
            word.origins.removeAll(keepingCapacity: true)
            word.charCount = 0
        }

        @inline(__always)
        func appendByte(_ byte: UInt8, origin: Int32) {
            if word.charCount == 0 { word.firstOrigin = origin }
            word.lastOrigin = origin
            word.charCount += 1
            if word.charCount <= maxChars {
                word.bytes.append(byte)
                word.origins.append(origin)
            }
        }

        func appendScalar(_ c: UInt32, origin: Int32) {
            if c < 0x80 {
                appendByte(UInt8(c), origin: origin)
                return
            }
            if word.charCount == 0 { word.firstOrigin = origin }
            word.lastOrigin = origin
            word.charCount += 1
            guard word.charCount <= maxChars else { return }
            if c < 0x800 {
                word.bytes.append(UInt8(0xC0 | (c >> 6)))
                word.bytes.append(UInt8(0x80 | (c & 0x3F)))
                word.origins.append(origin)
                word.origins.append(origin)
            } else if c < 0x10000 {
                word.bytes.append(UInt8(0xE0 | (c >> 12)))
                word.bytes.append(UInt8(0x80 | ((c >> 6) & 0x3F)))
                word.bytes.append(UInt8(0x80 | (c & 0x3F)))
                for _ in 0..<3 { word.origins.append(origin) }
            } else {
                word.bytes.append(UInt8(0xF0 | (c >> 18)))
                word.bytes.append(UInt8(0x80 | ((c >> 12) & 0x3F)))
                word.bytes.append(UInt8(0x80 | ((c >> 6) & 0x3F)))
                word.bytes.append(UInt8(0x80 | (c & 0x3F)))
                for _ in 0..<4 { word.origins.append(origin) }
            }
        }

        // The pre-tokenizer, fed with normalized scalars.
        func feed(_ c: UInt32, _ origin: Int32) {
            switch BertPreTokenizer.classify(c) {
            case .whitespace:
                emitWord()
            case .punctuation:
                emitWord()
                appendScalar(c, origin: origin)
                emitWord()
            case .wordCharacter:
                appendScalar(c, origin: origin)
            }
        }

        let checkAdded = !addedTokens.isEmpty
        var i = 0
        var scalarIndex: Int32 = 0
        asciiClass.withUnsafeBufferPointer { asciiClass in
            asciiMap.withUnsafeBufferPointer { asciiMap in
                while i < text.count && !full {
                    let byte = text[i]
                    if checkAdded && addedTokens.mayStart(byte),
                        let m = addedTokens.match(text, at: i, previous: UTF8Scalars.scalar(before: i, in: text))
                    {
                        normalizer.finish(pending: &pending, emit: feed)
                        emitWord()
                        if ids.count - startCount < limit {
                            ids.append(m.id)
                            offsets?.append(Int(scalarIndex)..<Int(scalarIndex) + m.scalarCount)
                        } else {
                            full = true
                        }
                        i += m.length
                        scalarIndex += Int32(m.scalarCount)
                        continue
                    }
                    if byte < 0x80 {
                        if !pending.marks.isEmpty { normalizer.finish(pending: &pending, emit: feed) }
                        switch asciiClass[Int(byte)] {
                        case 3:
                            appendByte(asciiMap[Int(byte)], origin: scalarIndex)
                        case 1:
                            emitWord()
                        case 2:
                            emitWord()
                            appendByte(asciiMap[Int(byte)], origin: scalarIndex)
                            emitWord()
                        default:
                            break
                        }
                        i += 1
                    } else {
                        let (c, length) = UTF8Scalars.decode(text, at: i)
                        normalizer.normalize(c, origin: scalarIndex, pending: &pending, emit: feed)
                        i += length
                    }
                    scalarIndex += 1
                }
            }
        }
        if !full {
            normalizer.finish(pending: &pending, emit: feed)
            emitWord()
        }
    }
}
