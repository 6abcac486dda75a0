/// A fault in an input file — training pairs, a corpus, a BEIR directory, a metrics log — naming the
/// file and, where one is at fault, its 1-based line and field. The one error type of every reader in
/// `Datasets`, so training, encoding, mining and evaluation report the same fault the same way.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// The file is missing, is a directory, or cannot be read (`reason` says which).
    case cannotRead(file: String, reason: String)
    case invalidUTF8(file: String, line: Int)
    case invalidJSON(file: String, line: Int, reason: String)
    /// A required field is absent or null.
    case missingField(file: String, line: Int, field: String)
    case wrongType(file: String, line: Int, field: String, expected: String)
    /// A text field holding only white space where a text is needed.
    case emptyField(file: String, line: Int, field: String)
    /// A BEIR query with relevant documents whose text is only white space.
    case emptyQuery(file: String, id: String)
    /// An id seen before in the same file, at `firstLine`.
    case repeatedID(file: String, line: Int, id: String, firstLine: Int)
    /// A line without the expected columns or values (a qrels row, a metrics line).
    case invalidRow(file: String, line: Int, reason: String)
    /// A qrels query with no text in queries.jsonl.
    case unknownQuery(file: String, line: Int, id: String)
    /// A qrels file with no positive judgment (every metric would be 0).
    case noRelevantDocuments(file: String)
    /// Every row must carry the same number of negatives (they become candidate columns).
    case inconsistentNegatives(file: String, line: Int, expected: Int, found: Int)
    /// Negatives given in two layouts at once, or numbered columns with a gap.
    case conflictingNegatives(file: String, line: Int, reason: String)
    /// No (anchor, positive) pair in the data.
    case noPairs(file: String)
    /// A corpus without a document (nothing to retrieve).
    case noDocuments(file: String)

    public var file: String {
        switch self {
        case let .cannotRead(f, _), let .invalidUTF8(f, _), let .invalidJSON(f, _, _), let .missingField(f, _, _),
             let .wrongType(f, _, _, _), let .emptyField(f, _, _), let .repeatedID(f, _, _, _), let .invalidRow(f, _, _),
             let .unknownQuery(f, _, _), let .emptyQuery(f, _), let .noRelevantDocuments(f), let .inconsistentNegatives(f, _, _, _),
             let .conflictingNegatives(f, _, _), let .noPairs(f), let .noDocuments(f):
            return f
        }
    }

    /// The offending line (0 when the whole file is at fault).
    public var line: Int {
        switch self {
        case .cannotRead, .emptyQuery, .noRelevantDocuments, .noPairs, .noDocuments: return 0
        case let .invalidUTF8(_, l), let .invalidJSON(_, l, _), let .missingField(_, l, _), let .wrongType(_, l, _, _),
             let .emptyField(_, l, _), let .repeatedID(_, l, _, _), let .invalidRow(_, l, _), let .unknownQuery(_, l, _),
             let .inconsistentNegatives(_, l, _, _), let .conflictingNegatives(_, l, _):
            return l
        }
    }

    public var description: String {
        switch self {
        case let .cannotRead(f, reason): return "\(f): cannot read: \(reason)"
        case let .invalidUTF8(f, l): return "\(f):\(l): not valid UTF-8"
        case let .invalidJSON(f, l, reason): return "\(f):\(l): invalid JSON: \(reason)"
        case let .missingField(f, l, field): return "\(f):\(l): missing field \"\(field)\""
        case let .wrongType(f, l, field, expected): return "\(f):\(l): field \"\(field)\" must be \(expected)"
        case let .emptyField(f, l, field): return "\(f):\(l): field \"\(field)\" is empty"
        case let .emptyQuery(f, id): return "\(f): query \"\(id)\" has empty text"
        case let .repeatedID(f, l, id, first): return "\(f):\(l): id \"\(id)\" repeated (first at line \(first))"
        case let .invalidRow(f, l, reason): return "\(f):\(l): \(reason)"
        case let .unknownQuery(f, l, id): return "\(f):\(l): query \"\(id)\" has no text in queries.jsonl"
        case let .noRelevantDocuments(f):
            return "\(f): no query has a relevant document (no row with a score above 0), so every metric would be 0"
        case let .inconsistentNegatives(f, l, expected, found):
            return "\(f):\(l): \(found) negatives, but earlier rows have \(expected); every row needs the same number"
        case let .conflictingNegatives(f, l, reason): return "\(f):\(l): negatives: \(reason)"
        case let .noPairs(f): return "\(f): no (anchor, positive) pairs"
        case let .noDocuments(f): return "\(f): no documents, so every metric would be 0"
        }
    }
}
