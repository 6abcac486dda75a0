/// Why a store's `VectorIndexFile` cannot be used for a search: the search then reads the vectors
/// from SQLite (and, where it may write, builds the file again). Each names the index file.
public enum VectorIndexProblem: Error, Equatable, CustomStringConvertible {
    /// No index file beside the database.
    case missing(path: String)
    /// The store has no identity (`StoreGeneration`) yet: written before index files existed, and
    /// opened read-only since.
    case storeWithoutIdentity(path: String)
    /// The file cannot be opened or read.
    case unreadable(path: String, reason: String)
    /// Not an index file of any version this program knows, or its header is damaged.
    case notAnIndex(path: String, reason: String)
    /// Shorter or longer than its header says (cut off while written or copied).
    case wrongSize(path: String, expected: Int, actual: Int)
    /// Built for another database.
    case otherStore(path: String)
    /// Built before the store's documents last changed.
    case stale(path: String)
    /// The index's vectors have another dimension than the store records.
    case dimensionMismatch(path: String, index: Int, store: Int)

    public var description: String {
        switch self {
        case let .missing(path): "\(path): no index file"
        case let .storeWithoutIdentity(path): "\(path): the store predates index files; `embedtune encode` adds its identity"
        case let .unreadable(path, reason): "\(path): cannot read the index file: \(reason)"
        case let .notAnIndex(path, reason): "\(path): not a usable index file (\(reason))"
        case let .wrongSize(path, expected, actual): "\(path): the index file has \(actual) bytes, its header says \(expected) (truncated?)"
        case let .otherStore(path): "\(path): the index file belongs to another database"
        case let .stale(path): "\(path): the index file is older than the database's last change"
        case let .dimensionMismatch(path, index, store): "\(path): the index file holds \(index)-dimensional vectors, the database \(store)"
        }
    }
}
