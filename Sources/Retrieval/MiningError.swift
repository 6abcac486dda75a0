/// Why hard-negative mining cannot run; each case names the option, or the file and line, at fault.
public enum MiningError: Error, Equatable, CustomStringConvertible {
    /// An option outside its domain (named without the leading dashes, as on the command line).
    case invalidOption(option: String, reason: String)
    /// No (anchor, positive) pair in the data.
    case noPairs(file: String)
    /// A pair whose anchor or positive is missing or empty (`field` is "anchor" or "positive").
    case emptyField(file: String, line: Int, field: String)
    /// A BEIR query with positives whose text is empty.
    case emptyQuery(file: String, id: String)
    /// The corpus holds no document (after the positives are added).
    case emptyCorpus(file: String)
    /// A store whose vectors come from another model than the one mining.
    case fingerprintMismatch(database: String, stored: String, model: String)
    /// A store whose rows changed between reading its vectors and its texts.
    case storeChanged(database: String)

    public var description: String {
        switch self {
        case let .invalidOption(option, reason): return "--\(option): \(reason)"
        case let .noPairs(file): return "\(file): no (anchor, positive) pairs"
        case let .emptyField(file, line, field): return "\(file):\(line): field \"\(field)\" is empty"
        case let .emptyQuery(file, id): return "\(file): query \"\(id)\" has empty text"
        case let .emptyCorpus(file): return "\(file): no corpus documents to mine negatives from"
        case let .fingerprintMismatch(database, stored, model):
            return "\(database): the stored vectors come from model fingerprint \(stored), but --model/--adapter "
                + "give fingerprint \(model); mine with the model that encoded the store, or re-encode it"
        case let .storeChanged(database): return "\(database): the store changed while it was read; run again"
        }
    }
}
