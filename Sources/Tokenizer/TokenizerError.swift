import Foundation

/// Why a tokenizer could not be loaded. Every case names the file (and where possible the field or line)
/// at fault, so the CLI can print it as is.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read at all.
    case unreadableFile(path: String, reason: String)
    /// The file is not valid JSON, or a field has the wrong type.
    case malformedFile(path: String, reason: String)
    /// A required field is absent.
    case missingField(path: String, field: String)
    /// A field names a component this tokenizer does not implement (for example a non-BERT normalizer).
    case unsupported(path: String, field: String, value: String)
    /// The vocabulary lacks the unknown token WordPiece must fall back to
    /// (Hugging Face `models/wordpiece/mod.rs`, `Error::MissingUnkToken`).
    case missingUnknownToken(path: String, token: String)
    /// A special token ([CLS], [SEP], ...) named by the configuration is not in the vocabulary.
    case missingSpecialToken(path: String, token: String)
    /// The model directory has neither `tokenizer.json` nor `vocab.txt`.
    case noTokenizerFiles(directory: String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason): return "\(path): cannot read file: \(reason)"
        case let .malformedFile(path, reason): return "\(path): malformed: \(reason)"
        case let .missingField(path, field): return "\(path): missing field '\(field)'"
        case let .unsupported(path, field, value): return "\(path): field '\(field)': unsupported value '\(value)'"
        case let .missingUnknownToken(path, token): return "\(path): vocabulary has no unknown token '\(token)'"
        case let .missingSpecialToken(path, token): return "\(path): special token '\(token)' is not in the vocabulary"
        case let .noTokenizerFiles(directory): return "\(directory): neither tokenizer.json nor vocab.txt found"
        }
    }
}
