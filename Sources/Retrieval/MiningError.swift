/// Why hard-negative mining cannot run; each case names the option, or the file and line, at fault.
public enum MiningError: Error, Equatable, CustomStringConvertible {
    /// An option outside its domain (named without the leading dashes, as on the command line).
    case invalidOption(option: String, reason: String)
    /// The corpus holds no document (after the positives are added).
    case emptyCorpus(file: String)
    /// A store whose vectors come from another model than the one mining.
    case fingerprintMismatch(database: String, stored: String, model: String)
    /// A store whose rows changed between reading its vectors and its texts.
    case storeChanged(database: String)

    public var description: String {
        switch self {
        case let .invalidOption(option, reason): return "--\(option): \(reason)"
        case let .emptyCorpus(file): return "\(file): no corpus documents to mine negatives from"
        case let .fingerprintMismatch(database, stored, model):
            return "\(database): the stored vectors come from model fingerprint \(stored), but --model/--adapter "
                + "give fingerprint \(model); mine with the model that encoded the store, or re-encode it"
        case let .storeChanged(database): return "\(database): the store changed while it was read; run again"
        }
    }
}
