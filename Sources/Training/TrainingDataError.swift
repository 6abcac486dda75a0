/// A problem in training data, naming the file and (1-based) line at fault.
public enum TrainingDataError: Error, Equatable, CustomStringConvertible {
    case notFound(file: String)
    case unreadable(file: String, reason: String)
    case invalidJSON(file: String, line: Int, reason: String)
    case missingField(file: String, line: Int, field: String)
    case wrongType(file: String, line: Int, field: String, expected: String)
    /// Every row must carry the same number of negatives (they become candidate columns).
    case inconsistentNegatives(file: String, line: Int, expected: Int, found: Int)
    case invalidQrels(file: String, line: Int, reason: String)
    /// Negatives given in two layouts at once, or numbered columns with a gap.
    case conflictingNegatives(file: String, line: Int, reason: String)
    case noPairs(file: String)
    /// An id seen before in the same file, at `firstLine`.
    case repeatedID(file: String, line: Int, id: String, firstLine: Int)

    public var description: String {
        switch self {
        case .notFound(let file): "\(file): no such file or directory"
        case .unreadable(let file, let reason): "\(file): cannot read: \(reason)"
        case .invalidJSON(let file, let line, let reason): "\(file):\(line): invalid JSON: \(reason)"
        case .missingField(let file, let line, let field): "\(file):\(line): missing field '\(field)'"
        case .wrongType(let file, let line, let field, let expected): "\(file):\(line): field '\(field)' must be \(expected)"
        case .inconsistentNegatives(let file, let line, let expected, let found):
            "\(file):\(line): \(found) negatives, but earlier rows have \(expected); every row needs the same number"
        case .invalidQrels(let file, let line, let reason): "\(file):\(line): \(reason)"
        case .conflictingNegatives(let file, let line, let reason): "\(file):\(line): negatives: \(reason)"
        case .noPairs(let file): "\(file): no training pairs"
        case .repeatedID(let file, let line, let id, let first): "\(file):\(line): id \"\(id)\" repeated (first at line \(first))"
        }
    }
}
