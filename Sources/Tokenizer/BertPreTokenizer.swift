/// Hugging Face's `BertPreTokenizer` (`tokenizers/src/pre_tokenizers/bert.rs`): split the normalized text
/// on whitespace (removing it) and isolate every punctuation character (ASCII punctuation or a Unicode P*
/// category) as a word of its own.
public struct BertPreTokenizer: Sendable, Equatable {
    public init() {}

    /// What a normalized scalar does to the current word.
    enum ScalarClass: UInt8 {
        /// Ends the current word and is dropped.
        case whitespace
        /// Ends the current word and forms a one-character word.
        case punctuation
        /// Extends the current word.
        case wordCharacter
    }

    @inline(__always)
    static func classify(_ c: UInt32) -> ScalarClass {
        if UnicodeProperties.isWhitespace(c) { return .whitespace }
        if UnicodeProperties.isPunctuation(c) { return .punctuation }
        return .wordCharacter
    }

    /// The words of an already normalized `text` (for tests and inspection).
    public func preTokenize(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch Self.classify(scalar.value) {
            case .whitespace:
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            case .punctuation:
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
                words.append(String(scalar))
            case .wordCharacter:
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }
}
