/// A corpus or BEIR file at fault, with the 1-based line where that applies.
public enum CorpusError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(file: String, reason: String)
    case invalidUTF8(file: String, line: Int)
    case invalidJSON(file: String, line: Int, reason: String)
    /// A required field is absent, or not of the expected type.
    case missingField(file: String, line: Int, field: String)
    case wrongType(file: String, line: Int, field: String, expected: String)
    /// An id seen before, at `firstLine`.
    case repeatedID(file: String, line: Int, id: String, firstLine: Int)
    /// A TSV line without the expected columns or with a non-integer score.
    case invalidRow(file: String, line: Int, reason: String)
    /// A qrels query with no text in queries.jsonl.
    case unknownQuery(file: String, line: Int, id: String)
    /// A qrels file with no positive judgment (every metric would be 0).
    case noRelevantDocuments(file: String)

    public var file: String {
        switch self {
        case let .cannotOpen(f, _), let .invalidUTF8(f, _), let .invalidJSON(f, _, _), let .missingField(f, _, _),
             let .wrongType(f, _, _, _), let .repeatedID(f, _, _, _), let .invalidRow(f, _, _), let .unknownQuery(f, _, _),
             let .noRelevantDocuments(f):
            return f
        }
    }

    /// The offending line (0 when the whole file is at fault).
    public var line: Int {
        switch self {
        case .cannotOpen, .noRelevantDocuments: return 0
        case let .invalidUTF8(_, l), let .invalidJSON(_, l, _), let .missingField(_, l, _), let .wrongType(_, l, _, _),
             let .repeatedID(_, l, _, _), let .invalidRow(_, l, _), let .unknownQuery(_, l, _):
            return l
        }
    }

    public var description: String {
        switch self {
        case let .cannotOpen(f, reason): return "\(f): cannot open: \(reason)"
        case let .invalidUTF8(f, l): return "\(f):\(l): not valid UTF-8"
        case let .invalidJSON(f, l, reason): return "\(f):\(l): invalid JSON: \(reason)"
        case let .missingField(f, l, field): return "\(f):\(l): missing field \"\(field)\""
        case let .wrongType(f, l, field, expected): return "\(f):\(l): field \"\(field)\" must be \(expected)"
        case let .repeatedID(f, l, id, first): return "\(f):\(l): id \"\(id)\" repeated (first at line \(first))"
        case let .invalidRow(f, l, reason): return "\(f):\(l): \(reason)"
        case let .unknownQuery(f, l, id): return "\(f):\(l): query \"\(id)\" has no text in queries.jsonl"
        case let .noRelevantDocuments(f):
            return "\(f): no query has a relevant document (no row with a score above 0), so every metric would be 0"
        }
    }
}
