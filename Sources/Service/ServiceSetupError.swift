/// Why the service cannot start with the model and database it was given; each names the file
/// at fault.
public enum ServiceSetupError: Error, Equatable, CustomStringConvertible {
    /// Neither a database nor a model directory was given.
    case nothingToServe
    /// The database has no model recorded (nothing was ever encoded into it).
    case noModelRecorded(database: String)
    /// The model given (or recorded) is not the one that wrote the database's vectors.
    case fingerprintMismatch(database: String, recorded: String, given: String)
    /// `--dimensions` asks for fewer than 1 or more values than the model's embeddings have.
    case dimensionsOutOfRange(requested: Int, modelDimension: Int)
    /// `--dimensions` differs from the truncation of the database's vectors (nil: full embeddings).
    case dimensionsMismatch(database: String, recorded: Int?, recordedDimension: Int, given: Int)
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
        case let .dimensionsOutOfRange(requested, modelDimension):
            return "--dimensions \(requested) is out of range: the model's embeddings have \(modelDimension) values, "
                + "so it must be in 1...\(modelDimension)"
        case let .dimensionsMismatch(database, recorded, recordedDimension, given):
            let stored = recorded.map { "truncated to \($0) dimensions (--dimensions \($0))" }
                ?? "the model's full \(recordedDimension)-dimensional embeddings (no --dimensions)"
            return "\(database): the vectors are \(stored), so queries are encoded alike; --dimensions \(given) "
                + "differs — leave it out to use the database's"
        case let .modelUnavailable(model, reason):
            return "\(model): cannot load the model: \(reason)"
        }
    }
}
