import Foundation
import Testing
@testable import Tokenizer

/// Each stage on its own, with expectations taken from Hugging Face's documented behaviour.
@Suite struct StageTests {
    @Test func normalizerStripsAccentsAfterDecomposingAndLowercases() {
        let uncased = BertNormalizer()
        #expect(uncased.normalize("Crème Brûlée") == "creme brulee")
        #expect(uncased.normalize("cafe\u{301}") == "cafe")
        #expect(uncased.normalize("İ") == "i")
        #expect(uncased.normalize("한") == "\u{1112}\u{1161}\u{11AB}")  // NFD splits Hangul into jamo
        let lowercaseOnly = BertNormalizer(stripAccents: false, lowercase: true)
        #expect(lowercaseOnly.normalize("İ") == "i\u{307}")  // Rust's char::to_lowercase expands
        #expect(lowercaseOnly.normalize("Émile") == "émile")
        let cased = BertNormalizer(stripAccents: false, lowercase: false)
        #expect(cased.normalize("Émile") == "Émile")
    }

    @Test func normalizerReordersCombiningMarksBeforeStripping() {
        let keepMarks = BertNormalizer(stripAccents: true, lowercase: false)
        // U+0316 (class 220) sorts before U+0301 (class 230); both are Mn and are dropped.
        #expect(keepMarks.normalize("a\u{301}\u{316}b") == "ab")
    }

    @Test func normalizerCleansControlsAndWhitespaceAndSpacesOutCJK() {
        let n = BertNormalizer()
        #expect(n.normalize("a\u{0}b\u{FFFD}c\u{7}d\u{200B}e") == "abcde")
        #expect(n.normalize("a\tb\nc\u{3000}d\u{A0}e") == "a b c d e")
        #expect(n.normalize("a\u{0B}b\u{85}c") == "abc")  // Cc before whitespace: removed, not spaced
        #expect(n.normalize("中文ab") == " 中  文 ab")
        #expect(n.normalize("\u{2B820}") == "\u{2B820}")  // the gap Hugging Face's list leaves
    }

    @Test func preTokenizerIsolatesPunctuation() {
        let p = BertPreTokenizer()
        #expect(p.preTokenize("hello, world!") == ["hello", ",", "world", "!"])
        #expect(p.preTokenize("a$b^c`d") == ["a", "$", "b", "^", "c", "`", "d"])  // ASCII symbols count
        #expect(p.preTokenize("¿qué?—sí") == ["¿", "qué", "?", "—", "sí"])
        #expect(p.preTokenize("  many   spaces ") == ["many", "spaces"])
        #expect(p.preTokenize("€5 ©") == ["€5", "©"])  // currency and other symbols are not punctuation
    }

    static let vocabulary: [String: Int32] = [
        "[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "unaff": 4, "a": 5, "##a": 6, "é": 7, "##é": 8,
    ]

    @Test func wordPieceIsGreedyLongestMatchFirst() throws {
        let wp = try WordPiece(vocabulary: Self.vocabulary)
        #expect(wp.tokenize("unaffable") == [4, 3])
        #expect(wp.tokenize("unable") == [1, 3])
    }

    @Test func wordPieceFallsBackToUnknownForUncoverableAndLongWords() throws {
        let wp = try WordPiece(vocabulary: Self.vocabulary)
        #expect(wp.tokenize("unx") == [0])
        #expect(wp.tokenize(String(repeating: "a", count: 100)) == [5] + [Int32](repeating: 6, count: 99))
        #expect(wp.tokenize(String(repeating: "a", count: 101)) == [0])
        #expect(wp.tokenize("éé") == [7, 8])  // multi-byte pieces cut on character boundaries
    }

    @Test func wordPieceFromFileOrderedEntriesKeepsTheLastIdOfARepeatedToken() throws {
        let entries: [(token: String, id: Int32)] = [("[UNK]", 0), ("a", 1), ("##b", 2), ("a", 3), ("c", 4)]
        let wp = try WordPiece(
            entries: entries, unknownToken: "[UNK]", continuingSubwordPrefix: "##", maxInputCharsPerWord: 100, source: "t")
        let fromDictionary = try WordPiece(vocabulary: ["[UNK]": 0, "##b": 2, "a": 3, "c": 4])
        #expect(wp.tokenize("ab") == [3, 2])
        #expect(wp.tokenize("ab") == fromDictionary.tokenize("ab"))
        #expect(wp.token(for: 1) == nil)  // like the dictionary the file describes: id 1 names nothing
        #expect(wp.token(for: 3) == "a")
        #expect(wp.id(of: "c") == 4 && wp.id(of: "##b") == 2 && wp.id(of: "b") == nil)
        let distinct = try WordPiece(
            entries: [("[UNK]", 0), ("a", 1)], unknownToken: "[UNK]", continuingSubwordPrefix: "##",
            maxInputCharsPerWord: 100, source: "t")
        #expect(distinct.tokenize("a") == [1] && distinct.token(for: 1) == "a")
        #expect(throws: TokenizerError.missingUnknownToken(path: "t", token: "[UNK]")) {
            try WordPiece(entries: [("a", 0)], unknownToken: "[UNK]", continuingSubwordPrefix: "##", maxInputCharsPerWord: 100, source: "t")
        }
    }

    @Test func wordPieceWithoutUnknownTokenIsAnError() {
        #expect(throws: TokenizerError.missingUnknownToken(path: "vocab.txt", token: "[UNK]")) {
            try WordPiece(vocabulary: ["a": 0], source: "vocab.txt")
        }
    }

    @Test func pairTruncationIsLongestFirst() {
        // budget 7 (10 minus [CLS] [SEP] [SEP])
        #expect(BertPostProcessor.pairLengths(3, 20, maxLength: 10) == (3, 4))
        #expect(BertPostProcessor.pairLengths(20, 3, maxLength: 10) == (4, 3))
        #expect(BertPostProcessor.pairLengths(20, 20, maxLength: 10) == (3, 4))
        #expect(BertPostProcessor.pairLengths(7, 4, maxLength: 10) == (4, 3))
        #expect(BertPostProcessor.pairLengths(9, 0, maxLength: 10) == (7, 0))
        #expect(BertPostProcessor.pairLengths(2, 3, maxLength: 10) == (2, 3))
    }
}
