/// Why the service cannot start with the model and database it was given; each names the file
/// at fault.
public enum ServiceSetupError: Error, Equatable, CustomStringConvertible {
    /// Neither a database nor a model directory was given.
    case nothingToServe
    /// The database has no model recorded (nothing was ever encoded into it).
    case noModelRecorded(database: String)
    /// The model given (or recorded) is not the one that wrote the database's vectors.
    case fingerprintMismatch(database: String, recorded: String, given: String)
    /// The model directory (or adapter) recorded in or given with the database cannot be loaded.
    case modelUnavailable(model: String, reason: String)

    public var description: String {
        switch self {
        case .nothingToServe:
            return "nothing to serve: give --db FILE (search and embeddings) or --model DIR (embeddings only)"
        case let .noModelRecorded(database):
            return "\(database): no model recorded; encode documents into it first"
        case let .fingerprintMismatch(database, recorded, given):
            return "\(database): the vectors were encoded with model fingerprint \(recorded), but the model "
                + "loaded gives \(given); serve it with the model it was encoded with"
        case let .modelUnavailable(model, reason):
            return "\(model): cannot load the model: \(reason)"
        }
    }
}
